//! The media side of a test phone whose signalling is SIPp's: the test's own UDP socket plays
//! a tone as G.711 RTP to the relay port the switch gave the phone's SIPp (read from SIPp's
//! message log) and keeps what it hears, so a suite checks who hears whom by frequency
//! (Goertzel): monitoring, consult, attended transfer.

use crate::{Sipp, Switch};
use media::g711::Codec;
use media::goertzel;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A phone's media: the test's socket, its tone, and what it heard.
pub struct Phone {
    pub socket: UdpSocket,
    pub tone: Vec<i16>,
    pub codec: Codec,
    pub seq: u16,
    pub relay: Option<SocketAddr>,
    pub heard: Vec<i16>,
}

impl Phone {
    pub fn new(freq: f64, codec: Codec) -> Phone {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("media socket");
        socket.set_nonblocking(true).expect("nonblocking");
        Phone {
            socket,
            tone: media::tone::sine(freq, 8000.0, 8000),
            codec,
            seq: 0,
            relay: None,
            heard: Vec::new(),
        }
    }

    pub fn port(&self) -> u16 {
        self.socket.local_addr().expect("addr").port()
    }

    pub fn packet(&self, pt: u8, payload: &[u8], marker: bool) -> Vec<u8> {
        let ts = u32::from(self.seq) * 160;
        let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
        p.extend_from_slice(&self.seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&u32::from(self.port()).to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    /// The next 20 ms of the tone.
    pub fn send(&mut self) {
        let Some(to) = self.relay else { return };
        let at = (usize::from(self.seq) * 160) % (self.tone.len() - 160);
        let frame: Vec<u8> = self.tone[at..at + 160]
            .iter()
            .map(|&s| self.codec.encode(s))
            .collect();
        let p = self.packet(self.codec.payload_type(), &frame, self.seq == 0);
        let _ = self.socket.send_to(&p, to);
        self.seq = self.seq.wrapping_add(1);
    }

    /// Press `key` by RFC 4733 (payload type 101): three updates, three end packets.
    pub fn press(&mut self, key: u8) {
        let Some(to) = self.relay else { return };
        for n in 0..6u16 {
            let end = n >= 3;
            let [d0, d1] = (160 * (n.min(3) + 1)).to_be_bytes();
            let body = [key, if end { 0x8a } else { 0x0a }, d0, d1];
            let p = self.packet(101, &body, n == 0);
            let _ = self.socket.send_to(&p, to);
            self.seq = self.seq.wrapping_add(1);
        }
    }

    pub fn drain(&mut self) {
        let mut buf = [0u8; 2048];
        while let Ok((n, _)) = self.socket.recv_from(&mut buf) {
            let Some(codec) = buf.get(1).and_then(|b| Codec::from_payload_type(b & 0x7f)) else {
                continue;
            };
            if n > 12 {
                self.heard
                    .extend(buf[12..n].iter().map(|&c| codec.decode(c)));
            }
        }
    }
}

/// Everyone with a relay address talks for `ms`; then what each heard meanwhile.
pub fn talk(phones: &mut [&mut Phone], ms: u64) -> Vec<Vec<i16>> {
    for p in phones.iter_mut() {
        p.drain();
        p.heard.clear();
    }
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_millis(ms) {
        for p in phones.iter_mut() {
            p.send();
            p.drain();
        }
        n += 1;
        let next = start + Duration::from_millis(20) * n;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    std::thread::sleep(Duration::from_millis(60));
    phones
        .iter_mut()
        .map(|p| {
            p.drain();
            std::mem::take(&mut p.heard)
        })
        .collect()
}

/// Whether `freq` is clearly there (a 8000-peak tone has 3.2e7).
pub fn hears(samples: &[i16], freq: f64) -> bool {
    samples.len() > 800 && goertzel::power(freq, samples) > 1e6
}

pub fn quiet(samples: &[i16], freq: f64) -> bool {
    goertzel::power(freq, samples) < 1e5
}

/// The relay port the switch told this SIPp peer (its messages log), not `own`.
pub fn relay_port(peer: &Sipp, own: u16, switch: &Switch) -> SocketAddr {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let logs = std::fs::read_dir(&peer.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with("_messages.log"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default());
        for text in logs {
            for line in text.lines() {
                let port = line
                    .strip_prefix("m=audio ")
                    .and_then(|r| r.split(' ').next())
                    .and_then(|p| p.parse::<u16>().ok());
                if let Some(port) = port.filter(|&p| p != own) {
                    return SocketAddr::from(([127, 0, 0, 1], port));
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "no relay port in {}'s messages\n{}\n{}",
            peer.name,
            peer.logs(),
            switch.log_text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Copy of a scenario with its SDP's media port (and codec) replaced.
pub fn scenario_at(switch: &Switch, src: &Path, name: &str, from: &str, to: &str) -> PathBuf {
    let xml = std::fs::read_to_string(src).expect("scenario");
    assert!(xml.contains(from), "{} has no {from:?}", src.display());
    let path = switch.dir.path().join(name);
    std::fs::write(&path, xml.replace(from, to)).expect("write scenario");
    path
}

/// Whether `peer`'s SIPp message log shows `text` yet.
pub fn sipp_logged(peer: &Sipp, text: &str) -> bool {
    std::fs::read_dir(&peer.dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("_messages.log"))
        .any(|e| {
            std::fs::read_to_string(e.path())
                .unwrap_or_default()
                .contains(text)
        })
}

/// A phone at `ext` (one of the harness's users) that answers the switch's INVITE with media at
/// `phone`'s socket and waits for the switch's BYE.
pub fn answering(switch: &Switch, ext: &str, phone: &Phone) -> Sipp {
    let uas = scenario_at(
        switch,
        &crate::scenario("uas_answer.xml"),
        &format!("answer-{ext}.xml"),
        "m=audio [media_port] RTP/AVP 8 101\na=rtpmap:8 PCMA/8000",
        &format!(
            "m=audio {} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000",
            phone.port()
        ),
    );
    crate::callee_with(switch, ext, &uas, &[]).expect("the phone answers")
}

/// `from` calls `to` with media at `phone`'s socket, waiting for the switch's BYE once answered.
pub fn calling(switch: &Switch, from: &str, to: &str, phone: &Phone) -> Sipp {
    let plan = crate::CallerPlan::AnswerThenExpectBye;
    let uac = crate::caller_scenario(switch.dir.path(), plan).expect("uac");
    let uac = scenario_at(
        switch,
        &uac,
        &format!("caller-{from}.xml"),
        "m=audio [media_port] RTP/AVP 0",
        &format!("m=audio {} RTP/AVP 0", phone.port()),
    );
    crate::caller_running(switch, from, to, &uac, &[]).expect("sipp starts")
}

/// Two phones talk: after `talk`ing a moment, each hears the other's tone (`hz`, in order).
pub fn expect_talking(phones: [&mut Phone; 2], hz: [f64; 2], what: &str, switch: &Switch) {
    let mut two = phones;
    talk(&mut two, 300);
    let heard = talk(&mut two, 1000);
    assert!(
        hears(&heard[0], hz[1]) && hears(&heard[1], hz[0]),
        "{what}\n{}",
        switch.log_text()
    );
}

/// The customer, the agent and the third party of a consultation with their tones `hz` (in
/// that order): who hears whom at each step (tests/tests/consult.rs, browser_consult.rs).
pub struct Consultation<'a> {
    pub phones: [&'a mut Phone; 3],
    pub hz: [f64; 3],
}

impl Consultation<'_> {
    /// What each heard in 1.5 s, after `settle_ms` for the switch's change to take.
    fn heard(&mut self, settle_ms: u64) -> Vec<Vec<i16>> {
        talk(&mut self.phones, settle_ms);
        talk(&mut self.phones, 1500)
    }

    /// Agent and third party talk; the customer (on hold) hears neither's voice but the hold
    /// music may have anything in it, so only the third party is checked there.
    pub fn expect_consulting(&mut self, switch: &Switch) {
        let [customer, agent, third] = self.hz;
        let heard = self.heard(400);
        let log = switch.log_text();
        assert!(
            hears(&heard[1], third),
            "the agent hears the third party\n{log}"
        );
        assert!(
            hears(&heard[2], agent),
            "the third party hears the agent\n{log}"
        );
        assert!(
            quiet(&heard[1], customer),
            "the agent no longer hears the customer"
        );
        assert!(
            quiet(&heard[2], customer),
            "the third party does not hear the customer"
        );
        assert!(
            quiet(&heard[0], third),
            "the customer does not hear the third party"
        );
    }

    /// All three hear each other.
    pub fn expect_conference(&mut self, switch: &Switch) {
        let hz = self.hz;
        let heard = self.heard(300);
        for (i, got) in heard.iter().enumerate() {
            for (j, &f) in hz.iter().enumerate() {
                assert!(
                    i == j || hears(got, f),
                    "in conference phone {i} hears phone {j}\n{}",
                    switch.log_text()
                );
            }
        }
    }

    /// Customer and third party talk; the agent is gone.
    pub fn expect_transferred(&mut self, switch: &Switch) {
        let [customer, agent, third] = self.hz;
        let heard = self.heard(300);
        let log = switch.log_text();
        assert!(
            hears(&heard[0], third),
            "the customer hears the third party\n{log}"
        );
        assert!(
            hears(&heard[2], customer),
            "the third party hears the customer"
        );
        assert!(quiet(&heard[0], agent), "the agent is gone");
        assert!(quiet(&heard[2], agent), "the agent is gone");
    }
}
