//! The recording's WAV file: a canonical 44-byte header (PCM, stereo, 16-bit, 8 kHz) followed
//! by interleaved little-endian samples. Samples are packed into one reused buffer and go out
//! in writes of [`WRITE_BUFFER`] bytes (half a second); the header's sizes are brought up to
//! date by [`WavOut::flush`], one 40-byte write. Written here rather than through hound's
//! writer, which took a call per sample and a second buffer copy.

use std::io::{self, Seek, SeekFrom, Write};

use super::{CHANNELS, SAMPLE_RATE};

/// Half a second of audio: few writes, and at most this much is lost in a crash; data that
/// reached the disk after the last header update is what [`super::repair`] recovers.
pub(crate) const WRITE_BUFFER: usize = 16 * 1024;

const HEADER_LEN: u32 = 44;
const BLOCK_ALIGN: u16 = CHANNELS * 2;

/// The header for `data_bytes` of samples.
fn header(data_bytes: u32) -> [u8; HEADER_LEN as usize] {
    let mut h = [0u8; HEADER_LEN as usize];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(HEADER_LEN - 8 + data_bytes).to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // PCM
    h[22..24].copy_from_slice(&CHANNELS.to_le_bytes());
    h[24..28].copy_from_slice(&SAMPLE_RATE.to_le_bytes());
    let byte_rate = SAMPLE_RATE * u32::from(BLOCK_ALIGN);
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&BLOCK_ALIGN.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_bytes.to_le_bytes());
    h
}

/// A WAV file being written.
pub(crate) struct WavOut<W: Write + Seek> {
    out: W,
    buf: Vec<u8>,
    /// Sample bytes given so far (written or in `buf`).
    data_bytes: u32,
}

impl<W: Write + Seek> WavOut<W> {
    /// Write the header (sizes zero) at the current position, which must be the file's start.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&header(0))?;
        Ok(Self {
            out,
            buf: Vec::with_capacity(WRITE_BUFFER + 4 * 2048),
            data_bytes: 0,
        })
    }

    /// Append stereo sample pairs; writes to the file once half a second has gathered.
    pub fn pairs(&mut self, pairs: &[[i16; 2]]) -> io::Result<()> {
        let bytes = u32::try_from(pairs.len() * usize::from(BLOCK_ALIGN))
            .ok()
            .and_then(|n| n.checked_add(self.data_bytes))
            .filter(|&total| total <= u32::MAX - HEADER_LEN)
            .ok_or_else(|| io::Error::other("a WAV file holds at most 4 GiB"))?;
        self.data_bytes = bytes;
        let start = self.buf.len();
        self.buf
            .resize(start + pairs.len() * usize::from(BLOCK_ALIGN), 0);
        for (out, &[left, right]) in self.buf[start..].chunks_exact_mut(4).zip(pairs) {
            out[..2].copy_from_slice(&left.to_le_bytes());
            out[2..].copy_from_slice(&right.to_le_bytes());
        }
        if self.buf.len() >= WRITE_BUFFER {
            self.write_buffer()?;
        }
        Ok(())
    }

    fn write_buffer(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            // Cleared even on error: the writing ends at the first error anyway.
            let result = self.out.write_all(&self.buf);
            self.buf.clear();
            result?;
        }
        Ok(())
    }

    /// Write what is buffered and bring the header's sizes up to date on disk.
    pub fn flush(&mut self) -> io::Result<()> {
        self.write_buffer()?;
        self.out.seek(SeekFrom::Start(4))?;
        self.out.write_all(&header(self.data_bytes)[4..])?;
        self.out.seek(SeekFrom::End(0))?;
        self.out.flush()
    }

    /// Sample pairs given so far.
    #[cfg(test)]
    pub fn len(&self) -> u32 {
        self.data_bytes / u32::from(BLOCK_ALIGN)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

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
        let mut wav = WavOut::new(Cursor::new(Vec::new())).expect("header");
        let pairs: Vec<[i16; 2]> = (0..5000).map(|i| [i as i16, -(i as i16) - 1]).collect();
        wav.pairs(&pairs[..1234]).expect("write");
        wav.pairs(&pairs[1234..]).expect("write");
        wav.pairs(&[]).expect("write");
        wav.flush().expect("flush");
        assert_eq!(wav.len(), 5000);
        let bytes = wav.out.into_inner();
        assert_eq!(bytes.len(), 44 + 5000 * 4);
        let (spec, samples) = read(bytes);
        assert_eq!(
            spec,
            hound::WavSpec {
                channels: 2,
                sample_rate: 8000,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            }
        );
        let expect: Vec<i16> = pairs.iter().flatten().copied().collect();
        assert_eq!(samples, expect);
    }

    #[test]
    fn audio_reaches_the_file_in_half_second_writes_and_the_header_on_flush() {
        let mut wav = WavOut::new(Cursor::new(Vec::new())).expect("header");
        // 8 KiB: a quarter of a second stays in the buffer.
        let quarter = vec![[7i16, 8]; 2048];
        wav.pairs(&quarter).expect("write");
        assert_eq!(wav.out.get_ref().len(), 44);
        wav.pairs(&quarter).expect("write");
        // Half a second: out, behind a header that still says zero (what a crash leaves).
        assert_eq!(wav.out.get_ref().len(), 44 + 4096 * 4);
        assert_eq!(&wav.out.get_ref()[40..44], &[0; 4]);
        wav.pairs(&quarter).expect("write");
        wav.flush().expect("flush");
        let bytes = wav.out.get_ref().clone();
        assert_eq!(bytes.len(), 44 + 6144 * 4);
        assert_eq!(bytes[40..44], (6144u32 * 4).to_le_bytes());
        assert_eq!(bytes[4..8], (36 + 6144u32 * 4).to_le_bytes());
        // Writing goes on at the end after a flush.
        wav.pairs(&[[1, 2]; 4096]).expect("write");
        assert_eq!(wav.out.get_ref().len(), 44 + 10240 * 4);
        assert_eq!(read(wav.out.into_inner()).1.len(), 2 * 6144);
    }
}
