//! Test audio: writing a pure tone as a 16-bit PCM WAV, reading a mono 16-bit WAV back, and
//! measuring how much of a recording's energy sits at one frequency (Goertzel), so an
//! end-to-end test can tell "the far side heard my 1 kHz tone" from "the far side heard noise".
//!
//! Plain code rather than a WAV crate: the format subset is tiny (PCM, 16-bit, mono) and
//! recorders such as libsndfile add chunks (`PEAK`, `LIST`) that the reader must skip anyway.

use anyhow::{bail, Context};
use std::path::Path;

/// Write `seconds` of a sine at `freq_hz` (peak `amplitude` of full scale 32767) as a mono
/// 16-bit PCM WAV at `sample_rate`.
pub fn write_tone_wav(
    path: &Path,
    freq_hz: f64,
    amplitude: i16,
    seconds: u32,
    sample_rate: u32,
) -> anyhow::Result<()> {
    let n = sample_rate as usize * seconds as usize;
    let mut pcm = Vec::with_capacity(n * 2);
    for i in 0..n {
        let phase = 2.0 * std::f64::consts::PI * freq_hz * i as f64 / f64::from(sample_rate);
        let v = (f64::from(amplitude) * phase.sin()).round() as i16;
        pcm.extend_from_slice(&v.to_le_bytes());
    }
    let data_len = u32::try_from(pcm.len()).context("tone too long for a WAV")?;
    let mut out = Vec::with_capacity(44 + pcm.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(&pcm);
    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))
}

/// A decoded mono recording.
#[derive(Debug, Clone)]
pub struct Wav {
    pub sample_rate: u32,
    pub samples: Vec<i16>,
}

impl Wav {
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate.max(1))
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Read a mono 16-bit PCM WAV. A data chunk whose size is 0 or past the end of the file (a
/// writer killed before it patched the header) is taken to run to the end of the file.
pub fn read_wav(path: &Path) -> anyhow::Result<Wav> {
    let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if b.get(0..4) != Some(b"RIFF") || b.get(8..12) != Some(b"WAVE") {
        bail!("{}: not a RIFF/WAVE file", path.display());
    }
    let mut at = 12;
    let mut sample_rate = None;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let size = u32_at(&b, at + 4).unwrap_or(0) as usize;
        let body = at + 8;
        if id == b"fmt " {
            let format = u16_at(&b, body).unwrap_or(0);
            let channels = u16_at(&b, body + 2).unwrap_or(0);
            let bits = u16_at(&b, body + 14).unwrap_or(0);
            if format != 1 || channels != 1 || bits != 16 {
                bail!(
                    "{}: want PCM mono 16-bit, got format {format}, {channels} channels, {bits} bits",
                    path.display()
                );
            }
            sample_rate = u32_at(&b, body + 4);
        } else if id == b"data" {
            let Some(rate) = sample_rate else {
                bail!("{}: data chunk before fmt chunk", path.display());
            };
            let end = if size == 0 || body + size > b.len() {
                b.len()
            } else {
                body + size
            };
            let samples = b[body..end]
                .chunks_exact(2)
                .map(|p| i16::from_le_bytes([p[0], p[1]]))
                .collect();
            return Ok(Wav {
                sample_rate: rate,
                samples,
            });
        }
        // Chunks are padded to an even size.
        at = body + size + (size & 1);
    }
    bail!("{}: no data chunk", path.display())
}

/// Share of a block's energy at `freq_hz`: about 1.0 for a pure tone on that frequency, about
/// 0 for silence or other frequencies. Pick block lengths that hold a whole number of cycles
/// of the frequencies compared, so the Goertzel bin sits exactly on them.
pub fn tone_share(block: &[i16], sample_rate: u32, freq_hz: f64) -> f64 {
    let n = block.len() as f64;
    let energy: f64 = block.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    if n == 0.0 || energy == 0.0 {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq_hz / f64::from(sample_rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in block {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    // A full-bin sine of energy E gives a Goertzel power of E·N/2.
    power / (energy * n / 2.0)
}

/// How many `block_len`-sample blocks of `wav` carry `freq_hz` as their clear content: at
/// least half the block's energy on that frequency and the block not near-silent.
pub fn blocks_with_tone(wav: &Wav, block_len: usize, freq_hz: f64) -> usize {
    wav.samples
        .chunks_exact(block_len)
        .filter(|b| {
            let rms =
                (b.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / b.len() as f64).sqrt();
            rms > 300.0 && tone_share(b, wav.sample_rate, freq_hz) > 0.5
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_tone_reads_back_and_is_found_only_at_its_frequency() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.wav");
        write_tone_wav(&p, 1000.0, 8000, 1, 8000).unwrap();
        let wav = read_wav(&p).unwrap();
        assert_eq!(wav.sample_rate, 8000);
        assert_eq!(wav.samples.len(), 8000);
        assert!((wav.seconds() - 1.0).abs() < 1e-9);
        let block = &wav.samples[..400];
        assert!(tone_share(block, 8000, 1000.0) > 0.95);
        assert!(tone_share(block, 8000, 440.0) < 0.05);
        assert_eq!(blocks_with_tone(&wav, 400, 1000.0), 20);
        assert_eq!(blocks_with_tone(&wav, 400, 440.0), 0);
    }

    #[test]
    fn silence_has_no_tone_and_a_truncated_header_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.wav");
        write_tone_wav(&p, 440.0, 0, 1, 8000).unwrap();
        let mut bytes = std::fs::read(&p).unwrap();
        // A writer killed before patching the header leaves a zero data size.
        bytes[40..44].copy_from_slice(&0u32.to_le_bytes());
        std::fs::write(&p, bytes).unwrap();
        let wav = read_wav(&p).unwrap();
        assert_eq!(wav.samples.len(), 8000);
        assert_eq!(blocks_with_tone(&wav, 400, 440.0), 0);
    }

    #[test]
    fn stereo_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.wav");
        write_tone_wav(&p, 440.0, 1000, 1, 8000).unwrap();
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[22] = 2;
        std::fs::write(&p, bytes).unwrap();
        assert!(read_wav(&p).is_err());
    }
}
