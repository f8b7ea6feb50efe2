//! The switch-core targets: a scripted registration and call through `Switch` on a virtual
//! clock, with the fuzzed bytes as the INVITE (`switch`) or as a request inside the
//! established call (`in-dialog`).

use super::{invite, sample_register, SDP_SEEDS};
use sip::auth::{digest_response, Algorithm};
use sip::registrar::RegistrarConfig;
use sip::transaction::TimerConfig;
use sip::{Peer, Transmit};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use switch::{Action, Me, Switch, SwitchConfig};

const DOMAIN: &str = super::DOMAIN;

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

/// A call set up through the core: the caller's INVITE went through auth to 1002, which
/// answered; what a later in-dialog request needs to name each side's dialog.
pub(super) struct Established {
    core: Core,
    /// How many INVITEs reached the callee.
    reached: usize,
    /// The caller's dialog: Call-ID, the caller's tag, the switch's tag (once it answered).
    a_leg: Option<DialogIds>,
    /// The callee's dialog: Call-ID, the switch's tag, the callee's tag `b2`.
    b_leg: Option<DialogIds>,
}

#[derive(Debug, Clone)]
struct DialogIds {
    call_id: String,
    local_tag: String,
    remote_tag: String,
}

/// Returns how many INVITEs reached the callee (the tests check that the seeds get that far).
pub(super) fn exec_switch(input: &[u8]) -> usize {
    let mut call = establish(input);
    // Let every timer fire: retransmissions, missing ACK, ring and media timeouts.
    for step in [1, 5, 40, 120] {
        call.core.advance(Duration::from_secs(step));
    }
    call.reached
}

/// 1001 sends `input` as an INVITE with valid credentials for its request line; whatever
/// reaches 1002 is answered with 180 and 200 (SDP), and the caller ACKs the switch's 200.
fn establish(input: &[u8]) -> Established {
    #[allow(clippy::disallowed_methods)] // an arbitrary origin for the virtual clock
    let now = Instant::now();
    let wall = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    let mut call = Established {
        core: Core {
            sw: Switch::new(config(), None, now, wall),
            now,
            out: Vec::new(),
        },
        reached: 0,
        a_leg: None,
        b_leg: None,
    };
    let core = &mut call.core;
    // 1002 registers (challenge, then credentials).
    let register = sample_register();
    core.send(CALLEE, register.as_bytes());
    let Some(nonce) = core.nonce_for(CALLEE) else {
        return call;
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
        return call;
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
    call.reached = forwarded.len();
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
        call.b_leg = tag_of(from).map(|local_tag| DialogIds {
            call_id: call_id.to_string(),
            local_tag,
            remote_tag: "b2".into(),
        });
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
    // The caller ACKs the switch's 200 (the A leg's dialog is then confirmed).
    let answer = core
        .out
        .iter()
        .rev()
        .filter(|t| t.to.addr == CALLER)
        .map(|t| String::from_utf8_lossy(&t.bytes).into_owned())
        .find(|r| {
            r.starts_with("SIP/2.0 200") && header(r, "CSeq").is_some_and(|c| c.ends_with("INVITE"))
        });
    if let Some(ok) = answer {
        if let (Some(call_id), Some(to)) = (header(&ok, "Call-ID"), header(&ok, "To")) {
            if let Some(remote_tag) = tag_of(to) {
                let ack = format!(
                    "ACK sip:switch.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6001;branch=z9hG4bKack1;rport\r\n\
                     Max-Forwards: 70\r\nFrom: <sip:1001@switch.test>;tag=a1\r\n\
                     To: <sip:1002@switch.test>;tag={remote_tag}\r\nCall-ID: {call_id}\r\n\
                     CSeq: 2 ACK\r\nContent-Length: 0\r\n\r\n"
                );
                core.send(CALLER, ack.as_bytes());
                call.a_leg = Some(DialogIds {
                    call_id: call_id.to_string(),
                    local_tag: "a1".into(),
                    remote_tag,
                });
            }
        }
    }
    call
}

/// The `tag` parameter of a From or To value.
fn tag_of(value: &str) -> Option<String> {
    let at = value.find(";tag=")? + 5;
    let rest = value.get(at..)?;
    let end = rest.find([';', ' ', '>']).unwrap_or(rest.len());
    Some(rest.get(..end)?.to_string())
}

/// Seeds for the in-dialog target: requests a phone sends inside a call, with `$CALLID`,
/// `$LOCAL` (the sender's tag) and `$REMOTE` (the other end's tag) filled in for the dialog at
/// send time. A seed starting `B:` is sent by the callee on its leg, the others by the caller.
pub(super) fn in_dialog_seeds() -> Vec<Vec<u8>> {
    let sdp = SDP_SEEDS[0];
    let request = |side: &str, method: &str, cseq: u32, extra: &str, body: &str| {
        let (user, port) = if side == "B:" {
            ("1002", 6002)
        } else {
            ("1001", 6001)
        };
        format!(
            "{side}{method} sip:switch.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{method}{cseq};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@switch.test>;tag=$LOCAL\r\nTo: <sip:x@switch.test>;tag=$REMOTE\r\n\
             Call-ID: $CALLID\r\nCSeq: {cseq} {method}\r\nContact: <sip:{user}@127.0.0.1:{port}>\r\n{extra}\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let hold = sdp.replace("a=sendrecv", "a=sendonly");
    vec![
        request("", "BYE", 3, "", ""),
        request("B:", "BYE", 1, "", ""),
        request("", "INVITE", 3, "Content-Type: application/sdp\r\n", &hold),
        request("B:", "INVITE", 2, "Content-Type: application/sdp\r\n", sdp),
        request("", "UPDATE", 3, "Content-Type: application/sdp\r\n", sdp),
        request("", "INFO", 3, "Content-Type: application/dtmf-relay\r\n", "Signal=5\r\nDuration=160\r\n"),
        request("B:", "INFO", 2, "Content-Type: application/dtmf\r\n", "7"),
        request("", "REFER", 3, "Refer-To: <sip:2001@switch.test?Replaces=x%3Bto-tag%3Dy%3Bfrom-tag%3Dz>\r\nReferred-By: <sip:1001@switch.test>\r\n", ""),
        request("", "OPTIONS", 3, "Accept: application/sdp\r\n", ""),
        request("B:", "NOTIFY", 2, "Event: talk\r\nSubscription-State: active\r\n", ""),
        request("", "CANCEL", 2, "", ""),
        request("", "ACK", 3, "", ""),
    ]
}

/// A call is set up with the first SDP seed, then `input` (placeholders filled for its side's
/// dialog) arrives inside it, twice (a retransmission), and every timer runs out.
pub(super) fn exec_in_dialog(input: &[u8]) -> bool {
    let mut call = establish(invite(Some(SDP_SEEDS[0])).as_bytes());
    let (from, body, ids) = match input.strip_prefix(b"B:") {
        Some(rest) => (CALLEE, rest, call.b_leg.clone()),
        None => (CALLER, input, call.a_leg.clone()),
    };
    let Some(ids) = ids else {
        return false;
    };
    let text = String::from_utf8_lossy(body)
        .replace("$CALLID", &ids.call_id)
        .replace("$LOCAL", &ids.local_tag)
        .replace("$REMOTE", &ids.remote_tag);
    // Bytes that are not UTF-8 go through as they were: the lossy text would hide them.
    let bytes = if std::str::from_utf8(body).is_ok() {
        text.into_bytes()
    } else {
        body.to_vec()
    };
    call.core.send(from, &bytes);
    call.core.send(from, &bytes);
    for step in [1, 5, 40, 120] {
        call.core.advance(Duration::from_secs(step));
    }
    true
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

    /// The in-dialog seeds reach a confirmed dialog on each side: both legs' ids are known, and
    /// a BYE from the caller ends the call (the callee gets a BYE of the switch).
    #[test]
    fn in_dialog_seeds_reach_an_established_call() {
        let call = establish(invite(Some(SDP_SEEDS[0])).as_bytes());
        assert!(call.a_leg.is_some() && call.b_leg.is_some());
        let mut call = call;
        let ids = call.a_leg.clone().expect("caller dialog");
        let bye = String::from_utf8(in_dialog_seeds()[0].clone())
            .expect("text")
            .replace("$CALLID", &ids.call_id)
            .replace("$LOCAL", &ids.local_tag)
            .replace("$REMOTE", &ids.remote_tag);
        let sent = call.core.out.len();
        call.core.send(CALLER, bye.as_bytes());
        let out: Vec<String> = call.core.out[sent..]
            .iter()
            .map(|t| String::from_utf8_lossy(&t.bytes).into_owned())
            .collect();
        assert!(
            out.iter()
                .any(|m| m.starts_with("SIP/2.0 200") && m.contains("BYE")),
            "{out:?}"
        );
        assert!(out.iter().any(|m| m.starts_with("BYE ")), "{out:?}");
        for seed in in_dialog_seeds() {
            assert!(exec_in_dialog(&seed));
        }
    }
}
