//! Call audio nobody else can take: SIPp calls through the real switch while a socket that never
//! speaks SIP sprays every port of the relay's range with well-formed RTP (docs/security.md,
//! "Media"). The attacker sends from 127.0.0.66 (Linux routes all of 127/8 to lo), the phones
//! from 127.0.0.1.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use switchboard_e2e::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use switchboard_e2e::{
    call, callee, callee_with, free_media_port, free_port, password, scenario, sipp, CallerPlan,
    Options, Sipp, Switch,
};

const ATTACKER_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 66);

/// 20 ms of PCMU silence in an RTP packet.
fn rtp(ssrc: u32, seq: u16) -> [u8; 172] {
    let mut packet = [0xffu8; 172];
    packet[0] = 0x80;
    packet[1] = 0;
    packet[2..4].copy_from_slice(&seq.to_be_bytes());
    packet[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    packet[8..12].copy_from_slice(&ssrc.to_be_bytes());
    packet
}

/// Sprays `port_min..=port_max` every 40 ms (per port: one SSRC, consecutive sequence numbers)
/// and counts every datagram that comes back.
struct Attacker {
    stop: Arc<AtomicBool>,
    received: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Attacker {
    fn spray(range: (u16, u16)) -> Attacker {
        let sock = UdpSocket::bind((ATTACKER_IP, 0)).expect("attacker socket on 127.0.0.66");
        sock.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicU64::new(0));
        let (halt, count) = (Arc::clone(&stop), Arc::clone(&received));
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut seq = 0u16;
            while !halt.load(Ordering::Relaxed) {
                for port in range.0..=range.1 {
                    let packet = rtp(u32::from(port), seq);
                    // Closed ports answer with ICMP; an unconnected socket ignores it.
                    let _ = sock.send_to(&packet, (Ipv4Addr::LOCALHOST, port));
                }
                seq = seq.wrapping_add(1);
                let until = Instant::now() + Duration::from_millis(40);
                while Instant::now() < until {
                    while sock.recv_from(&mut buf).is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        });
        Attacker {
            stop,
            received,
            thread: Some(thread),
        }
    }

    fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

impl Drop for Attacker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Ports of the relay range: as many as the harness gives a switch.
const RANGE_LEN: u16 = 200;

/// A switch whose relay range lies in 61000-65399, above the kernel's ephemeral ports and away
/// from the 20000-29999 the harness gives every other test switch: the attacker must spray no
/// one else's calls (other suites, or other people's runs on a shared machine, whose relays
/// may be older). Returns the switch and its range.
fn switch_with_own_range(opts: Options) -> (Switch, (u16, u16)) {
    let mut switch = Switch::start(opts).expect("switch starts");
    let free = |base: u16| {
        (base..base + RANGE_LEN).all(|p| UdpSocket::bind((Ipv4Addr::LOCALHOST, p)).is_ok())
    };
    let base = (0..50)
        .map(|_| 61_000 + 2 * (free_port() % 2_100))
        .find(|&b| free(b))
        .expect("a free 200-port window in 61000-65399");
    let range = (base, base + RANGE_LEN - 1);
    switch
        .restart_with_config(|toml| {
            toml.lines()
                .map(|l| match l.split('=').next().map(str::trim) {
                    Some("port_min") => format!("port_min = {}", range.0),
                    Some("port_max") => format!("port_max = {}", range.1),
                    _ => l.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .expect("switch restarts on its own range");
    (switch, range)
}

/// Wait up to 5 s for a status counter to reach `at_least`; returns its last value.
fn wait_status(switch: &Switch, field: &str, at_least: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = switch.status_field(field);
        if v >= at_least || Instant::now() > deadline {
            return v;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Packets in each of the caller's two bursts (1 s of tone).
const BURST: u64 = 50;

/// A caller scenario (tests/sipp/uac_tone.xml) that plays 1 s of tone, is silent for 3 s
/// (past the 2 s after which the old relay let any address take a silent side over), plays it
/// again and hangs up.
fn two_burst_caller(dir: &Path) -> PathBuf {
    let pcap = dir.join("burst.pcap");
    write_tone_pcap(&pcap, &ToneStream::new(1000.0, 1)).expect("pcap");
    let path = tone_scenario(dir, "uac_tone.xml", &pcap).expect("scenario");
    let xml = std::fs::read_to_string(&path).expect("read scenario");
    let play = format!(
        "<nop><action><exec play_pcap_audio=\"{}\"/></action></nop>",
        pcap.display()
    );
    let xml = xml.replacen(
        "<pause/>",
        &format!("<pause milliseconds=\"4000\"/>\n  {play}\n  <pause milliseconds=\"1500\"/>"),
        1,
    );
    assert!(xml.contains("milliseconds=\"4000\""), "{xml}");
    std::fs::write(&path, xml).expect("write scenario");
    path
}

fn call_with(switch: &Switch, caller: &str, number: &str, scenario: &Path) {
    start_caller(switch, caller, number, scenario, &[])
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", switch.log_text()));
}

/// A SIPp caller running `scenario` from `caller` to `number`, with `extra` options.
fn start_caller(
    switch: &Switch,
    caller: &str,
    number: &str,
    scenario: &Path,
    extra: &[&str],
) -> Sipp {
    let port = free_port().to_string();
    let media = free_media_port().to_string();
    let mut args = vec![
        "-s",
        number,
        "-au",
        caller,
        "-ap",
        password(caller),
        "-key",
        "caller",
        caller,
        "-p",
        &port,
        "-m",
        "1",
        "-mp",
        &media,
    ];
    args.extend_from_slice(extra);
    sipp(
        switch,
        &format!("caller-{caller}-{number}"),
        scenario,
        &args,
    )
    .expect("caller")
}

/// Regression: a socket spraying the relay ports received 300 packets of a caller's audio while
/// the callee was silent, and took the call over when the callee paused for 2 s.
#[test]
fn an_attacker_spraying_the_relay_range_receives_nothing() {
    let (switch, range) = switch_with_own_range(Options::default());
    // Spraying from before the first call: the attacker is there before the first packet.
    let attacker = Attacker::spray(range);
    let caller = two_burst_caller(switch.dir.path());

    // 1. A callee that never sends: its side never latches; the caller's audio goes to the
    //    callee's SDP address only.
    let silent = callee(&switch, "2002", "uas_silent.xml", &[]).expect("silent callee");
    call_with(&switch, "2001", "2002", &caller);
    silent
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let to_callee = wait_status(&switch, "rtp_packets_a_to_b", 2 * BURST - 5);
    assert!(
        to_callee >= 2 * BURST - 5,
        "the silent callee got both bursts: {to_callee}"
    );
    assert_eq!(attacker.received(), 0, "attacker, silent callee");

    // 2. A callee that echoes, so it pauses for 3 s with the caller: it keeps its side; the
    //    echo of the second burst still reaches the caller.
    let echo = callee(&switch, "2003", "uas_answer.xml", &["-rtp_echo"]).expect("echo callee");
    call_with(&switch, "2001", "2003", &caller);
    echo.wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    let back = wait_status(&switch, "rtp_packets_b_to_a", 2 * BURST - 5);
    assert!(
        back >= 2 * BURST - 5,
        "both bursts echoed back through the relay: {back}"
    );
    assert_eq!(attacker.received(), 0, "attacker, pausing callee");

    // The refused packets are counted, in /api/status and /metrics.
    let refused = wait_status(&switch, "rtp_foreign_dropped", 100);
    assert!(refused >= 100, "foreign packets counted: {refused}");
    let metrics = switch.http_get("/metrics").expect("metrics");
    assert!(
        metrics.contains("switchboard_rtp_foreign_packets_dropped_total "),
        "{metrics}"
    );
    drop(attacker);
}

/// Packets from a stranger do not keep a dead call alive: both phones silent, the attacker
/// spraying, and the media timeout still ends the call (the old relay latched the attacker and
/// counted its packets as the call's media).
#[test]
fn refused_packets_do_not_keep_a_silent_call_alive() {
    let (switch, range) = switch_with_own_range(Options {
        media_timeout_s: 2,
        ..Options::default()
    });
    let attacker = Attacker::spray(range);
    let silent = callee(&switch, "2002", "uas_silent.xml", &[]).expect("silent callee");
    let started = Instant::now();
    call(&switch, "2001", "2002", CallerPlan::AnswerThenExpectBye)
        .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", switch.log_text()));
    silent
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "ended by the media timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(attacker.received(), 0);
    assert!(wait_status(&switch, "rtp_foreign_dropped", 1) > 0);
}

/// A caller scenario (tests/sipp/uac_tone.xml) that sends no audio of its own (the test sends
/// it) and whose SDP names `sdp_port`; it hangs up after `-d` ms.
fn caller_naming(dir: &Path, sdp_port: u16) -> PathBuf {
    let xml = std::fs::read_to_string(scenario("uac_tone.xml")).expect("uac_tone.xml");
    let (Some(play), Some(pause)) = (xml.find("  <nop>"), xml.find("  <pause/>")) else {
        panic!("uac_tone.xml plays a pcap, then pauses: {xml}");
    };
    let xml = format!("{}{}", &xml[..play], &xml[pause..])
        .replace("m=audio [media_port]", &format!("m=audio {sdp_port}"));
    let path = dir.join("uac_natted.xml");
    std::fs::write(&path, xml).expect("write scenario");
    path
}

/// Datagrams that reach `sock` within `window` (its read timeout is short).
fn count_within(sock: &UdpSocket, window: Duration) -> u64 {
    let mut n = 0;
    let mut buf = [0u8; 2048];
    let end = Instant::now() + window;
    while Instant::now() < end {
        n += u64::from(sock.recv_from(&mut buf).is_ok());
    }
    n
}

/// Where the first datagram to reach `sock` within `window` came from.
fn first_from(sock: &UdpSocket, window: Duration) -> Option<SocketAddr> {
    let mut buf = [0u8; 2048];
    let end = Instant::now() + window;
    while Instant::now() < end {
        if let Ok((_, from)) = sock.recv_from(&mut buf) {
            return Some(from);
        }
    }
    None
}

/// A phone behind NAT: the caller's SDP names one port, its RTP comes from another of the same
/// IP. Once its stream passes probation the callee's audio goes to the port it really sends
/// from, and its audio reaches the callee: two-way audio.
#[test]
fn a_caller_behind_nat_gets_two_way_audio() {
    let switch = Switch::start(Options::default()).expect("switch starts");
    let dir = switch.dir.path();
    let open = || {
        let s = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("socket");
        s.set_read_timeout(Some(Duration::from_millis(20)))
            .expect("timeout");
        s
    };
    let (sdp_side, nat_side) = (open(), open());
    let sdp_port = sdp_side.local_addr().expect("addr").port();
    let pcap = dir.join("callee.pcap");
    write_tone_pcap(&pcap, &ToneStream::new(700.0, 5)).expect("pcap");
    let uas = tone_scenario(dir, "uas_tone.xml", &pcap).expect("callee scenario");
    let callee = callee_with(&switch, "2002", &uas, &[]).expect("talking callee");
    let caller = start_caller(
        &switch,
        "2001",
        "2002",
        &caller_naming(dir, sdp_port),
        &["-d", "4000"],
    );

    // Until the caller has sent, the callee's audio goes where the caller's SDP said; it comes
    // from the relay's port for the caller.
    let relay_a = first_from(&sdp_side, Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no callee audio\n{}", switch.log_text()));
    // The caller speaks from the NAT's port for 1 s.
    for seq in 0..50 {
        nat_side
            .send_to(&rtp(0x4e41_5421, seq), relay_a)
            .expect("send");
        std::thread::sleep(Duration::from_millis(20));
    }
    let heard = count_within(&nat_side, Duration::from_millis(200));
    assert!(
        heard >= 40,
        "the callee's audio reaches the NAT's port once latched: {heard}"
    );
    count_within(&sdp_side, Duration::from_millis(100));
    let stray = count_within(&sdp_side, Duration::from_millis(500));
    assert_eq!(stray, 0, "nothing goes to the SDP's port after latching");
    caller
        .wait(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()));
    callee
        .wait(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    // The caller's 50 packets, but those of the probation, reached the callee.
    let to_callee = wait_status(&switch, "rtp_packets_a_to_b", 48);
    assert_eq!(to_callee, 50 - u64::from(media::PROBATION_RTP - 1));
}
