//! Call recording through a real relay session on loopback: two phones send tones, the WAV
//! is read back with hound and checked with Goertzel. Every wait is bounded.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use media::rtp::RtpHeader;
use media::{
    goertzel, record, tone, Codec, MediaEvent, MediaRelay, Prompt, RecordError, RecordingOptions,
    RelayConfig, RelaySession, Side, StrictSource,
};
use sha2::{Digest, Sha256};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{interval, timeout, MissedTickBehavior};

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const RATE: usize = 8000;

fn free_range(len: u16) -> (u16, u16) {
    testkit::free_udp_range(40000, len)
}

/// A directory for one test's files, removed at the end.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("sb-recording-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A session between two loopback phones, both sides' remotes set.
struct Call {
    session: RelaySession,
    a: UdpSocket,
    b: UdpSocket,
    events: mpsc::UnboundedReceiver<MediaEvent>,
}

impl Call {
    async fn new() -> Self {
        let (port_min, port_max) = free_range(8);
        let relay = MediaRelay::new(RelayConfig {
            bind_ip: LO,
            advertise_ip: LO,
            port_min,
            port_max,
            strict_source: StrictSource::default(),
        })
        .unwrap();
        let (tx, events) = mpsc::unbounded_channel();
        let session = relay.allocate(7, tx).await.unwrap();
        let a = UdpSocket::bind((LO, 0)).await.unwrap();
        let b = UdpSocket::bind((LO, 0)).await.unwrap();
        session.set_remote(Side::A, a.local_addr().unwrap(), None);
        session.set_remote(Side::B, b.local_addr().unwrap(), None);
        Self {
            session,
            a,
            b,
            events,
        }
    }

    fn relay_addr(&self, side: Side) -> SocketAddr {
        SocketAddr::new(LO, self.session.local_port(side))
    }

    /// Send packet `n` of a phone's tone stream (20 ms frames, PCMU).
    async fn send(&self, side: Side, stream: &Stream, n: usize) {
        let sock = match side {
            Side::A => &self.a,
            Side::B => &self.b,
        };
        sock.send_to(&stream.packet(n), self.relay_addr(side))
            .await
            .unwrap();
    }
}

/// A phone's RTP: a continuous tone cut in 20 ms PCMU frames.
struct Stream {
    pcmu: Vec<u8>,
    ssrc: u32,
    ts0: u32,
}

impl Stream {
    fn new(freq: f64, ms: u32, ssrc: u32, ts0: u32) -> Self {
        let samples = tone::sine(freq, 8000.0, tone::samples_for_ms(ms));
        let pcmu = samples.iter().map(|&s| Codec::Pcmu.encode(s)).collect();
        Self { pcmu, ssrc, ts0 }
    }

    fn packet(&self, n: usize) -> Vec<u8> {
        let header = RtpHeader {
            marker: n == 0,
            payload_type: 0,
            sequence: n as u16,
            timestamp: self.ts0.wrapping_add(160 * n as u32),
            ssrc: self.ssrc,
        };
        let mut out = vec![0; 200];
        let len = header
            .write(&self.pcmu[n * 160..(n + 1) * 160], &mut out)
            .unwrap();
        out.truncate(len);
        out
    }
}

/// Left and right channels of a recording.
fn read_wav(path: &Path) -> (Vec<i16>, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 8000, 16)
    );
    let all: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
    let left = all.iter().step_by(2).copied().collect();
    let right = all.iter().skip(1).step_by(2).copied().collect();
    (left, right)
}

fn mean_square(s: &[i16]) -> f64 {
    s.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / s.len().max(1) as f64
}

/// `freq` dominates `other` in these samples, with real energy.
fn dominant(samples: &[i16], freq: f64, other: f64) -> bool {
    let p = goertzel::power(freq, samples);
    p > 1e6 && p > 100.0 * goertzel::power(other, samples)
}

fn ms(n: usize) -> usize {
    n * RATE / 1000
}

fn sha256_hex(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Send both phones' frames every 20 ms; `b_skips` are B's lost packets.
async fn talk(call: &Call, a: &Stream, b: &Stream, frames: usize, b_skips: std::ops::Range<usize>) {
    let mut tick = interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    for n in 0..frames {
        tick.tick().await;
        call.send(Side::A, a, n).await;
        if !b_skips.contains(&n) {
            call.send(Side::B, b, n).await;
        }
    }
}

/// Let the relay take the last packets off its sockets: a stop or close is handled before
/// packets that were still queued in the kernel.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(60)).await;
}

#[tokio::test]
async fn caller_left_callee_right_in_sync_with_a_gap() {
    let dir = TempDir::new("sync");
    let path = dir.file("call.wav");
    let call = Call::new().await;
    call.session
        .start_recording(path.clone(), RecordingOptions::default())
        .await
        .unwrap();
    let a = Stream::new(1000.0, 2000, 0x1111, 4_000_000_000);
    let b = Stream::new(440.0, 2000, 0x2222, 77);
    // B loses 200 ms (packets 50..60) one second in.
    talk(&call, &a, &b, 100, 50..60).await;
    settle().await;
    let summary = timeout(Duration::from_secs(5), call.session.stop_recording())
        .await
        .unwrap()
        .expect("a recording was running");

    assert_eq!(summary.path, path);
    assert!(summary.is_complete(), "{:?}", summary.error);
    assert_eq!((summary.sample_rate, summary.channels), (8000, 2));
    let d = summary.duration.as_millis() as i64;
    assert!((d - 2000).abs() <= 100, "duration {d} ms");
    assert_eq!(summary.frames_written, 190);
    assert_eq!((summary.frames_dropped, summary.frames_late), (0, 0));
    assert_eq!(summary.bytes, std::fs::metadata(&path).unwrap().len());
    assert_eq!(summary.sha256.as_deref(), Some(sha256_hex(&path).as_str()));
    assert!(summary.paused.is_empty());

    let (left, right) = read_wav(&path);
    assert_eq!(left.len() as u128, summary.duration.as_nanos() / 125_000);
    assert!(dominant(&left[ms(100)..ms(1900)], 1000.0, 440.0));
    assert!(dominant(&right[ms(100)..ms(900)], 440.0, 1000.0));
    assert!(dominant(&right[ms(1300)..ms(1900)], 440.0, 1000.0));
    // The gap is silence on the right, where B's packets 50..60 belonged (B's audio starts
    // where its first packet was placed), while the left goes on.
    let b0 = right.iter().position(|&s| s != 0).unwrap();
    let gap = &right[b0 + ms(1000) + ms(20)..b0 + ms(1200) - ms(20)];
    assert!(mean_square(gap) < 1.0, "gap energy {}", mean_square(gap));
    assert!(dominant(&left[b0 + ms(1000)..b0 + ms(1200)], 1000.0, 440.0));
    assert!(b0 < ms(100), "B starts {b0} samples in");
    assert_eq!(call.session.stats().await.recording_dropped, 0);
}

#[tokio::test]
async fn pause_silences_both_channels_and_is_listed() {
    let dir = TempDir::new("pause");
    let path = dir.file("call.wav");
    let call = Call::new().await;
    call.session
        .start_recording(path.clone(), RecordingOptions::default())
        .await
        .unwrap();
    let a = Stream::new(1000.0, 1600, 1, 0);
    let b = Stream::new(440.0, 1600, 2, 0);
    talk(&call, &a, &b, 25, 0..0).await;
    call.session.pause_recording();
    // The card number is read out: both phones keep talking for 400 ms.
    let mut tick = interval(Duration::from_millis(20));
    for n in 25..45 {
        tick.tick().await;
        call.send(Side::A, &a, n).await;
        call.send(Side::B, &b, n).await;
    }
    call.session.resume_recording();
    for n in 45..80 {
        tick.tick().await;
        call.send(Side::A, &a, n).await;
        call.send(Side::B, &b, n).await;
    }
    settle().await;
    let summary = call.session.stop_recording().await.unwrap();
    assert_eq!(summary.paused.len(), 1);
    let span = summary.paused[0];
    assert!((span.offset_ms as i64 - 500).abs() <= 60, "{span:?}");
    assert!((span.length_ms as i64 - 400).abs() <= 60, "{span:?}");
    let (left, right) = read_wav(&path);
    // Whole milliseconds inside the span (the summary rounds its ends down).
    let (from, to) = (
        ms(span.offset_ms as usize + 1),
        ms((span.offset_ms + span.length_ms) as usize),
    );
    assert!(left[from..to]
        .iter()
        .chain(&right[from..to])
        .all(|&s| s == 0));
    assert!(dominant(&left[ms(100)..from], 1000.0, 440.0));
    assert!(dominant(&right[to + ms(100)..to + ms(500)], 440.0, 1000.0));
    assert!(dominant(&left[to + ms(100)..to + ms(500)], 1000.0, 440.0));
}

#[tokio::test]
async fn prompts_played_to_the_caller_are_recorded_on_the_right() {
    let dir = TempDir::new("ivr");
    let path = dir.file("ivr.wav");
    let mut call = Call::new().await;
    call.session
        .start_recording(path.clone(), RecordingOptions::default())
        .await
        .unwrap();
    call.session
        .play(vec![Arc::new(Prompt::tone(440.0, 600))], Codec::Pcmu);
    let a = Stream::new(1000.0, 600, 5, 0);
    let mut tick = interval(Duration::from_millis(20));
    for n in 0..30 {
        tick.tick().await;
        call.send(Side::A, &a, n).await;
    }
    let done = timeout(Duration::from_secs(3), call.events.recv())
        .await
        .unwrap();
    assert!(
        matches!(done, Some(MediaEvent::PlaybackDone { .. })),
        "{done:?}"
    );
    let summary = call.session.stop_recording().await.unwrap();
    assert!(summary.frames_written >= 55, "{summary:?}");
    let (left, right) = read_wav(&path);
    assert!(dominant(&left[ms(100)..ms(500)], 1000.0, 440.0));
    assert!(dominant(&right[ms(100)..ms(500)], 440.0, 1000.0));
}

/// Music played to one side while the other keeps sending (an agent holding, or talking to a
/// colleague in a consultation): the recording has the side played to and the music it hears,
/// never the other side's voice mixed into the music's channel; played to A, then to B.
#[tokio::test]
async fn music_to_one_side_keeps_the_other_sides_voice_out_of_the_recording() {
    for played_to in [Side::A, Side::B] {
        let dir = TempDir::new("hold");
        let path = dir.file("hold.wav");
        let call = Call::new().await;
        call.session
            .start_recording(path.clone(), RecordingOptions::default())
            .await
            .unwrap();
        call.session.endpoint_side(played_to);
        call.session
            .play_looping(vec![Arc::new(Prompt::tone(300.0, 200))], Codec::Pcmu);
        let a = Stream::new(1000.0, 1000, 11, 0);
        let b = Stream::new(440.0, 1000, 12, 0);
        talk(&call, &a, &b, 50, 0..0).await;
        settle().await;
        let summary = call.session.stop_recording().await.unwrap();
        assert!(summary.is_complete(), "{:?}", summary.error);
        let (left, right) = read_wav(&path);
        let (voice, music) = match played_to {
            Side::A => (&left, &right),
            Side::B => (&right, &left),
        };
        let (speaks, silent) = match played_to {
            Side::A => (1000.0, 440.0),
            Side::B => (440.0, 1000.0),
        };
        assert!(
            dominant(&voice[ms(100)..ms(800)], speaks, 300.0),
            "{played_to:?} speaks on its channel"
        );
        assert!(
            dominant(&music[ms(100)..ms(800)], 300.0, silent),
            "{played_to:?} hears the music and nothing of the other side"
        );
        assert!(
            goertzel::power(silent, &left[ms(100)..ms(800)]) < 1e5
                && goertzel::power(silent, &right[ms(100)..ms(800)]) < 1e5,
            "the side not played to is in neither channel"
        );
    }
}

#[tokio::test]
async fn never_overwrites_and_one_recording_at_a_time() {
    let dir = TempDir::new("overwrite");
    let existing = dir.file("existing.wav");
    std::fs::write(&existing, b"precious").unwrap();
    let call = Call::new().await;
    let err = call
        .session
        .start_recording(existing.clone(), RecordingOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(err, RecordError::Exists(ref p) if *p == existing),
        "{err}"
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    assert!(call.session.stop_recording().await.is_none());

    let first = dir.file("first.wav");
    let second = dir.file("second.wav");
    let opts = RecordingOptions::default();
    call.session
        .start_recording(first.clone(), opts)
        .await
        .unwrap();
    let err = call
        .session
        .start_recording(second.clone(), opts)
        .await
        .unwrap_err();
    assert!(matches!(err, RecordError::AlreadyRecording), "{err}");
    // The refused recording's file is removed once its writer hears it.
    for _ in 0..50 {
        if !second.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!second.exists());
    assert_eq!(call.session.stop_recording().await.unwrap().path, first);
}

#[tokio::test]
async fn a_crash_snapshot_is_unreadable_until_repaired() {
    let dir = TempDir::new("crash");
    let path = dir.file("call.wav");
    let call = Call::new().await;
    // No header update during the test: what a crash in the first second leaves.
    let opts = RecordingOptions {
        flush_every: Duration::from_secs(3600),
        ..RecordingOptions::default()
    };
    call.session
        .start_recording(path.clone(), opts)
        .await
        .unwrap();
    let a = Stream::new(1000.0, 1400, 1, 0);
    let b = Stream::new(440.0, 1400, 2, 0);
    talk(&call, &a, &b, 70, 0..0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The machine dies now: the disk holds what the copy holds.
    let crashed = dir.file("crashed.wav");
    std::fs::copy(&path, &crashed).unwrap();
    let before = hound::WavReader::open(&crashed)
        .map(|r| r.len())
        .unwrap_or(0);
    assert_eq!(before, 0, "stale header: nothing playable yet");

    let outcome = record::repair(&crashed).unwrap();
    assert!(outcome.changed);
    // What reached the disk: everything but the writer's last buffer (at most 0.5 s).
    assert!(
        outcome.duration >= Duration::from_millis(500),
        "{outcome:?}"
    );
    let (left, right) = read_wav(&crashed);
    assert_eq!(left.len() as u64, outcome.data_bytes / 4);
    assert_eq!(left.len() as u128, outcome.duration.as_nanos() / 125_000);
    assert!(dominant(&left[ms(100)..ms(450)], 1000.0, 440.0));
    assert!(dominant(&right[ms(100)..ms(450)], 440.0, 1000.0));

    // The real recording finishes normally, needs no repair, and begins with exactly the
    // audio the repaired copy holds.
    let summary = call.session.stop_recording().await.unwrap();
    assert!(summary.is_complete());
    assert!(!record::repair(&path).unwrap().changed);
    let (final_left, final_right) = read_wav(&path);
    assert_eq!(&final_left[..left.len()], &left[..]);
    assert_eq!(&final_right[..right.len()], &right[..]);
}

#[tokio::test]
async fn a_full_queue_drops_frames_counted_and_relays_every_packet() {
    let dir = TempDir::new("full");
    let path = dir.file("call.wav");
    let call = Call::new().await;
    let opts = RecordingOptions {
        queue_frames: 2,
        ..RecordingOptions::default()
    };
    call.session
        .start_recording(path.clone(), opts)
        .await
        .unwrap();
    let a = Stream::new(1000.0, 1000, 1, 0);
    // A burst far faster than the writer drains the queue.
    for n in 0..50 {
        call.send(Side::A, &a, n).await;
    }
    let mut buf = [0u8; 512];
    for _ in 0..50 {
        timeout(Duration::from_secs(2), call.b.recv_from(&mut buf))
            .await
            .expect("every packet is relayed")
            .unwrap();
    }
    let summary = call.session.stop_recording().await.unwrap();
    assert!(summary.frames_dropped > 0, "{summary:?}");
    assert_eq!(
        summary.frames_written + summary.frames_dropped + summary.frames_late,
        50
    );
    let stats = call.session.stats().await;
    assert_eq!(stats.a_to_b.rtp.packets, 50);
    assert_eq!(stats.recording_dropped, summary.frames_dropped);
}

#[tokio::test]
async fn closing_the_session_finishes_the_recording_and_reports_it() {
    let dir = TempDir::new("close");
    let path = dir.file("call.wav");
    let mut call = Call::new().await;
    call.session
        .start_recording(path.clone(), RecordingOptions::default())
        .await
        .unwrap();
    let a = Stream::new(1000.0, 400, 1, 0);
    let b = Stream::new(440.0, 400, 2, 0);
    talk(&call, &a, &b, 20, 0..0).await;
    settle().await;
    call.session.close().await;
    let event = timeout(Duration::from_secs(3), call.events.recv())
        .await
        .unwrap()
        .unwrap();
    let MediaEvent::RecordingFinished { label, summary } = event else {
        panic!("unexpected event {event:?}");
    };
    assert_eq!((label, summary.path.as_path()), (7, path.as_path()));
    assert_eq!(summary.frames_written, 40);
    assert_eq!(summary.sha256.as_deref(), Some(sha256_hex(&path).as_str()));
    let (left, _) = read_wav(&path);
    assert!(dominant(&left[ms(50)..ms(350)], 1000.0, 440.0));
}
