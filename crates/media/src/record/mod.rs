//! Call recording to stereo WAV: the caller on the LEFT channel (RTP received from side A),
//! what the caller hears on the RIGHT (RTP relayed from B to A, and the prompts and music the
//! endpoint plays to A), 8 kHz 16-bit PCM decoded from G.711.
//!
//! Driving it: [`crate::RelaySession::start_recording`], `pause_recording`, `resume_recording`
//! and `stop_recording`, which returns the [`RecordingSummary`]. A recording still running when
//! the session closes is finished by the recorder and reported as
//! [`crate::MediaEvent::RecordingFinished`]. [`repair`] fixes the header of a file left behind
//! by a crash; run it over the recordings directory at start-up.
//!
//! # Off the hot path
//! The relay task appends each recorded RTP payload, with its timestamp, SSRC and arrival time,
//! to the recording's preallocated single-producer/single-consumer ring (`ring.rs`: no
//! allocation, no lock, one release store per packet). When the ring is full the frame is
//! dropped and counted ([`RecordingSummary::frames_dropped`], [`crate::RelayStats::recording_dropped`]);
//! the packet itself is relayed as usual, so a slow disk never delays audio. Non-G.711 payloads
//! (telephone-event, comfort noise, others) are not queued: they become silence. One recorder
//! thread owns the WAV writers of every recording: every 100 ms it places each recording's
//! queued frames, applies pause/resume/stop and writes what is settled; a stopped recording is
//! finalized on a short-lived thread of its own.
//!
//! # Alignment rules (`align.rs`)
//! Positions are sample indices from the start of the recording (8000 per second).
//! - Each channel keeps its own RTP clock: position = anchor + (timestamp − anchor timestamp),
//!   computed with wrapping 32-bit arithmetic so a timestamp wrap at `u32::MAX` is seamless.
//! - The anchor is set from the arrival time (relative to the recording start) at the channel's
//!   first packet, and set again the same way on a new SSRC, a forward timestamp jump of more
//!   than 1 s, or a backward jump of more than twice the jitter window seen on two packets in a
//!   row (a single very late packet is only late). A new anchor never overlaps the channel's
//!   previous audio.
//! - Gaps (lost packets, hold, silence suppression) stay silent.
//! - Nothing is written until it is older than the jitter window (default 160 ms) behind the
//!   newest audio of either channel, so reordered packets within the window land in place. A
//!   packet that arrives after its place was written is dropped and counted as late, except a
//!   packet that continues its stream in order and is late by at most one 20 ms frame: then
//!   the channel's anchor slips forward by that much. That keeps a channel whose RTP clock
//!   drifts against the other within the window instead of losing it; after a network stall
//!   it may shift that channel by less than one frame.
//! - The writer interleaves L/R by position; a channel without audio at a position gets
//!   silence there, so both channels follow wall time.
//! - Pause: from the pause to the resume instant both channels are written as silence (the
//!   time line goes on), the relay stops queuing frames, and the span is listed in
//!   [`RecordingSummary::paused`].
//! - Stop: everything is written up to the stop instant (or the end of the last audio, if
//!   later): a side that stopped sending is silence to the end, so the file keeps time with
//!   the call and 02:13 into the file is 02:13 into the recorded part of the call.
//!
//! # Crash safety
//! The file is created with `create_new` (a recording never overwrites anything) and its
//! header is on disk at once; the header is rewritten with the current sizes about once a
//! second, audio goes out in writes of at most half a second, and the file
//! is fsynced when finished. After a crash the header may be stale (sizes of the last flush, or
//! zero in the first second): [`repair`] recomputes them from the file length.

mod align;
#[cfg(test)]
mod quality_tests;
mod repair;
mod ring;
mod tap;
mod wav;
mod writer;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

pub use repair::{repair, RepairOutcome};
pub(crate) use tap::{Channel, Tap, TapParts};
pub(crate) use writer::start;

/// Sample rate of every recording.
pub const SAMPLE_RATE: u32 = 8000;
/// Channels of every recording: caller left, what the caller hears right.
pub const CHANNELS: u16 = 2;

/// How a recording is made. Every field has a default that suits a phone call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingOptions {
    /// 20 ms frames the ring between the relay and the writer holds (both channels together,
    /// 100 frames per second). Default 256, about 2.5 s of disk stall, 46 KiB per recording;
    /// at least one 60 ms frame, at most 8 MiB.
    pub queue_frames: usize,
    /// How long the writer waits for reordered packets before writing. Default 160 ms.
    pub jitter: Duration,
    /// How often the WAV header is brought up to date on disk. Default 1 s.
    pub flush_every: Duration,
}

impl Default for RecordingOptions {
    fn default() -> Self {
        Self {
            queue_frames: 256,
            jitter: Duration::from_millis(160),
            flush_every: Duration::from_secs(1),
        }
    }
}

/// A span during which the recording was paused (silence in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PausedSpan {
    /// Start, in milliseconds from the start of the file.
    pub offset_ms: u64,
    /// Length in milliseconds.
    pub length_ms: u64,
}

/// What a finished recording is, for the CRM row and for checking the file later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingSummary {
    pub path: PathBuf,
    /// Wall-clock time of sample 0.
    pub started: SystemTime,
    /// Length of the audio, from the number of samples written.
    pub duration: Duration,
    /// File size in bytes.
    pub bytes: u64,
    pub sample_rate: u32,
    pub channels: u16,
    /// SHA-256 of the final file, lowercase hex; `None` if it could not be read back.
    pub sha256: Option<String>,
    pub paused: Vec<PausedSpan>,
    /// RTP frames whose audio went into the file.
    pub frames_written: u64,
    /// Frames lost because the ring to the writer was full (the disk or writer was slow).
    pub frames_dropped: u64,
    /// Frames that arrived after their place in the file was written (or were unusable).
    pub frames_late: u64,
    /// Packets not recorded as audio: non-G.711 payload types, oversized or malformed RTP.
    pub frames_skipped: u64,
    /// Of the skipped, RTP packets in a codec the recorder cannot decode (not events or
    /// comfort noise): audio that is missing from the file.
    pub frames_undecodable: u64,
    /// Of the skipped, ZRTP packets (RFC 6189): the ends agreed or tried to agree on keys in
    /// the media path, so what follows may be encrypted audio that decodes to noise.
    pub frames_zrtp: u64,
    /// Frames written on the left (caller) and right channel.
    pub frames_per_channel: [u64; 2],
    /// Frames received after a disk error had ended the writing.
    pub frames_discarded: u64,
    /// Set when writing failed (disk full, I/O error): the file holds what was written
    /// before; the relay was not affected.
    pub error: Option<String>,
}

/// Whether a finished recording holds the call's audio (issue #15: a row must never say
/// `complete` for a file that is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingQuality {
    /// Audio of both sides (or of the one side expected) for the whole recorded time.
    Complete,
    /// Some audio is in the file, some is missing; the reason says which.
    Partial(String),
    /// The file holds no usable audio (or writing failed); the reason says why.
    Failed(String),
}

impl RecordingSummary {
    /// True if the whole recording reached the disk without error.
    pub fn is_complete(&self) -> bool {
        self.error.is_none()
    }

    /// What the file holds. `two_way`: audio is expected on both channels (a call between
    /// two parties); a caller's message has only the caller's.
    pub fn quality(&self, two_way: bool) -> RecordingQuality {
        if let Some(e) = &self.error {
            return RecordingQuality::Failed(format!("writing failed: {e}"));
        }
        if self.frames_zrtp > 0 {
            return RecordingQuality::Failed(format!(
                "ZRTP key agreement in the media ({} packets): the audio is likely encrypted end \
                 to end",
                self.frames_zrtp
            ));
        }
        let undecodable = self.frames_undecodable;
        if self.frames_written == 0 {
            return RecordingQuality::Failed(if undecodable > 0 {
                format!("no audio the recorder can decode ({undecodable} packets of another codec)")
            } else {
                "no audio received".to_string()
            });
        }
        if undecodable > 0 {
            return RecordingQuality::Partial(format!(
                "{undecodable} packets of a codec the recorder cannot decode"
            ));
        }
        match self.frames_per_channel {
            [0, _] if two_way => {
                RecordingQuality::Partial("one-way: no audio from the caller".into())
            }
            [_, 0] if two_way => {
                RecordingQuality::Partial("one-way: no audio towards the caller".into())
            }
            _ => RecordingQuality::Complete,
        }
    }
}

/// Why a recording could not start, or a file could not be repaired.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    #[error("{0} already exists: recordings never overwrite a file")]
    Exists(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a WAV file that can be repaired: {reason}")]
    NotWav { path: PathBuf, reason: &'static str },
    #[error("the session is already recording")]
    AlreadyRecording,
    #[error("the relay session is closed")]
    SessionClosed,
    #[error("cannot start the recorder thread: {0}")]
    Thread(std::io::Error),
}
