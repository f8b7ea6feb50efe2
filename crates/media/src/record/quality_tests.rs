//! Issue #15: a recording that holds no (or only some) audio is never `Complete`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::{RecordingQuality, RecordingSummary};

fn summary(per_channel: [u64; 2], undecodable: u64) -> RecordingSummary {
    RecordingSummary {
        path: PathBuf::from("r.wav"),
        started: SystemTime::UNIX_EPOCH,
        duration: Duration::from_secs(20),
        bytes: 44 + 20 * 32_000,
        sample_rate: 8000,
        channels: 2,
        sha256: None,
        paused: Vec::new(),
        frames_written: per_channel[0] + per_channel[1],
        frames_dropped: 0,
        frames_late: 0,
        frames_skipped: undecodable,
        frames_discarded: 0,
        frames_undecodable: undecodable,
        frames_zrtp: 0,
        frames_per_channel: per_channel,
        error: None,
    }
}

#[test]
fn audio_on_both_channels_is_complete() {
    assert_eq!(
        summary([350, 1000], 0).quality(true),
        RecordingQuality::Complete
    );
}

#[test]
fn only_another_codec_is_failed_with_the_reason() {
    // Two Linphones that agreed on opus: every packet skipped, nothing written.
    assert_eq!(
        summary([0, 0], 1000).quality(true),
        RecordingQuality::Failed(
            "no audio the recorder can decode (1000 packets of another codec)".into()
        )
    );
    assert_eq!(
        summary([0, 0], 0).quality(true),
        RecordingQuality::Failed("no audio received".into())
    );
}

#[test]
fn some_undecodable_audio_or_one_silent_side_is_partial() {
    assert!(matches!(
        summary([500, 500], 3).quality(true),
        RecordingQuality::Partial(r) if r.contains("3 packets")
    ));
    assert_eq!(
        summary([0, 1000], 0).quality(true),
        RecordingQuality::Partial("one-way: no audio from the caller".into())
    );
    // A caller's message has no other side.
    assert_eq!(
        summary([1000, 0], 0).quality(false),
        RecordingQuality::Complete
    );
}

#[test]
fn a_write_error_is_failed() {
    let mut s = summary([500, 500], 0);
    s.error = Some("no space left on device".into());
    assert_eq!(
        s.quality(true),
        RecordingQuality::Failed("writing failed: no space left on device".into())
    );
}

#[test]
fn zrtp_in_the_media_is_failed_even_with_audio_written() {
    // Two ZRTP phones: the Hello/Commit exchange passes, then SRTP with PT 0 decodes to noise.
    let mut s = summary([1000, 1000], 0);
    s.frames_zrtp = 12;
    assert!(matches!(
        s.quality(true),
        RecordingQuality::Failed(r) if r.starts_with("ZRTP key agreement in the media (12 packets)")
    ));
}
