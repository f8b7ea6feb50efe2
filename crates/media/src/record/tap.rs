//! The relay side of a recording: appends each recorded RTP payload with what places it on the
//! time line to the recording's ring (`ring.rs`). Per packet: a header parse, one copy of the
//! payload into preallocated words, one release store. No allocation, no lock, no wake-up of
//! the writer (it polls), never a wait.

use std::sync::mpsc::Sender;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::ring::{FrameHead, Producer};
use super::RecordingSummary;
use crate::g711::Codec;
use crate::relay::{MediaEvent, SessionLabel};
use crate::rtp::RtpPacket;

/// Largest payload recorded: 60 ms of G.711. Longer packets are skipped (counted).
pub(crate) const MAX_PAYLOAD: usize = 480;

/// Which channel of the file a packet belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    /// What the caller says: RTP received from side A.
    Left,
    /// What the caller hears: RTP relayed from B to A, prompts played to A.
    Right,
}

impl Channel {
    pub fn index(self) -> usize {
        match self {
            Channel::Left => 0,
            Channel::Right => 1,
        }
    }
}

/// One RTP packet's audio and what places it on the time line, as the recorder reads it back
/// from the ring (one `Frame` reused for every record).
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    pub arrival: Instant,
    pub timestamp: u32,
    pub ssrc: u32,
    pub len: u16,
    pub codec: Codec,
    pub channel: Channel,
    pub payload: [u8; MAX_PAYLOAD],
}

impl Frame {
    /// A frame to read records into.
    pub fn empty(arrival: Instant) -> Self {
        Frame {
            arrival,
            timestamp: 0,
            ssrc: 0,
            len: 0,
            codec: Codec::Pcmu,
            channel: Channel::Left,
            payload: [0; MAX_PAYLOAD],
        }
    }

    pub fn audio(&self) -> &[u8] {
        &self.payload[..usize::from(self.len)]
    }
}

/// Who gets the summary when a recording ends.
pub(crate) enum Reply {
    /// `stop_recording()` is waiting for it.
    Caller(oneshot::Sender<RecordingSummary>),
    /// The session ended with the recording running: report it as an event.
    Event {
        label: SessionLabel,
        events: mpsc::UnboundedSender<MediaEvent>,
    },
    /// The recording never started (the session was busy or gone): delete the empty file.
    Discard,
}

/// Messages to the writer besides frames; rare. The writer looks at its channel when the
/// ring's signal says there is something (`Producer::signal` after each send).
pub(crate) enum WriterControl {
    Pause(Instant),
    Resume(Instant),
    Stop {
        at: Instant,
        dropped: u64,
        skipped: u64,
        undecodable: u64,
        zrtp: u64,
        reply: Reply,
    },
}

/// The two queue ends a started writer waits on, before a session has taken them.
pub(crate) struct TapParts {
    // Fields drop in order: the channel closes before the dropped producer raises the ring's
    // signal, so the writer that looks then finds the channel closed.
    pub control: Sender<WriterControl>,
    pub frames: Producer,
    /// Sample 0 of the recording: arrivals go into the ring relative to it.
    pub start: Instant,
}

impl TapParts {
    /// The session would not take the recording: remove its (empty) file.
    pub fn discard(self) {
        let _ = self.control.send(WriterControl::Stop {
            at: Instant::now(),
            dropped: 0,
            skipped: 0,
            undecodable: 0,
            zrtp: 0,
            reply: Reply::Discard,
        });
        self.frames.signal();
    }
}

/// What [`Tap::record`] reads on every packet, together on one cache line: with 500 calls
/// the relay's state of a session is out of cache between two packets, and every line
/// touched is a miss (measured: the tap's fields and the ring's header were two of the three
/// misses that made most of the recording cost on the relay thread).
#[repr(C, align(64))]
struct Hot {
    frames: Producer,
    /// Sample 0 of the recording.
    start: Instant,
    paused: bool,
}

/// A running recording as the relay task holds it. Dropping it ends the recording and has the
/// summary reported as [`MediaEvent::RecordingFinished`].
pub(crate) struct Tap {
    hot: Hot,
    /// `None` once the stop was sent.
    control: Option<Sender<WriterControl>>,
    label: SessionLabel,
    events: mpsc::UnboundedSender<MediaEvent>,
    dropped: u64,
    skipped: u64,
    /// Of the skipped, RTP packets of audio the recorder cannot decode (see [`undecodable`]).
    undecodable: u64,
    /// Of the skipped, ZRTP packets (RFC 6189): the two ends are agreeing on keys in-band.
    zrtp: u64,
}

/// A ZRTP packet (RFC 6189 §5): first nibble 0001 where RTP has version 2, and the magic
/// cookie "ZRTP" where RTP has its timestamp.
#[inline]
fn is_zrtp(datagram: &[u8]) -> bool {
    datagram.first().is_some_and(|b| b >> 4 == 1) && datagram.get(4..8) == Some(b"ZRTP")
}

/// Whether a well-formed RTP packet the recorder does not take is audio it cannot decode (a
/// codec other than G.711), rather than a signal beside the audio: comfort noise (PT 13, RFC
/// 3389) and RFC 4733 events (a dynamic type, 4 bytes per event) are expected and harmless.
#[inline]
fn undecodable(payload_type: u8, payload_len: usize) -> bool {
    let comfort_noise = payload_type == 13;
    let event =
        payload_type >= 96 && payload_len > 0 && payload_len <= 16 && payload_len.is_multiple_of(4);
    !comfort_noise && !event
}

impl Tap {
    pub fn new(
        parts: TapParts,
        label: SessionLabel,
        events: mpsc::UnboundedSender<MediaEvent>,
    ) -> Self {
        Self {
            hot: Hot {
                frames: parts.frames,
                start: parts.start,
                paused: false,
            },
            control: Some(parts.control),
            label,
            events,
            dropped: 0,
            skipped: 0,
            undecodable: 0,
            zrtp: 0,
        }
    }

    /// Queue one packet's audio for `channel`, or count why not: skipped unless it is G.711
    /// RTP with 1 to [`MAX_PAYLOAD`] bytes of audio, dropped when the ring is full.
    #[inline]
    pub fn record(&mut self, channel: Channel, datagram: &[u8], now: Instant) {
        let hot = &mut self.hot;
        if hot.paused {
            return;
        }
        let Ok(packet) = RtpPacket::parse(datagram) else {
            self.skipped += 1;
            self.zrtp += u64::from(is_zrtp(datagram));
            return;
        };
        let audio = packet.payload();
        let Some(codec) = Codec::from_payload_type(packet.payload_type())
            .filter(|_| !audio.is_empty() && audio.len() <= MAX_PAYLOAD)
        else {
            self.skipped += 1;
            // Audio missing from the file: another codec, or G.711 in frames too long to take.
            let missing = match Codec::from_payload_type(packet.payload_type()) {
                Some(_) => !audio.is_empty(),
                None => undecodable(packet.payload_type(), audio.len()),
            };
            self.undecodable += u64::from(missing);
            return;
        };
        let head = FrameHead {
            channel,
            codec,
            timestamp: packet.timestamp(),
            ssrc: packet.ssrc(),
            arrival: now.saturating_duration_since(hot.start),
        };
        if !hot.frames.push(&head, audio) {
            self.dropped += 1;
        }
    }

    /// Frames lost to a full queue so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn pause(&mut self, at: Instant) {
        if !self.hot.paused {
            self.hot.paused = true;
            self.send(WriterControl::Pause(at));
        }
    }

    pub fn resume(&mut self, at: Instant) {
        if self.hot.paused {
            self.hot.paused = false;
            self.send(WriterControl::Resume(at));
        }
    }

    /// End the recording; the writer finishes the file and sends the summary to `reply`.
    pub fn stop(mut self, reply: Option<oneshot::Sender<RecordingSummary>>) {
        let reply = match reply {
            Some(tx) => Reply::Caller(tx),
            None => self.event_reply(),
        };
        self.finish(reply);
    }

    fn event_reply(&self) -> Reply {
        Reply::Event {
            label: self.label,
            events: self.events.clone(),
        }
    }

    fn finish(&mut self, reply: Reply) {
        // Every frame is in the ring before the Stop is sent: the writer takes them all.
        let stop = WriterControl::Stop {
            at: Instant::now(),
            dropped: self.dropped,
            skipped: self.skipped,
            undecodable: self.undecodable,
            zrtp: self.zrtp,
            reply,
        };
        self.send(stop);
        self.control = None;
    }

    fn send(&self, msg: WriterControl) {
        if let Some(control) = &self.control {
            let _ = control.send(msg);
            self.hot.frames.signal();
        }
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        if self.control.is_some() {
            let reply = self.event_reply();
            self.finish(reply);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;
    use std::time::Duration;

    use super::super::ring::{record_words, ring, Consumer};
    use super::*;
    use crate::rtp::RtpHeader;

    fn packet(pt: u8, payload_len: usize) -> Vec<u8> {
        let header = RtpHeader {
            marker: false,
            payload_type: pt,
            sequence: 7,
            timestamp: 1600,
            ssrc: 42,
        };
        let mut out = vec![0; 12 + payload_len];
        let n = header
            .write(&vec![0xd5; payload_len], &mut out)
            .expect("fits");
        out.truncate(n);
        out
    }

    /// A tap whose ring holds `queue` frames of 160 bytes, and the ring's other end.
    fn tap(queue: usize) -> (Tap, Consumer, Instant) {
        let (frames, rx) = ring(queue * record_words(160));
        let (control, _control_rx) = channel();
        let (events, _) = mpsc::unbounded_channel();
        let start = Instant::now();
        let parts = TapParts {
            frames,
            start,
            control,
        };
        (Tap::new(parts, 1, events), rx, start)
    }

    fn take(rx: &mut Consumer, start: Instant) -> Vec<Frame> {
        let mut out = Vec::new();
        rx.drain(start, &mut Frame::empty(start), |f| out.push(*f));
        out
    }

    #[test]
    fn copies_g711_and_skips_other_payload_types() {
        let (mut tap, mut rx, start) = tap(8);
        let now = start + Duration::from_millis(30);
        tap.record(Channel::Left, &packet(0, 160), now);
        tap.record(Channel::Right, &packet(8, 160), now);
        tap.record(Channel::Left, &packet(101, 4), now);
        tap.record(Channel::Left, &packet(13, 1), now);
        tap.record(Channel::Left, &packet(0, MAX_PAYLOAD + 1), now);
        tap.record(Channel::Left, b"not rtp", now);
        let frames = take(&mut rx, start);
        assert_eq!(frames.len(), 2);
        let first = frames[0];
        assert_eq!(first.arrival, now);
        assert_eq!(
            (
                first.channel,
                first.codec,
                first.len,
                first.timestamp,
                first.ssrc
            ),
            (Channel::Left, Codec::Pcmu, 160, 1600, 42)
        );
        assert_eq!(first.audio(), &[0xd5; 160][..]);
        assert_eq!(frames[1].codec, Codec::Pcma);
        assert_eq!(frames[1].channel, Channel::Right);
        assert_eq!((tap.skipped, tap.dropped()), (4, 0));
        // Events and comfort noise are expected; the oversized G.711 frame is audio lost.
        assert_eq!(tap.undecodable, 1);
        tap.record(Channel::Left, &packet(96, 61), now);
        tap.record(Channel::Left, &packet(18, 20), now);
        assert_eq!((tap.skipped, tap.undecodable), (6, 3));
        // A ZRTP Hello: version nibble 1, "ZRTP" where RTP has its timestamp.
        let mut hello = vec![0x10, 0, 0, 1];
        hello.extend_from_slice(b"ZRTP");
        hello.extend_from_slice(&[0; 80]);
        tap.record(Channel::Left, &hello, now);
        assert_eq!((tap.skipped, tap.undecodable, tap.zrtp), (7, 3, 1));
    }

    #[test]
    fn a_full_queue_drops_and_counts_without_waiting() {
        let (mut tap, mut rx, start) = tap(2);
        for _ in 0..5 {
            tap.record(Channel::Left, &packet(0, 160), Instant::now());
        }
        assert_eq!(tap.dropped(), 3);
        assert_eq!(take(&mut rx, start).len(), 2);
        // Paused: nothing is queued, nothing is counted.
        tap.pause(Instant::now());
        tap.record(Channel::Left, &packet(0, 160), Instant::now());
        assert_eq!(take(&mut rx, start).len(), 0);
        assert_eq!(tap.dropped(), 3);
    }
}
