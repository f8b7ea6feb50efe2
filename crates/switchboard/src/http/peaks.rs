//! A recording's waveform for the review page's player (`GET /api/recordings/{id}/peaks?n=`):
//! the WAV read on the server, each channel cut into `n` equal spans of time and the loudest
//! sample of each span given as 0..=1. The page draws the two channels (caller left, agent
//! right) without fetching and decoding the whole file itself. The peaks reveal when each side
//! spoke, so they are served to whoever may play the audio and audited like playback
//! (`recording.play`, detail `peaks n=…`); nothing is sent if the audit row cannot be written.

use std::io::Read;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use crm::AuditAction;
use serde::{Deserialize, Serialize};

use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::routing::Routes;
use crate::http::App;

/// Most spans a caller may ask for: a wide screen's pixels, not more.
pub const MAX_BUCKETS: u32 = 4000;

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/recordings/{id}/peaks", peaks_handler)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeaksQuery {
    n: Option<String>,
}

/// The waveform of a recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Peaks {
    pub sample_rate: u32,
    pub channels: u16,
    /// Frames (samples per channel) in the file.
    pub frames: u64,
    pub duration_ms: u64,
    /// Spans per channel: `n`, or fewer when the file has fewer frames.
    pub buckets: usize,
    /// One list per channel (caller first), `buckets` loudest magnitudes in 0..=1, 3 decimals.
    pub peaks: Vec<Vec<f32>>,
}

/// Why a file has no waveform.
#[derive(Debug, thiserror::Error)]
pub enum PeaksError {
    #[error("the recording is not a readable WAV file: {0}")]
    Wav(#[from] hound::Error),
    #[error("the recording holds float samples, not PCM")]
    Float,
}

/// The loudest magnitude of each of `n` spans of each channel of `reader`'s file.
pub fn peaks<R: Read>(reader: hound::WavReader<R>, n: usize) -> Result<Peaks, PeaksError> {
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int {
        return Err(PeaksError::Float);
    }
    let channels = usize::from(spec.channels.max(1));
    let frames = u64::from(reader.duration());
    let buckets = usize::try_from(frames).map_or(n, |f| f.min(n));
    let full_scale = f64::from(1_u32 << (spec.bits_per_sample.clamp(1, 32) - 1));
    let mut loudest = vec![vec![0_u32; buckets]; channels];
    for (i, sample) in reader.into_samples::<i32>().enumerate() {
        let sample = sample?;
        let frame = (i / channels) as u64;
        // Frame f of F falls in span f·n/F: every span gets ⌊F/n⌋ or ⌈F/n⌉ frames.
        let bucket = usize::try_from(frame * buckets as u64 / frames.max(1)).unwrap_or(0);
        if let Some(slot) = loudest
            .get_mut(i % channels)
            .and_then(|c| c.get_mut(bucket))
        {
            *slot = (*slot).max(sample.unsigned_abs());
        }
    }
    let scale = |m: u32| ((f64::from(m) / full_scale).min(1.0) * 1000.0).round() as f32 / 1000.0;
    Ok(Peaks {
        sample_rate: spec.sample_rate,
        channels: spec.channels,
        frames,
        duration_ms: frames * 1000 / u64::from(spec.sample_rate.max(1)),
        buckets,
        peaks: loudest
            .into_iter()
            .map(|c| c.into_iter().map(scale).collect())
            .collect(),
    })
}

/// `?n=` as a number of spans in `1..=MAX_BUCKETS`.
fn bucket_count(n: Option<&str>) -> Result<usize, ApiError> {
    let Some(n) = n else {
        return Err(ApiError::bad_request("give ?n= (spans per channel)"));
    };
    match n.trim().parse::<u32>() {
        Ok(v) if (1..=MAX_BUCKETS).contains(&v) => Ok(v as usize),
        _ => Err(ApiError::bad_request(format!(
            "n must be a whole number from 1 to {MAX_BUCKETS}, not `{n}`"
        ))),
    }
}

async fn peaks_handler(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<PeaksQuery>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<std::net::SocketAddr>,
) -> ApiResult {
    let n = bucket_count(q.n.as_deref())?;
    let rec = crate::http::audio::finished(&app, &id).await?;
    let path = rec.path.clone();
    // A file that cannot be opened is missing (404, as for the audio); one that opens but does
    // not read as a WAV to its end is unusable (422).
    let read = tokio::task::spawn_blocking(move || {
        let file = std::io::BufReader::new(std::fs::File::open(&path)?);
        Ok::<_, std::io::Error>(
            hound::WavReader::new(file)
                .map_err(PeaksError::from)
                .and_then(|r| peaks(r, n)),
        )
    })
    .await;
    let peaks = match read {
        Ok(Ok(Ok(p))) => p,
        Ok(Err(e)) => {
            tracing::warn!(id, path = rec.path, error = %e, "recording file unreadable");
            return Err(ApiError::not_found("recording file missing"));
        }
        Ok(Ok(Err(e))) => {
            tracing::warn!(id, path = rec.path, error = %e, "no waveform");
            return Err(ApiError::new(ErrorKind::Unprocessable, e.to_string()));
        }
        Err(e) => {
            tracing::error!(id, error = %e, "waveform task failed");
            return Err(ApiError::new(ErrorKind::Internal, "cannot read recording"));
        }
    };
    let detail = format!("peaks n={}", peaks.buckets);
    crate::http::audio::audit(
        &app,
        &who,
        remote,
        AuditAction::RecordingPlay,
        &rec.id,
        detail,
    )
    .await?;
    Ok(Json(peaks).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A 16-bit WAV of `channels` from interleaved `samples`.
    fn wav(channels: u16, samples: &[i16]) -> hound::WavReader<Cursor<Vec<u8>>> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut bytes = Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut bytes, spec).unwrap();
            for s in samples {
                w.write_sample(*s).unwrap();
            }
            w.finalize().unwrap();
        }
        bytes.set_position(0);
        hound::WavReader::new(bytes).unwrap()
    }

    #[test]
    fn each_channel_gets_the_loudest_sample_of_each_span() {
        // 8 frames, left loud in the first half, right in the second.
        let mut samples = Vec::new();
        for f in 0..8_i16 {
            let (l, r) = if f < 4 { (-16384, 0) } else { (100, 32767) };
            samples.extend([l + f, r]);
        }
        let p = peaks(wav(2, &samples), 2).unwrap();
        assert_eq!(p.frames, 8);
        assert_eq!(p.buckets, 2);
        assert_eq!(p.duration_ms, 1);
        assert_eq!(p.peaks.len(), 2);
        // |-16384| is half of full scale; the right channel peaks at 32767 in the second span.
        assert_eq!(p.peaks[0], vec![0.5, 0.003]);
        assert_eq!(p.peaks[1], vec![0.0, 1.0]);
    }

    #[test]
    fn spans_cover_every_frame_and_never_outnumber_them() {
        // 10 frames into 3 spans: 0-3, 4-6, 7-9 (f·3/10); the loud frame 9 lands in the last.
        let mut samples = vec![0_i16; 10];
        samples[9] = 32767;
        samples[3] = 3277;
        let p = peaks(wav(1, &samples), 3).unwrap();
        assert_eq!(p.peaks, vec![vec![0.1, 0.0, 1.0]]);
        let few = peaks(wav(1, &[1, 2]), 400).unwrap();
        assert_eq!(few.buckets, 2, "a span per frame at most");
        let empty = peaks(wav(2, &[]), 400).unwrap();
        assert_eq!((empty.buckets, empty.peaks), (0, vec![vec![], vec![]]));
    }

    #[test]
    fn the_span_count_is_asked_for_and_bounded() {
        assert_eq!(bucket_count(Some("400")).unwrap(), 400);
        assert_eq!(bucket_count(Some("4000")).unwrap(), 4000);
        for bad in [
            None,
            Some("0"),
            Some("4001"),
            Some("-3"),
            Some("ten"),
            Some(""),
        ] {
            let e = bucket_count(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadRequest, "{bad:?}");
        }
    }
}
