//! Prompts: audio converted once, at load, to what the player sends — 8 kHz mono 16-bit, cut
//! into 20 ms frames and pre-encoded in both G.711 laws, so playback copies bytes and never
//! transcodes. WAV files of any common rate, channel count and sample format are accepted.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use crate::g711::Codec;
use crate::resample::resample;
use crate::tone::{self, SAMPLE_RATE};

/// Samples in one 20 ms frame at 8 kHz (one RTP packet).
pub const FRAME_SAMPLES: usize = 160;

/// Why a prompt could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PromptError {
    #[error("cannot read WAV: {0}")]
    Wav(#[from] hound::Error),
    #[error("WAV has no channels")]
    NoChannels,
    #[error("unsupported WAV format: {bits}-bit {format}")]
    Unsupported { bits: u16, format: &'static str },
    #[error("WAV holds no audio")]
    Empty,
}

/// Pre-encoded audio ready for [`crate::Player`]. Share it with `Arc`: it is read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// 8 kHz mono, padded with silence to whole frames.
    pcm: Vec<i16>,
    pcmu: Vec<u8>,
    pcma: Vec<u8>,
}

impl Prompt {
    /// 8 kHz mono samples; padded with silence to a whole number of frames.
    pub fn from_pcm_8k(mut pcm: Vec<i16>) -> Self {
        let frames = pcm.len().div_ceil(FRAME_SAMPLES);
        pcm.resize(frames * FRAME_SAMPLES, 0);
        let pcmu = pcm.iter().map(|&s| Codec::Pcmu.encode(s)).collect();
        let pcma = pcm.iter().map(|&s| Codec::Pcma.encode(s)).collect();
        Self { pcm, pcmu, pcma }
    }

    /// Interleaved samples in [-1, 1] at any rate: mixed down to mono and resampled to 8 kHz.
    pub fn from_interleaved(samples: &[f32], rate: u32, channels: u16) -> Self {
        let channels = usize::from(channels.max(1));
        let mono: Vec<f32> = samples
            .chunks(channels)
            .map(|c| c.iter().sum::<f32>() / c.len() as f32)
            .collect();
        let resampled = resample(&mono, rate, SAMPLE_RATE);
        let pcm = resampled
            .iter()
            .map(|v| (v * 32767.0).round().clamp(-32768.0, 32767.0) as i16)
            .collect();
        Self::from_pcm_8k(pcm)
    }

    /// Load a WAV file (PCM 8/16/24/32-bit or 32-bit float, any rate and channel count).
    pub fn from_wav_file(path: impl AsRef<Path>) -> Result<Self, PromptError> {
        Self::from_wav_reader(hound::WavReader::open(path)?)
    }

    /// Load WAV bytes from any reader.
    pub fn from_wav<R: Read>(reader: R) -> Result<Self, PromptError> {
        Self::from_wav_reader(hound::WavReader::new(reader)?)
    }

    fn from_wav_reader<R: Read>(reader: hound::WavReader<R>) -> Result<Self, PromptError> {
        let spec = reader.spec();
        if spec.channels == 0 {
            return Err(PromptError::NoChannels);
        }
        let samples: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 32) => {
                reader.into_samples::<f32>().collect::<Result<_, _>>()?
            }
            (hound::SampleFormat::Int, bits @ 1..=32) => {
                let scale = 1.0 / (1u64 << (bits - 1)) as f32;
                reader
                    .into_samples::<i32>()
                    .map(|s| s.map(|v| v as f32 * scale))
                    .collect::<Result<_, _>>()?
            }
            (format, bits) => {
                return Err(PromptError::Unsupported {
                    bits,
                    format: match format {
                        hound::SampleFormat::Float => "float",
                        hound::SampleFormat::Int => "integer",
                    },
                })
            }
        };
        if samples.is_empty() {
            return Err(PromptError::Empty);
        }
        Ok(Self::from_interleaved(
            &samples,
            spec.sample_rate,
            spec.channels,
        ))
    }

    /// A sine of `freq` Hz for `ms` milliseconds at -10 dBm0-ish (a third of full scale).
    pub fn tone(freq: f64, ms: u32) -> Self {
        Self::from_pcm_8k(tone::sine(freq, 10_000.0, tone::samples_for_ms(ms)))
    }

    /// Silence for `ms` milliseconds (rounded up to whole frames).
    pub fn silence(ms: u32) -> Self {
        Self::from_pcm_8k(vec![0; tone::samples_for_ms(ms)])
    }

    /// Number of 20 ms frames.
    pub fn frames(&self) -> usize {
        self.pcm.len() / FRAME_SAMPLES
    }

    pub fn duration(&self) -> Duration {
        Duration::from_millis(20 * self.frames() as u64)
    }

    /// Frame `index` encoded with `codec`; `None` past the end.
    pub fn frame(&self, codec: Codec, index: usize) -> Option<&[u8]> {
        let bytes = match codec {
            Codec::Pcmu => &self.pcmu,
            Codec::Pcma => &self.pcma,
        };
        bytes.get(index * FRAME_SAMPLES..(index + 1) * FRAME_SAMPLES)
    }

    /// The 8 kHz linear samples (whole frames).
    pub fn samples(&self) -> &[i16] {
        &self.pcm
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goertzel::power;
    use std::io::Cursor;

    fn wav_bytes(
        spec: hound::WavSpec,
        write: impl FnOnce(&mut hound::WavWriter<&mut Cursor<Vec<u8>>>),
    ) -> Vec<u8> {
        let mut cursor = Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
            write(&mut w);
            w.finalize().unwrap();
        }
        cursor.into_inner()
    }

    fn sine_at(freq: f64, rate: u32, n: usize) -> impl Iterator<Item = f64> {
        (0..n).map(move |i| (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin())
    }

    /// The prompt carries `freq` and little else.
    fn assert_tone(p: &Prompt, freq: f64) {
        let s = &p.samples()[400..p.samples().len() - 400];
        let on = power(freq, s);
        let off = power(freq * 1.5, s) + power(freq * 0.6, s);
        assert!(on > 1000.0 * off.max(1.0), "{freq}: on {on} off {off}");
    }

    #[test]
    fn tone_and_silence_have_whole_frames_in_both_laws() {
        let t = Prompt::tone(1000.0, 1010);
        assert_eq!(t.frames(), 51);
        assert_eq!(t.duration(), Duration::from_millis(1020));
        assert_tone(&t, 1000.0);
        let f = t.frame(Codec::Pcmu, 3).unwrap();
        assert_eq!(f.len(), FRAME_SAMPLES);
        assert_eq!(f[0], Codec::Pcmu.encode(t.samples()[480]));
        assert_eq!(
            t.frame(Codec::Pcma, 50).unwrap()[159],
            Codec::Pcma.silence()
        );
        assert_eq!(t.frame(Codec::Pcma, 51), None);
        let s = Prompt::silence(60);
        assert_eq!(s.frames(), 3);
        assert!(s.frame(Codec::Pcmu, 2).unwrap().iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn loads_stereo_48k_float_and_16_bit_and_24_bit_wavs() {
        let stereo_float = wav_bytes(
            hound::WavSpec {
                channels: 2,
                sample_rate: 48000,
                bits_per_sample: 32,
                sample_format: hound::SampleFormat::Float,
            },
            |w| {
                for v in sine_at(440.0, 48000, 48000) {
                    w.write_sample(v as f32 * 0.5).unwrap();
                    w.write_sample(v as f32 * 0.5).unwrap();
                }
            },
        );
        let p = Prompt::from_wav(Cursor::new(stereo_float)).unwrap();
        assert_eq!(p.frames(), 50);
        assert_tone(&p, 440.0);
        let peak = p.samples().iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert!((15_500..17_000).contains(&peak), "{peak}");

        for (bits, rate) in [(16u16, 22050u32), (24, 44100), (8, 11025)] {
            let bytes = wav_bytes(
                hound::WavSpec {
                    channels: 1,
                    sample_rate: rate,
                    bits_per_sample: bits,
                    sample_format: hound::SampleFormat::Int,
                },
                |w| {
                    let full = f64::from((1i32 << (bits - 1)) - 1);
                    for v in sine_at(1000.0, rate, rate as usize / 2) {
                        w.write_sample((v * full * 0.5) as i32).unwrap();
                    }
                },
            );
            let p = Prompt::from_wav(Cursor::new(bytes)).unwrap();
            assert_eq!(p.frames(), 25, "{bits}-bit {rate}");
            assert_tone(&p, 1000.0);
        }
    }

    #[test]
    fn bad_wavs_are_errors() {
        assert!(matches!(
            Prompt::from_wav(Cursor::new(b"RIFFjunk".to_vec())),
            Err(PromptError::Wav(_))
        ));
        let empty = wav_bytes(
            hound::WavSpec {
                channels: 1,
                sample_rate: 8000,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            },
            |_| {},
        );
        assert!(matches!(
            Prompt::from_wav(Cursor::new(empty)),
            Err(PromptError::Empty)
        ));
        assert!(matches!(
            Prompt::from_wav_file("/nonexistent/x.wav"),
            Err(PromptError::Wav(_))
        ));
    }
}
