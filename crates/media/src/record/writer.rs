//! The recorder thread: one thread for every recording of the process owns their WAV writers,
//! polls their frame rings every [`POLL_EVERY`], runs each [`Aligner`], keeps the headers
//! current on disk; a finished recording is finalized (fsync, SHA-256) on a short-lived thread
//! of its own so the others are not held up, and reports its [`RecordingSummary`].
//! One thread rather than one per recording: wake-ups were most of the recorder's CPU cost.
//! Disk errors end the writing (recorded in the summary), never the thread's loop: frames are
//! still taken off the queue, so the relay side never notices.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use super::align::{Aligner, SampleSink};
use super::ring::{record_words, ring, Consumer};
use super::tap::{Frame, Reply, TapParts, WriterControl};
use super::wav::WavOut;
use super::{RecordError, RecordingOptions, RecordingSummary, CHANNELS, SAMPLE_RATE};
use crate::relay::MediaEvent;

/// How often the recorder thread looks at the frame rings. Pause, resume and stop are seen at
/// the next look too (a stop waits up to this long); the default ring holds 2.5 s.
///
/// The trade-off: a longer interval means fewer looks per recording (the fixed cost of a look:
/// its ring, aligner and file state out of cache) but more audio held in memory (the aligner
/// holds the jitter window plus one interval, 8 KiB per recording at 100 ms) and slower stops.
/// Measured at 500 calls (docs/benchmarks.md): 200 ms cost 0.43–0.66 µs of recorder CPU per
/// packet against 0.51–0.55 µs at 100 ms, inside the noise, so 100 ms stays.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Create the file (never over an existing one) and hand the recording to the recorder thread;
/// the returned parts go to the relay task, which makes them a `Tap`.
pub(crate) async fn start(path: PathBuf, opts: RecordingOptions) -> Result<TapParts, RecordError> {
    let started = (Instant::now(), SystemTime::now());
    let file_path = path.clone();
    let (wav, file) = tokio::task::spawn_blocking(move || open(&file_path))
        .await
        .map_err(|_| RecordError::SessionClosed)??;
    // Sized for 20 ms frames; a ring always takes at least one 60 ms frame.
    let (frames_tx, frames) = ring(opts.queue_frames.max(1) * record_words(160));
    let (control_tx, control) = mpsc::channel();
    let rec = Recording::new(path, wav, Some(file), started, opts);
    submit(Job {
        rec,
        frames,
        control,
    })?;
    Ok(TapParts {
        frames: frames_tx,
        start: started.0,
        control: control_tx,
    })
}

/// A recording the recorder thread looks after.
struct Job {
    rec: Recording<File>,
    frames: Consumer,
    control: Receiver<WriterControl>,
}

/// The recorder thread's inbox, started with the first recording.
static RECORDER: Mutex<Option<mpsc::Sender<Job>>> = Mutex::new(None);

fn submit(job: Job) -> Result<(), RecordError> {
    let mut inbox = RECORDER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let job = match inbox.as_ref() {
        Some(tx) => match tx.send(job) {
            Ok(()) => return Ok(()),
            // The thread is gone (it cannot be, short of a panic): start another.
            Err(mpsc::SendError(job)) => job,
        },
        None => job,
    };
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("recorder".into())
        .spawn(move || recorder_thread(&rx))
        .map_err(RecordError::Thread)?;
    tx.send(job)
        .map_err(|_| RecordError::Thread(std::io::Error::other("recorder thread stopped")))?;
    *inbox = Some(tx);
    Ok(())
}

/// Every [`POLL_EVERY`]: take new recordings, then give each a [`Recording::step`].
fn recorder_thread(inbox: &Receiver<Job>) {
    let mut jobs: Vec<Job> = Vec::new();
    loop {
        let next = Instant::now() + POLL_EVERY;
        loop {
            match inbox.recv_timeout(next.saturating_duration_since(Instant::now())) {
                Ok(job) => jobs.push(job),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) if jobs.is_empty() => return,
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                    break;
                }
            }
        }
        let mut i = 0;
        while i < jobs.len() {
            let job = &mut jobs[i];
            match job.rec.step(&mut job.frames, &job.control) {
                None => i += 1,
                Some(stop) => {
                    let Job {
                        mut rec,
                        mut frames,
                        ..
                    } = jobs.swap_remove(i);
                    // Finalizing waits on the disk (fsync, reading the file back for its
                    // SHA-256): not on the thread the other recordings need.
                    let finish = move || {
                        rec.take_frames(&mut frames);
                        rec.finish(stop);
                    };
                    if let Err(e) = std::thread::Builder::new()
                        .name("recording-end".into())
                        .spawn(finish)
                    {
                        tracing::error!(error = %e, "no thread to finish a recording");
                    }
                }
            }
        }
    }
}

pub(super) fn open(path: &Path) -> Result<(WavOut<File>, File), RecordError> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => RecordError::Exists(path.to_owned()),
            _ => RecordError::Io {
                path: path.to_owned(),
                source,
            },
        })?;
    let io = |source| RecordError::Io {
        path: path.to_owned(),
        source,
    };
    let sync_handle = file.try_clone().map_err(io)?;
    // The header goes to disk now, not with the first second of audio: a crash at any time
    // leaves a WAV file.
    let wav = WavOut::new(file).map_err(io)?;
    Ok((wav, sync_handle))
}

/// The WAV writer until the first error; afterwards samples are ignored.
struct WavSink<W: Write + Seek> {
    wav: Option<WavOut<W>>,
    error: Option<String>,
}

impl<W: Write + Seek> WavSink<W> {
    fn fail(&mut self, what: &str, e: impl std::fmt::Display) {
        if self.error.is_none() {
            self.error = Some(format!("{what}: {e}"));
        }
        // The header keeps the sizes of the last flush; `repair` makes the file whole.
        self.wav = None;
    }

    fn flush(&mut self) {
        if let Some(wav) = &mut self.wav {
            if let Err(e) = wav.flush() {
                self.fail("flush", e);
            }
        }
    }
}

impl<W: Write + Seek> SampleSink for WavSink<W> {
    fn pairs(&mut self, pairs: &[[i16; 2]]) {
        let Some(wav) = &mut self.wav else { return };
        if let Err(e) = wav.pairs(pairs) {
            self.fail("write", e);
        }
    }
}

struct Stop {
    at: Instant,
    dropped: u64,
    skipped: u64,
    undecodable: u64,
    zrtp: u64,
    reply: Option<Reply>,
}

pub(crate) struct Recording<W: Write + Seek> {
    path: PathBuf,
    sink: WavSink<W>,
    /// Handle on the file for fsync after the writer has finished with it.
    file: Option<File>,
    aligner: Aligner,
    /// Where records are read into from the ring, one at a time.
    frame: Box<Frame>,
    started: SystemTime,
    flush_every: Duration,
    /// When the header is next brought up to date on disk.
    next_flush: Instant,
    discarded: u64,
}

impl<W: Write + Seek> Recording<W> {
    fn new(
        path: PathBuf,
        wav: WavOut<W>,
        file: Option<File>,
        (start, started): (Instant, SystemTime),
        opts: RecordingOptions,
    ) -> Self {
        Self {
            path,
            sink: WavSink {
                wav: Some(wav),
                error: None,
            },
            file,
            aligner: Aligner::new(start, opts.jitter),
            frame: Box::new(Frame::empty(start)),
            started,
            flush_every: opts.flush_every,
            next_flush: Instant::now() + opts.flush_every,
            discarded: 0,
        }
    }

    /// Run this recording alone on the calling thread until it stops (tests).
    #[cfg(test)]
    fn run(mut self, frames: &mut Consumer, control: &Receiver<WriterControl>) {
        loop {
            std::thread::sleep(POLL_EVERY);
            if let Some(stop) = self.step(frames, control) {
                self.take_frames(frames);
                self.finish(stop);
                return;
            }
        }
    }

    /// One look: take the control messages (only when the ring signals some) and the queued
    /// frames, write what is settled, bring the header up to date when due. `Some` when the
    /// recording is to stop (the caller takes the last frames and finishes it).
    fn step(&mut self, frames: &mut Consumer, control: &Receiver<WriterControl>) -> Option<Stop> {
        {
            let mut inbox: Vec<WriterControl> = Vec::new();
            let mut disconnected = false;
            if frames.take_signal() {
                loop {
                    match control.try_recv() {
                        Ok(msg) => inbox.push(msg),
                        Err(TryRecvError::Empty) => break,
                        // Only once every message was received.
                        Err(TryRecvError::Disconnected) => {
                            disconnected = true;
                            break;
                        }
                    }
                }
            }
            // Frames after control: a frame queued after a resume is seen with it.
            self.take_frames(frames);
            let mut stop = None;
            for msg in inbox.drain(..) {
                match msg {
                    WriterControl::Pause(at) => self.aligner.pause(at),
                    WriterControl::Resume(at) => self.aligner.resume(at),
                    WriterControl::Stop {
                        at,
                        dropped,
                        skipped,
                        undecodable,
                        zrtp,
                        reply,
                    } => {
                        stop = Some(Stop {
                            at,
                            dropped,
                            skipped,
                            undecodable,
                            zrtp,
                            reply: Some(reply),
                        })
                    }
                }
            }
            if stop.is_none() && disconnected {
                // The tap vanished without a stop (never installed): keep what there is.
                stop = Some(Stop {
                    at: Instant::now(),
                    dropped: 0,
                    skipped: 0,
                    undecodable: 0,
                    zrtp: 0,
                    reply: None,
                });
            }
            if stop.is_some() {
                return stop;
            }
            self.aligner.commit(&mut self.sink);
            let now = Instant::now();
            if now >= self.next_flush {
                self.sink.flush();
                self.next_flush = now + self.flush_every;
            }
            None
        }
    }

    fn take_frames(&mut self, frames: &mut Consumer) {
        let start = self.aligner.start();
        let (aligner, sink, discarded) = (&mut self.aligner, &mut self.sink, &mut self.discarded);
        frames.drain(start, &mut self.frame, |frame| {
            if sink.wav.is_some() {
                aligner.push(frame, sink);
            } else {
                *discarded += 1;
            }
        });
    }

    fn finish(mut self, stop: Stop) {
        if matches!(stop.reply, Some(Reply::Discard)) {
            drop(self.sink.wav.take());
            let _ = std::fs::remove_file(&self.path);
            return;
        }
        self.aligner.finish(stop.at, &mut self.sink);
        if let Some(mut wav) = self.sink.wav.take() {
            if let Err(e) = wav.flush() {
                self.sink.fail("finalize", e);
            }
        }
        if let Some(file) = self.file.take() {
            if let Err(e) = file.sync_all() {
                self.sink.fail("fsync", e);
            }
        }
        let (bytes, sha256) = match hash_file(&self.path) {
            Ok((bytes, sha)) => (bytes, Some(sha)),
            Err(_) => (0, None),
        };
        let counters = self.aligner.counters;
        let summary = RecordingSummary {
            path: self.path.clone(),
            started: self.started,
            duration: Duration::from_nanos(
                self.aligner.written() * 1_000_000_000 / u64::from(SAMPLE_RATE),
            ),
            bytes,
            sample_rate: SAMPLE_RATE,
            channels: CHANNELS,
            sha256,
            paused: self.aligner.paused_spans(),
            frames_written: counters.placed,
            frames_dropped: stop.dropped,
            frames_late: counters.late,
            frames_skipped: stop.skipped,
            frames_undecodable: stop.undecodable,
            frames_zrtp: stop.zrtp,
            frames_per_channel: self.aligner.placed_per_channel(),
            frames_discarded: self.discarded,
            error: self.sink.error.clone(),
        };
        if let Some(e) = &summary.error {
            tracing::warn!(path = %self.path.display(), error = %e, "recording failed");
        }
        match stop.reply {
            Some(Reply::Caller(tx)) => {
                let _ = tx.send(summary);
            }
            Some(Reply::Event { label, events }) => {
                let _ = events.send(MediaEvent::RecordingFinished {
                    label,
                    summary: Box::new(summary),
                });
            }
            Some(Reply::Discard) | None => {}
        }
    }
}

/// Size and SHA-256 (lowercase hex) of a file.
fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    let mut hex = String::with_capacity(64);
    for b in hasher.finalize() {
        let _ = write!(hex, "{b:02x}");
    }
    Ok((bytes, hex))
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
