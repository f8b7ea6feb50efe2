//! The fuzz targets: what each feeds its input to, and where its seeds come from.

use crate::repo_root;
use media::dtmf::{Rfc4733Detector, TelephoneEvent};
use media::{Codec, RtpPacket, SessionDescription};
use sip::auth::{digest_response, Algorithm};
use sip::registrar::RegistrarConfig;
use sip::transaction::TimerConfig;
use sip::{Peer, Transmit};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use switch::{Action, Me, Switch, SwitchConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `sip::parse::parse` (the normalizer, rsip and the post-parse checks), also through the
    /// TCP stream framer.
    Sip,
    /// `SessionDescription::parse` and printing it back; INFO DTMF bodies.
    Sdp,
    /// `RtpPacket::parse`, RFC 4733 events through the detector, and G.711 decoding.
    Rtp,
    /// `ivr::load_dir` on one mutated plan file next to the shipped ones.
    Dialplan,
    /// An INVITE from registered user 1001 to registered 1002, mutated, then given valid
    /// digest credentials for its (mutated) method and URI, through `Switch::handle_datagram`;
    /// the callee answers with 200 and SDP, and the clock runs on so every timer fires.
    Switch,
}

/// Per-target state kept between inputs.
pub enum Context {
    None,
    /// A scratch directory for plan files.
    Dialplan(PathBuf),
}

const DOMAIN: &str = "switch.test";

impl Target {
    pub const ALL: [Target; 5] = [
        Target::Sip,
        Target::Sdp,
        Target::Rtp,
        Target::Dialplan,
        Target::Switch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Sip => "sip",
            Target::Sdp => "sdp",
            Target::Rtp => "rtp",
            Target::Dialplan => "dialplan",
            Target::Switch => "switch",
        }
    }

    pub fn context(self) -> Context {
        match self {
            Target::Dialplan => {
                let dir = std::env::temp_dir().join(format!(
                    "switchboard-fuzz-plans-{}-{:?}",
                    std::process::id(),
                    std::thread::current().id()
                ));
                let _ = std::fs::create_dir_all(dir.join("plans"));
                let _ = std::fs::create_dir_all(dir.join("prompts"));
                Context::Dialplan(dir)
            }
            _ => Context::None,
        }
    }

    pub fn corpus(self) -> Vec<Vec<u8>> {
        let root = repo_root();
        match self {
            Target::Sip => {
                let mut c = torture_messages(&root);
                c.push(invite(None).into_bytes());
                c.push(sample_register().into_bytes());
                c
            }
            Target::Sdp => {
                let mut c: Vec<Vec<u8>> = SDP_SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect();
                c.push(b"Signal=5\r\nDuration=160\r\n".to_vec());
                for m in torture_messages(&root) {
                    if let Some(at) = m.windows(4).position(|w| w == b"\r\n\r\n") {
                        let body = &m[at + 4..];
                        if body.starts_with(b"v=") {
                            c.push(body.to_vec());
                        }
                    }
                }
                c
            }
            Target::Rtp => rtp_seeds(),
            Target::Dialplan => {
                let mut c = Vec::new();
                for name in ["default.toml", "bank.toml"] {
                    if let Ok(b) = std::fs::read(root.join("dialplans").join(name)) {
                        c.push(b);
                    }
                }
                c.push(DIALPLAN_SEED.as_bytes().to_vec());
                c
            }
            Target::Switch => {
                let mut c: Vec<Vec<u8>> = SDP_SEEDS
                    .iter()
                    .map(|sdp| invite(Some(sdp)).into_bytes())
                    .collect();
                c.push(invite(None).into_bytes());
                c.extend(
                    torture_messages(&root)
                        .into_iter()
                        .filter(|m| m.starts_with(b"INVITE ")),
                );
                c
            }
        }
    }

    /// Feed one input to the target; a panic is the only failure.
    pub fn exec(self, ctx: &mut Context, input: &[u8]) {
        match self {
            Target::Sip => {
                let _ = sip::parse::parse(input);
                // The same bytes as a TCP stream arriving in two pieces, twice over.
                let mut framer = sip::framing::StreamFramer::new();
                let cut = input.len() / 3;
                for piece in [&input[..cut], &input[cut..], input] {
                    framer.push(piece);
                    while let Ok(Some(msg)) = framer.next_message() {
                        let _ = sip::parse::parse(&msg);
                    }
                }
            }
            Target::Sdp => {
                if let Ok(text) = std::str::from_utf8(input) {
                    if let Ok(sdp) = SessionDescription::parse(text) {
                        let _ = sdp.to_string();
                    }
                    // SIP INFO DTMF bodies are small text formats too.
                    for ctype in ["application/dtmf-relay", "application/dtmf"] {
                        let _ = media::dtmf::parse_info(ctype, text);
                    }
                }
            }
            Target::Rtp => exec_rtp(input),
            Target::Dialplan => {
                if let Context::Dialplan(dir) = ctx {
                    exec_dialplan(dir, input);
                }
            }
            Target::Switch => {
                exec_switch(input);
            }
        }
    }
}

fn torture_messages(root: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["valid", "invalid"] {
        let dir = root.join("crates/sip/tests/torture").join(sub);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if let Ok(b) = std::fs::read(&p) {
                out.push(b);
            }
        }
    }
    out
}

const SDP_SEEDS: [&str; 4] = [
    "v=0\r\no=1001 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
     m=audio 20002 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
     a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendrecv\r\n",
    "v=0\r\no=- 3 4 IN IP6 ::1\r\ns=call\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n\
     m=audio 4000 RTP/AVP 8\r\na=rtcp:4001 IN IP6 2001:db8::1\r\na=sendonly\r\n\
     m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
    "v=0\no=x 1 2 IN IP4 192.0.2.5\ns=-\nt=0 0\nm=audio 0 RTP/AVP 0\nc=IN IP4 0.0.0.0\n\
     a=inactive\nb=AS:64\na=ptime:20\n",
    "v=0\r\no=a 9 9 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1/127\r\nt=0 0\r\n\
     m=audio 30000/2 RTP/SAVP 0 18 101\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\n\
     a=recvonly\r\n",
];

const DIALPLAN_SEED: &str = r#"# a small plan touching most step kinds
[[route]]
match = "5000"
hours = { tz = "Europe/Paris", open = ["mon-fri 09:00-17:00"] }

[[step]]
id = "start"
answer = true
menu = { prompt = "welcome", digits = { "1" = "sales", "2" = "bye" }, timeout = "5s", retries = 2 }

[[step]]
id = "sales"
queue = "sales"

[[step]]
id = "bye"
hangup = true
"#;

fn sample_register() -> String {
    "REGISTER sip:switch.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6002;branch=z9hG4bKreg1\r\n\
     Max-Forwards: 70\r\nFrom: <sip:1002@switch.test>;tag=r1\r\nTo: <sip:1002@switch.test>\r\n\
     Call-ID: reg-1002\r\nCSeq: 1 REGISTER\r\nContact: <sip:1002@127.0.0.1:6002>\r\n\
     Expires: 3600\r\nContent-Length: 0\r\n\r\n"
        .to_string()
}

/// An INVITE from 1001 to 1002, with `sdp` as its offer.
fn invite(sdp: Option<&str>) -> String {
    let mut t = "INVITE sip:1002@switch.test SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:6001;branch=z9hG4bKinv1;rport\r\nMax-Forwards: 70\r\n\
         From: \"User 1001\" <sip:1001@switch.test>;tag=a1\r\nTo: <sip:1002@switch.test>\r\n\
         Call-ID: fuzz-call-1\r\nCSeq: 2 INVITE\r\nContact: <sip:1001@127.0.0.1:6001>\r\n\
         Allow: INVITE, ACK, CANCEL, BYE, INFO, UPDATE\r\nSupported: replaces\r\n"
        .to_string();
    match sdp {
        Some(b) => t.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )),
        None => t.push_str("Content-Length: 0\r\n\r\n"),
    }
    t
}

fn rtp_seeds() -> Vec<Vec<u8>> {
    let header = |pt: u8, marker: bool, seq: u16, ts: u32| {
        let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ts.to_be_bytes());
        p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        p
    };
    let mut out = Vec::new();
    let mut pcmu = header(0, false, 1, 160);
    pcmu.extend(std::iter::repeat_n(0xFFu8, 160));
    out.push(pcmu);
    for (i, end) in [false, false, true].into_iter().enumerate() {
        let mut p = header(101, i == 0, 2 + i as u16, 320);
        let ev = TelephoneEvent {
            event: 5,
            end,
            volume: 10,
            duration: 160 * (i as u16 + 1),
        };
        p.extend_from_slice(&ev.to_bytes());
        out.push(p);
    }
    // CSRCs, an extension and padding
    let mut p = vec![0xB2, 8];
    p.extend_from_slice(&[0, 9, 0, 0, 1, 0, 0, 0, 0, 7]);
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]);
    p.extend_from_slice(&[0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0]);
    p.extend_from_slice(&[0xD5; 20]);
    p.extend_from_slice(&[0, 0, 0, 4]);
    out.push(p);
    // an RTCP sender report, as the latch sees RTCP on the RTP port
    let mut sr = vec![0x80, 200, 0, 6];
    sr.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    sr.extend_from_slice(&[0; 20]);
    out.push(sr);
    out
}

fn exec_rtp(input: &[u8]) {
    let Ok(packet) = RtpPacket::parse(input) else {
        return;
    };
    let _ = (
        packet.sequence(),
        packet.timestamp(),
        packet.ssrc(),
        packet.marker(),
    );
    let _ = packet.csrcs().count();
    let _ = packet.extension();
    let _ = TelephoneEvent::parse(packet.payload());
    for clock in [8000, 16000, 48000, 0, u32::MAX] {
        let mut det = Rfc4733Detector::new(packet.payload_type(), clock);
        det.on_packet(&packet, |_| {});
        // The same event repeated and then ended, as a sender retransmits it.
        det.on_packet(&packet, |_| {});
        det.flush(|_| {});
    }
    if let Some(codec) = Codec::from_payload_type(packet.payload_type()) {
        let _: i64 = packet
            .payload()
            .iter()
            .map(|&b| i64::from(codec.decode(b)))
            .sum();
    }
}

fn exec_dialplan(dir: &Path, input: &[u8]) {
    let plans = dir.join("plans");
    let prompts = dir.join("prompts");
    let _ = std::fs::write(plans.join("fuzz.toml"), input);
    let _ = ivr::load_dir(&plans, &prompts);
}

/// The scenario harness's configuration (crates/switch/tests/scenarios/harness.rs, test code
/// this crate cannot import), with the two users the target needs.
fn config() -> SwitchConfig {
    let users = ["1001", "1002"]
        .into_iter()
        .map(|n| (n.to_string(), (format!("pw{n}"), Some(format!("User {n}")))))
        .collect();
    SwitchConfig {
        domain: DOMAIN.into(),
        me: Me {
            udp: Some(SocketAddr::from(([127, 0, 0, 1], 5060))),
            tcp: Some(SocketAddr::from(([127, 0, 0, 1], 5060))),
            udp6: None,
            tcp6: None,
            user_agent: "Switchboard/fuzz".into(),
        },
        timers: TimerConfig {
            t1: Duration::from_millis(500),
            ..TimerConfig::default()
        },
        ring_timeout: Duration::from_secs(30),
        registrar: RegistrarConfig::default(),
        nonce_lifetime: Duration::from_secs(300),
        nonce_secret: [7; 32],
        auth_algorithms: vec![Algorithm::Md5],
        auth_throttle: Default::default(),
        users,
        media_timeout: true,
        acd: Default::default(),
        recording: Default::default(),
        limits: Default::default(),
        nat: Default::default(),
        trunks: Default::default(),
        supervisor_phones: Default::default(),
    }
}

const CALLER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 6001);
const CALLEE: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 6002);

/// The switch core with its clock, answering media allocation at once.
struct Core {
    sw: Switch,
    now: Instant,
    out: Vec<Transmit>,
}

impl Core {
    fn send(&mut self, from: SocketAddr, bytes: &[u8]) {
        self.sw.handle_datagram(self.now, Peer::udp(from), bytes);
        self.pump();
    }

    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.sw.poll_transmit() {
                progressed = true;
                self.out.push(t);
            }
            while let Some(a) = self.sw.poll_action() {
                progressed = true;
                if let Action::AllocateMedia { call } = a {
                    self.sw.media_allocated(
                        self.now,
                        call,
                        Ok((IpAddr::V4(Ipv4Addr::LOCALHOST), 40000, 40002)),
                    );
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        for _ in 0..10_000 {
            match self.sw.poll_timeout() {
                Some(at) if at <= target => {
                    self.now = self.now.max(at);
                    self.sw.handle_timeout(self.now);
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = target;
        self.sw.handle_timeout(self.now);
        self.pump();
    }

    /// The nonce of the last challenge sent to `to`.
    fn nonce_for(&mut self, to: SocketAddr) -> Option<String> {
        let t = self.out.iter().rev().find(|t| t.to.addr == to)?;
        let text = String::from_utf8_lossy(&t.bytes);
        let at = text.find("nonce=\"")? + 7;
        let rest = text.get(at..)?;
        Some(rest.get(..rest.find('"')?)?.to_string())
    }
}

fn credentials(header: &str, user: &str, method: &str, uri: &str, nonce: &str) -> String {
    let response = digest_response(
        Algorithm::Md5,
        user,
        DOMAIN,
        &format!("pw{user}"),
        method,
        uri,
        nonce,
        "00000001",
        "fuzzcn",
    );
    format!(
        "{header}: Digest username=\"{user}\", realm=\"{DOMAIN}\", nonce=\"{nonce}\", \
         uri=\"{uri}\", response=\"{response}\", algorithm=MD5, qop=auth, nc=00000001, \
         cnonce=\"fuzzcn\"\r\n"
    )
}

/// A header's value in a message we wrote or the switch sent (first occurrence).
fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split("\r\n").find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Returns how many INVITEs reached the callee (the tests check that the seeds get that far).
fn exec_switch(input: &[u8]) -> usize {
    #[allow(clippy::disallowed_methods)] // an arbitrary origin for the virtual clock
    let now = Instant::now();
    let wall = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    let mut core = Core {
        sw: Switch::new(config(), None, now, wall),
        now,
        out: Vec::new(),
    };
    // 1002 registers (challenge, then credentials).
    let register = sample_register();
    core.send(CALLEE, register.as_bytes());
    let Some(nonce) = core.nonce_for(CALLEE) else {
        return 0;
    };
    let auth = credentials(
        "Authorization",
        "1002",
        "REGISTER",
        "sip:switch.test",
        &nonce,
    );
    let register = register
        .replace("CSeq: 1 ", "CSeq: 2 ")
        .replace("z9hG4bKreg1", "z9hG4bKreg2")
        .replace(
            "Content-Length: 0\r\n",
            &format!("{auth}Content-Length: 0\r\n"),
        );
    core.send(CALLEE, register.as_bytes());
    // 1001 gets a challenge for a plain INVITE, then sends the fuzzed one with credentials
    // computed for the method and URI of the fuzzed request line.
    core.send(
        CALLER,
        invite(None).replace("fuzz-call-1", "challenge").as_bytes(),
    );
    let Some(nonce) = core.nonce_for(CALLER) else {
        return 0;
    };
    let line_end = input
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(input.len(), |p| p + 2);
    let request_line = String::from_utf8_lossy(&input[..line_end]);
    let mut parts = request_line.trim_end().splitn(3, ' ');
    let (method, uri) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let auth = credentials("Proxy-Authorization", "1001", method, uri, &nonce);
    let mut fuzzed = input[..line_end].to_vec();
    fuzzed.extend_from_slice(auth.as_bytes());
    fuzzed.extend_from_slice(&input[line_end..]);
    let sent = core.out.len();
    core.send(CALLER, &fuzzed);
    // 1002 rings and answers whatever INVITE reached it, with SDP.
    let forwarded: Vec<String> = core.out[sent..]
        .iter()
        .filter(|t| t.to.addr == CALLEE && t.bytes.starts_with(b"INVITE "))
        .map(|t| String::from_utf8_lossy(&t.bytes).into_owned())
        .collect();
    let reached = forwarded.len();
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        for t in &core.out {
            eprintln!("-> {}\n{}", t.to.addr, String::from_utf8_lossy(&t.bytes));
        }
    }
    for inv in forwarded {
        let vias: String = inv
            .split("\r\n")
            .filter(|l| l.starts_with("Via:") || l.starts_with("v:"))
            .map(|l| format!("{l}\r\n"))
            .collect();
        let (Some(from), Some(to), Some(call_id), Some(cseq)) = (
            header(&inv, "From"),
            header(&inv, "To"),
            header(&inv, "Call-ID"),
            header(&inv, "CSeq"),
        ) else {
            continue;
        };
        let sdp = SDP_SEEDS[0];
        for (code, body) in [("180 Ringing", ""), ("200 OK", sdp)] {
            let ctype = if body.is_empty() {
                ""
            } else {
                "Content-Type: application/sdp\r\n"
            };
            let resp = format!(
                "SIP/2.0 {code}\r\n{vias}From: {from}\r\nTo: {to};tag=b2\r\nCall-ID: {call_id}\r\n\
                 CSeq: {cseq}\r\nContact: <sip:1002@127.0.0.1:6002>\r\n{ctype}\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            core.send(CALLEE, resp.as_bytes());
        }
    }
    // Let every timer fire: retransmissions, missing ACK, ring and media timeouts.
    for step in [1, 5, 40, 120] {
        core.advance(Duration::from_secs(step));
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Credentials are computed after mutation, so an unmutated seed gets through auth and
    /// routing to the callee: the fuzzed content reaches the call logic, not just the 407.
    #[test]
    fn seed_invites_pass_auth_and_reach_the_callee() {
        // SDP_SEEDS[1] offers IPv6 media to this IPv4 relay, [2] and [3] only streams the switch
        // refuses: each gets 488 and nobody rings.
        assert_eq!(exec_switch(invite(Some(SDP_SEEDS[0])).as_bytes()), 1);
        for sdp in [SDP_SEEDS[1], SDP_SEEDS[2], SDP_SEEDS[3]] {
            assert_eq!(exec_switch(invite(Some(sdp)).as_bytes()), 0, "{sdp}");
        }
        assert_eq!(exec_switch(invite(None).as_bytes()), 1);
    }
}
