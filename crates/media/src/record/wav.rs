//! The recording's WAV file, written with hound: PCM, stereo, 16-bit, 8 kHz (a canonical
//! 44-byte header) followed by interleaved little-endian samples. Samples go through hound's
//! 16-bit sample writer (one reused buffer per batch, no per-sample dispatch) into a
//! [`WRITE_BUFFER`]-byte buffer, so the file sees writes of about half a second; the header's
//! sizes are brought up to date by [`WavOut::flush`].

use std::io::{self, BufWriter, Seek, Write};

use super::{CHANNELS, SAMPLE_RATE};

/// Half a second of audio: few writes, and at most this much is lost in a crash; data that
/// reached the disk after the last header update is what [`super::repair`] recovers.
pub(crate) const WRITE_BUFFER: usize = 16 * 1024;

const HEADER_LEN: u32 = 44;

const SPEC: hound::WavSpec = hound::WavSpec {
    channels: CHANNELS,
    sample_rate: SAMPLE_RATE,
    bits_per_sample: 16,
    sample_format: hound::SampleFormat::Int,
};

fn io_error(e: hound::Error) -> io::Error {
    match e {
        hound::Error::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// A WAV file being written.
pub(crate) struct WavOut<W: Write + Seek> {
    wav: hound::WavWriter<BufWriter<W>>,
    /// Sample bytes given so far (written or buffered).
    data_bytes: u32,
}

impl<W: Write + Seek> WavOut<W> {
    /// Write the header (sizes zero) at the current position, which must be the file's start,
    /// and push it to the file at once: a crash from here on leaves a WAV that repair can fix.
    pub fn new(out: W) -> io::Result<Self> {
        let mut wav = hound::WavWriter::new(BufWriter::with_capacity(WRITE_BUFFER, out), SPEC)
            .map_err(io_error)?;
        wav.flush().map_err(io_error)?;
        Ok(Self { wav, data_bytes: 0 })
    }

    /// Append stereo sample pairs; the file is written once half a second has gathered.
    pub fn pairs(&mut self, pairs: &[[i16; 2]]) -> io::Result<()> {
        let samples = u32::try_from(pairs.len() * 2)
            .map_err(|_| io::Error::other("too many samples at once"))?;
        // hound counts data bytes in a u32: refuse before it would overflow.
        let bytes = samples
            .checked_mul(2)
            .and_then(|n| n.checked_add(self.data_bytes))
            .filter(|&total| total <= u32::MAX - HEADER_LEN)
            .ok_or_else(|| io::Error::other("a WAV file holds at most 4 GiB"))?;
        if pairs.is_empty() {
            return Ok(());
        }
        let mut w = self.wav.get_i16_writer(samples);
        for &[left, right] in pairs {
            w.write_sample(left);
            w.write_sample(right);
        }
        w.flush().map_err(io_error)?;
        self.data_bytes = bytes;
        Ok(())
    }

    /// Write what is buffered and bring the header's sizes up to date on disk.
    pub fn flush(&mut self) -> io::Result<()> {
        self.wav.flush().map_err(io_error)
    }

    /// Sample pairs given so far.
    #[cfg(test)]
    pub fn len(&self) -> u32 {
        self.data_bytes / (u32::from(CHANNELS) * 2)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io::{Cursor, SeekFrom};
    use std::rc::Rc;

    use super::*;

    /// An in-memory file the test can look into while the writer holds it.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Cursor<Vec<u8>>>>);

    impl Shared {
        fn bytes(&self) -> Vec<u8> {
            self.0.borrow().get_ref().clone()
        }
    }

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Shared {
        fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
            self.0.borrow_mut().seek(pos)
        }
    }

    fn read(bytes: Vec<u8>) -> (hound::WavSpec, Vec<i16>) {
        let mut reader = hound::WavReader::new(Cursor::new(bytes)).expect("valid WAV");
        let spec = reader.spec();
        let samples = reader
            .samples::<i16>()
            .map(|s| s.expect("sample"))
            .collect();
        (spec, samples)
    }

    #[test]
    fn a_flushed_file_reads_back_with_hound() {
        let file = Shared::default();
        let mut wav = WavOut::new(file.clone()).expect("header");
        let pairs: Vec<[i16; 2]> = (0..5000).map(|i| [i as i16, -(i as i16) - 1]).collect();
        wav.pairs(&pairs[..1234]).expect("write");
        wav.pairs(&pairs[1234..]).expect("write");
        wav.pairs(&[]).expect("write");
        wav.flush().expect("flush");
        assert_eq!(wav.len(), 5000);
        let bytes = file.bytes();
        assert_eq!(bytes.len(), 44 + 5000 * 4);
        let (spec, samples) = read(bytes);
        assert_eq!(spec, SPEC);
        let expect: Vec<i16> = pairs.iter().flatten().copied().collect();
        assert_eq!(samples, expect);
    }

    #[test]
    fn audio_reaches_the_file_in_half_second_writes_and_the_header_on_flush() {
        let file = Shared::default();
        let mut wav = WavOut::new(file.clone()).expect("header");
        // 6 KiB at a time (about 0.2 s): the first two stay in the buffer.
        let chunk = vec![[7i16, 8]; 1536];
        wav.pairs(&chunk).expect("write");
        wav.pairs(&chunk).expect("write");
        assert_eq!(file.bytes().len(), 44, "only the header so far");
        // The third passes 16 KiB: out, behind a header that still says zero (what a crash
        // leaves for repair).
        wav.pairs(&chunk).expect("write");
        let bytes = file.bytes();
        assert!(bytes.len() >= 44 + 2 * 1536 * 4, "{}", bytes.len());
        assert_eq!(&bytes[40..44], &[0; 4]);
        wav.flush().expect("flush");
        let bytes = file.bytes();
        assert_eq!(bytes.len(), 44 + 3 * 1536 * 4);
        assert_eq!(bytes[40..44], (3 * 1536u32 * 4).to_le_bytes());
        assert_eq!(bytes[4..8], (36 + 3 * 1536u32 * 4).to_le_bytes());
        // Writing goes on at the end after a flush.
        wav.pairs(&[[1, 2]; 4096]).expect("write");
        wav.flush().expect("flush");
        assert_eq!(read(file.bytes()).1.len(), 2 * (3 * 1536 + 4096));
    }
}
