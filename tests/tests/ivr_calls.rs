//! Calls through a dialplan on the real switch: the caller's media is a socket of this test, so
//! it can check the prompt's audio (frequency, pacing, RTP fields) and send RFC 4733 digits; the
//! signalling is SIPp; the agent is a SIPp callee that echoes audio.

use media::g711::Codec;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use switchboard_e2e::{callee, password, sipp, wait_for_cdrs, Options, Switch};

const PLAN: &str = r#"
[[route]]
number = "5000"

[[step]]
id = "answer"
type = "answer"

[[step]]
id = "menu"
type = "menu"
prompts = ["tone:1000:4000"]
options = { "1" = "agent" }
timeout = "5s"
max_attempts = 1
fallback = "bye"

[[step]]
id = "agent"
type = "dial"
extension = "2002"
ring_timeout = "10s"
on_failure = "bye"

[[step]]
id = "bye"
type = "hangup"
cause = "normal"
"#;

/// A caller whose SDP points at `rtp_port` (a socket of the test), hanging up after `talk_ms`;
/// with `info_digit`, it sends that digit as SIP INFO (application/dtmf-relay) 1.5 s after the ACK.
fn caller_scenario(
    rtp_port: u16,
    talk_ms: u64,
    info_digit: Option<char>,
    pcap: Option<&str>,
) -> String {
    let info = match info_digit {
        Some(d) => format!(
            r#"  <pause milliseconds="1500"/>
  <send retrans="500"><![CDATA[
INFO [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 3 INFO
Max-Forwards: 70
Content-Type: application/dtmf-relay
Content-Length: [len]

Signal={d}
Duration=160
]]></send>
  <recv response="200"/>
"#
        ),
        None => String::new(),
    };
    let info = match pcap {
        // SIPp's own RTP player sends the recorded telephone-event packets of a key press.
        Some(file) => format!(
            r#"  <pause milliseconds="1800"/>
  <nop><action><exec play_pcap_audio="{file}"/></action></nop>
"#
        ),
        None => info,
    };
    let talk_ms = if info_digit.is_some() || pcap.is_some() {
        talk_ms.saturating_sub(1500)
    } else {
        talk_ms
    };
    let invite = |cseq: u32, auth: &str| {
        format!(
            r#"  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} INVITE
Contact: <sip:2001@[local_ip]:[local_port]>
{auth}
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio {rtp_port} RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
]]></send>
"#
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="ivr caller">
{first}  <recv response="100" optional="true"/>
  <recv response="407" auth="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: <sip:2001@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
{second}  <recv response="100" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
{info}  <pause milliseconds="{talk_ms}"/>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:2001@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 4 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"#,
        first = invite(1, ""),
        second = invite(2, "[authentication]"),
    )
}

struct Received {
    from: SocketAddr,
    pt: u8,
    seq: u16,
    ts: u32,
    marker: bool,
    payload: Vec<u8>,
    at: Instant,
}

fn recv_rtp(socket: &UdpSocket, until: Instant) -> Vec<Received> {
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    while Instant::now() < until {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        if n < 12 {
            continue;
        }
        out.push(Received {
            from,
            pt: buf[1] & 0x7f,
            marker: buf[1] & 0x80 != 0,
            seq: u16::from_be_bytes([buf[2], buf[3]]),
            ts: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            payload: buf[12..n].to_vec(),
            at: Instant::now(),
        });
    }
    out
}

fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt | if marker { 0x80 } else { 0 }];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn decode(packets: &[Received]) -> Vec<i16> {
    packets
        .iter()
        .filter(|p| p.pt == 0)
        .flat_map(|p| p.payload.iter().map(|b| Codec::Pcmu.decode(*b)))
        .collect()
}

/// Send 1 s of 1.5 kHz to the relay and expect the agent's echo of it back through the bridge;
/// again until `deadline` while it is not there (the plan is still dialling the agent).
fn echo_check(media: &UdpSocket, relay_a: SocketAddr, deadline: Instant) {
    let tone: Vec<u8> = media::tone::sine(1500.0, 8000.0, 8000)
        .into_iter()
        .map(|s| Codec::Pcmu.encode(s))
        .collect();
    let mut seq = 1000u16;
    let mut ts = 80_000u32;
    loop {
        for (i, frame) in tone.chunks(160).enumerate() {
            media
                .send_to(&rtp(0, i == 0, seq, ts, frame), relay_a)
                .expect("send audio");
            seq = seq.wrapping_add(1);
            ts = ts.wrapping_add(160);
            // Real-time pacing, as a phone sends.
            std::thread::sleep(Duration::from_millis(20));
        }
        let echoed = recv_rtp(media, Instant::now() + Duration::from_millis(500));
        let share = tone_share(&decode(&echoed), 1500.0);
        if share > 0.5 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the agent's echo of our 1500 Hz (not ringback) came back through the bridge (share {share:.2}, {} packets)",
            echoed.len()
        );
    }
}

/// Share of the signal's power at `freq` (1.0: a pure tone at exactly that frequency).
fn tone_share(samples: &[i16], freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mean_square =
        samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64;
    if mean_square == 0.0 {
        return 0.0;
    }
    media::goertzel::power(freq, samples) / mean_square
}

/// How the caller presses 1.
#[derive(Clone, Copy, PartialEq)]
enum Press {
    Rfc4733,
    InBand,
    SipInfo,
    /// SIPp plays a recorded RFC 4733 key press (Debian's sip-tester ships dtmf_2833_1.pcap).
    SippPcap,
}

#[test]
fn menu_prompt_audio_arrives_and_an_rfc4733_digit_reaches_the_agent() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    menu_call(Press::Rfc4733);
}

#[test]
fn an_in_band_dtmf_digit_in_the_g711_stream_reaches_the_agent() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    menu_call(Press::InBand);
}

#[test]
fn a_sip_info_digit_reaches_the_agent() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    menu_call(Press::SipInfo);
}

#[test]
fn a_sipp_pcap_rfc4733_digit_reaches_the_agent() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    menu_call(Press::SippPcap);
}

fn menu_call(press: Press) {
    let plans = tempfile::tempdir().expect("tempdir");
    std::fs::write(plans.path().join("test.toml"), PLAN).expect("plan");
    std::fs::create_dir_all(plans.path().join("prompts")).expect("prompts dir");
    let switch = Switch::start(Options {
        extra_toml: format!("[ivr]\ndialplans = \"{}\"\n", plans.path().display()),
        ..Options::default()
    })
    .expect("switch with a dialplan");
    let agent = callee(&switch, "2002", "uas_answer.xml", &["-rtp_echo"]).expect("agent");

    let media = UdpSocket::bind("127.0.0.1:0").expect("media socket");
    media
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let rtp_port = media.local_addr().expect("addr").port();
    let scenario = switch.dir.path().join("ivr_caller.xml");
    let info = (press == Press::SipInfo).then_some('1');
    std::fs::write(
        &scenario,
        caller_scenario(
            rtp_port,
            7000,
            info,
            (press == Press::SippPcap).then_some("/usr/share/sip-tester/dtmf_2833_1.pcap"),
        ),
    )
    .expect("scenario");
    let port = switchboard_e2e::free_port().to_string();
    let caller = sipp(
        &switch,
        "ivr-caller",
        &scenario,
        &[
            "-s",
            "5000",
            "-au",
            "2001",
            "-ap",
            password("2001"),
            "-p",
            &port,
            "-m",
            "1",
        ],
    )
    .expect("caller");

    // 1. The menu prompt: a 1 kHz tone, 50 packets a second, PCMU, one marker, contiguous seq/ts.
    let start = Instant::now();
    let prompt = recv_rtp(&media, start + Duration::from_millis(1500));
    let relay_a = prompt
        .first()
        .map(|p| p.from)
        .unwrap_or_else(|| panic!("no prompt RTP\n{}", switch.log_text()));
    let window: Vec<&Received> = prompt
        .iter()
        .filter(|p| p.at >= prompt[0].at + Duration::from_millis(200))
        .collect();
    let span = window
        .last()
        .map(|l| l.at - window[0].at)
        .unwrap_or_default()
        .as_secs_f64();
    let rate = (window.len() as f64 - 1.0) / span;
    assert!(
        (40.0..60.0).contains(&rate),
        "prompt paced at {rate:.1} packets/s"
    );
    assert!(prompt.iter().all(|p| p.pt == 0 && p.payload.len() == 160));
    assert!(
        prompt[0].marker,
        "first packet of the prompt has the marker bit"
    );
    for w in prompt.windows(2) {
        assert_eq!(w[1].seq, w[0].seq.wrapping_add(1), "seq continuity");
        assert_eq!(w[1].ts, w[0].ts.wrapping_add(160), "ts continuity");
    }
    let share = tone_share(&decode(&prompt), 1000.0);
    assert!(share > 0.8, "prompt is a 1 kHz tone (share {share:.2})");

    // 2. Press 1.
    match press {
        Press::Rfc4733 => {
            // PT 101: three updates then three end packets, as phones do.
            let ts = 50_000u32;
            for (i, (end, dur)) in [
                (false, 160u16),
                (false, 320),
                (false, 480),
                (true, 640),
                (true, 640),
                (true, 640),
            ]
            .into_iter()
            .enumerate()
            {
                let mut ev = vec![1u8, if end { 0x80 | 10 } else { 10 }];
                ev.extend_from_slice(&dur.to_be_bytes());
                media
                    .send_to(&rtp(101, i == 0, 100 + i as u16, ts, &ev), relay_a)
                    .expect("send dtmf");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Press::InBand => {
            // 100 ms of the DTMF tone pair for 1 (697 + 1209 Hz) in PCMU, then 100 ms of silence.
            let mut pcm = media::tone::dtmf('1', 6000.0, 100).expect("dtmf tone");
            pcm.extend(std::iter::repeat_n(0i16, 800));
            for (i, frame) in pcm.chunks(160).enumerate() {
                let payload: Vec<u8> = frame.iter().map(|s| Codec::Pcmu.encode(*s)).collect();
                media
                    .send_to(
                        &rtp(0, i == 0, 200 + i as u16, 60_000 + 160 * i as u32, &payload),
                        relay_a,
                    )
                    .expect("send");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Press::SipInfo => {}  // SIPp sends the INFO 1.5 s after its ACK
        Press::SippPcap => {} // SIPp plays the key press 1.8 s after its ACK
    }

    // 3. The plan dials the agent, who answers and echoes: what we send at 1500 Hz comes back,
    // once the bridge is up (within the caller's 7 s on the line).
    // (Not with SIPp's pcap: the relay latched to SIPp's RTP port, so our socket is refused.)
    if press != Press::SippPcap {
        echo_check(&media, relay_a, Instant::now() + Duration::from_secs(5));
    }

    caller
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    agent
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })
    .expect("CDRs");
    let cdr = &cdrs[0];
    assert_eq!(cdr.callee, "5000");
    assert_eq!(cdr.disposition, Some(crm::Disposition::Answered));
    assert_eq!(cdr.hangup_side, Some(crm::Side::Caller));
    assert!(
        cdr.legs
            .iter()
            .any(|l| l.extension == "2002" && l.answered_at.is_some()),
        "{:?}",
        cdr.legs
    );
}
