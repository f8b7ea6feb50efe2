use std::io::{Cursor, Seek, SeekFrom, Write};

use tokio::sync::mpsc as tokio_mpsc;

use super::super::tap::{Channel, Tap};
use super::*;
use crate::rtp::RtpHeader;
use tokio::sync::oneshot;

/// A disk that fills up after `limit` bytes; says so on `full` the first time.
struct FullDisk {
    inner: Cursor<Vec<u8>>,
    limit: u64,
    full: Option<mpsc::Sender<()>>,
}

impl Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.inner.position() + buf.len() as u64 > self.limit {
            if let Some(full) = self.full.take() {
                let _ = full.send(());
            }
            return Err(std::io::Error::other("no space left on device"));
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for FullDisk {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn rtp(seq: u16) -> Vec<u8> {
    let header = RtpHeader {
        marker: false,
        payload_type: 0,
        sequence: seq,
        timestamp: u32::from(seq) * 160,
        ssrc: 1,
    };
    let mut out = vec![0; 172];
    let n = header.write(&[0x55; 160], &mut out).expect("fits");
    out.truncate(n);
    out
}

#[test]
fn a_disk_error_ends_the_writing_with_an_error_and_counts_what_followed() {
    let (full_tx, full_rx) = mpsc::channel();
    let disk = FullDisk {
        inner: Cursor::new(Vec::new()),
        limit: 44 + 8000,
        full: Some(full_tx),
    };
    let wav = WavOut::new(disk).expect("header fits");
    let start = Instant::now();
    let rec = Recording::new(
        PathBuf::from("/nonexistent/full-disk.wav"),
        wav,
        None,
        (start, SystemTime::now()),
        RecordingOptions::default(),
    );
    let (frames_tx, mut frames_rx) = ring(256 * record_words(160));
    let (control_tx, control_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || rec.run(&mut frames_rx, &control_rx));
    let (events, _events_rx) = tokio_mpsc::unbounded_channel();
    let parts = TapParts {
        frames: frames_tx,
        start,
        control: control_tx,
    };
    let mut tap = Tap::new(parts, 1, events);
    for seq in 0..50 {
        tap.record(
            Channel::Left,
            &rtp(seq),
            start + Duration::from_millis(20 * u64::from(seq)),
        );
    }
    // The writer takes these, writes past the limit and fails.
    full_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the writer reaches the end of the disk");
    for seq in 50..80 {
        tap.record(
            Channel::Left,
            &rtp(seq),
            start + Duration::from_millis(20 * u64::from(seq)),
        );
    }
    let (tx, rx) = oneshot::channel();
    tap.stop(Some(tx));
    let summary = rx.blocking_recv().expect("summary despite the error");
    thread.join().expect("writer thread does not panic");
    let error = summary.error.as_deref().unwrap_or_default();
    assert!(error.contains("no space left"), "error: {error:?}");
    assert!(!summary.is_complete());
    assert_eq!(summary.frames_written, 50);
    assert_eq!(summary.frames_discarded, 30);
    assert_eq!(summary.frames_dropped, 0);
    assert_eq!(summary.sha256, None);
}

#[test]
fn a_tap_that_was_never_installed_ends_the_recording() {
    let start = Instant::now();
    let rec = Recording::new(
        PathBuf::from("/nonexistent/never-installed.wav"),
        WavOut::new(Cursor::new(Vec::new())).expect("header"),
        None,
        (start, SystemTime::now()),
        RecordingOptions::default(),
    );
    let (frames_tx, mut frames_rx) = ring(256 * record_words(160));
    let (control_tx, control_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        rec.run(&mut frames_rx, &control_rx);
        let _ = done_tx.send(());
    });
    // What a session closing with the StartRecording message still queued does.
    drop(TapParts {
        frames: frames_tx,
        start,
        control: control_tx,
    });
    done_rx
        .recv_timeout(POLL_EVERY * 20)
        .expect("the writer stops without a Stop message");
}
