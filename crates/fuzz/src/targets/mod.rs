//! The fuzz targets: what each feeds its input to, and where its seeds come from.

mod switch_core;

use crate::repo_root;
use media::dtmf::{Rfc4733Detector, TelephoneEvent};
use media::{Codec, RtpPacket, SessionDescription, StrictSource};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use switch_core::{exec_in_dialog, exec_switch, in_dialog_seeds};

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
    /// A call set up as in `Switch` (first SDP seed), then the input as a request inside it
    /// (BYE, re-INVITE, UPDATE, INFO, REFER, OPTIONS, NOTIFY, CANCEL, ACK), from the caller or,
    /// prefixed `B:`, the callee, with the dialog's Call-ID and tags filled in.
    InDialog,
    /// The relay's source latch (RTP and RTCP validation, probation, re-latching after an
    /// offer/answer): the input split into datagrams from a few sources.
    Rtcp,
}

/// Per-target state kept between inputs.
pub enum Context {
    None,
    /// A scratch directory for plan files.
    Dialplan(PathBuf),
}

const DOMAIN: &str = "switch.test";

impl Target {
    pub const ALL: [Target; 7] = [
        Target::Sip,
        Target::Sdp,
        Target::Rtp,
        Target::Dialplan,
        Target::Switch,
        Target::InDialog,
        Target::Rtcp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::Sip => "sip",
            Target::Sdp => "sdp",
            Target::Rtp => "rtp",
            Target::Dialplan => "dialplan",
            Target::Switch => "switch",
            Target::InDialog => "in-dialog",
            Target::Rtcp => "rtcp",
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
            Target::InDialog => in_dialog_seeds(),
            Target::Rtcp => rtcp_seeds(),
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
            Target::InDialog => {
                exec_in_dialog(input);
            }
            Target::Rtcp => exec_rtcp(input),
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

/// Seeds for the latch: an RTP stream, RTCP compounds (SR + SDES, RR, BYE), joined by the
/// separator `exec_rtcp` splits on.
fn rtcp_seeds() -> Vec<Vec<u8>> {
    let mut sr = vec![0x80, 200, 0, 6, 0x12, 0x34, 0x56, 0x78];
    sr.extend_from_slice(&[0; 20]);
    let mut sdes = vec![0x81, 202, 0, 3, 0x12, 0x34, 0x56, 0x78, 1, 4];
    sdes.extend_from_slice(b"ab\0\0");
    let compound: Vec<u8> = sr.iter().chain(sdes.iter()).copied().collect();
    let rr = vec![0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78];
    let bye = vec![0x81, 203, 0, 1, 0x12, 0x34, 0x56, 0x78];
    let join = |parts: &[&[u8]]| {
        let mut out = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            // The byte after the separator picks the source (see `exec_rtcp`).
            out.extend_from_slice(RTCP_SEPARATOR);
            out.push(u8::try_from(i % 4).unwrap_or(0));
            out.extend_from_slice(p);
        }
        out
    };
    let rtp = rtp_seeds();
    let mut out = vec![
        join(&[&compound, &rr, &bye]),
        join(&[&rr, &rr, &rr, &compound]),
    ];
    let stream: Vec<&[u8]> = rtp.iter().map(Vec::as_slice).collect();
    out.push(join(&stream));
    out
}

const RTCP_SEPARATOR: &[u8] = b"|DG|";

/// Splits the input at `|DG|`; the byte after each separator picks one of four sources (the
/// SDP's address, another port of its IP, another IP, an IPv6 source), the rest is the
/// datagram; the latches judge them in both strict modes.
fn exec_rtcp(input: &[u8]) {
    const SOURCES: [&str; 4] = [
        "192.0.2.10:4000",
        "192.0.2.10:5000",
        "198.51.100.7:4000",
        "[2001:db8::1]:4000",
    ];
    let sources: Vec<SocketAddr> = SOURCES.iter().filter_map(|s| s.parse().ok()).collect();
    let Some(&expected) = sources.first() else {
        return;
    };
    let mut datagrams = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let end = rest
            .windows(RTCP_SEPARATOR.len())
            .skip(1)
            .position(|w| w == RTCP_SEPARATOR)
            .map_or(rest.len(), |p| p + 1);
        let (part, next) = rest.split_at(end);
        rest = next;
        let part = part.strip_prefix(RTCP_SEPARATOR).unwrap_or(part);
        let (pick, datagram) = part.split_first().unwrap_or((&0, &[]));
        let from = sources[usize::from(*pick) % sources.len()];
        datagrams.push((from, datagram));
    }
    for mode in [StrictSource::Address, StrictSource::Ip] {
        media::judge_datagrams(expected, mode, &datagrams);
    }
}
