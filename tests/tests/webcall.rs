//! The WebRTC gateway's leg (`crates/webcall`) against headless Chromium, before it is wired
//! into the switch: the test serves a page and its WebSocket signalling (axum), answers the
//! page's offer with `WebLeg::answer`, and plays the relay's part on a UDP socket.
//! - Chromium's fake microphone plays a 1 kHz WAV: the relay socket receives PCMU RTP whose
//!   decoded audio is 1 kHz;
//! - the page presses 1: the relay socket receives it as RFC 4733 telephone-events on PT 101;
//! - the relay socket sends 440 Hz PCMU to the leg: the page's AnalyserNode peaks at 440 Hz;
//! - the tab closes: the leg ends on its own and its ports can be bound again.
//!
//! Needs `/usr/bin/chromium`, node and `npm ci` in tests/browser (tests/run.sh does all three);
//! without them the test fails unless `SWITCHBOARD_SKIP` names `browser`.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use media::g711::{ulaw_decode, ulaw_encode};
use switchboard_e2e::browser_tools::{browser_dir, missing_browser_tools, CHROMIUM};
use switchboard_e2e::tone::{tone_share, write_tone_wav};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UdpSocket;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;
use tokio::time::timeout;
use webcall::{EndReason, LegEvent, WebCallConfig, WebLeg};

#[derive(Clone)]
struct Server {
    relay: SocketAddr,
    config: WebCallConfig,
    legs: mpsc::UnboundedSender<WebLeg>,
}

async fn page() -> impl IntoResponse {
    let html = std::fs::read_to_string(browser_dir().join("webcall_page.html")).expect("page");
    Html(html)
}

async fn signal(ws: WebSocketUpgrade, State(server): State<Server>) -> impl IntoResponse {
    ws.on_upgrade(move |socket| offer_answer(socket, server))
}

/// One offer in, one answer (or an error) out; the leg goes to the test.
async fn offer_answer(mut socket: WebSocket, server: Server) {
    let Some(Ok(Message::Text(text))) = socket.recv().await else {
        return;
    };
    let offer: serde_json::Value = serde_json::from_str(text.as_str()).unwrap_or_default();
    let sdp = offer["sdp"].as_str().unwrap_or_default();
    let reply = match WebLeg::answer(sdp, &server.config, server.relay).await {
        Ok((leg, answer)) => {
            let _ = server.legs.send(leg);
            serde_json::json!({ "type": "answer", "sdp": answer })
        }
        Err(e) => serde_json::json!({ "type": "error", "error": e.to_string() }),
    };
    let _ = socket.send(Message::Text(reply.to_string().into())).await;
    // Held open until the page goes: that is when a real switch would hang up.
    while let Some(Ok(_)) = socket.recv().await {}
}

/// The browser script, its stdin (commands) and its stdout lines.
struct Script {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<String>,
}

impl Script {
    async fn tell(&mut self, command: &str) {
        let line = format!("{command}\n");
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("tell the script");
    }

    async fn expect(&mut self, prefix: &str, within: Duration) -> String {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Ok(Some(line)) if line.starts_with(prefix) => return line,
                Ok(Some(_)) => {}
                Ok(None) => panic!("webcall.mjs ended before {prefix} (see its stderr)"),
                Err(_) => panic!("no {prefix} from webcall.mjs within {within:?}"),
            }
        }
    }
}

/// Collects `count` PCMU packets the leg sends to the relay and decodes them.
async fn received_audio(relay: &UdpSocket, leg: SocketAddr, count: usize) -> Vec<i16> {
    let mut samples = Vec::new();
    let mut buf = [0u8; 1500];
    let mut packets = 0;
    while packets < count {
        let (n, from) = timeout(Duration::from_secs(5), relay.recv_from(&mut buf))
            .await
            .expect("the browser's audio keeps coming")
            .expect("recv");
        assert_eq!(from, leg, "RTP comes from the leg's own socket");
        let packet = media::RtpPacket::parse(&buf[..n]).expect("RTP");
        assert_eq!(packet.payload_type(), 0, "PCMU");
        samples.extend(packet.payload().iter().map(|&b| ulaw_decode(b)));
        packets += 1;
    }
    samples
}

/// Waits for the end of the telephone-event `digit` (RFC 4733 code) on PT 101, skipping
/// audio.
async fn received_event(relay: &UdpSocket, digit: u8) {
    let mut buf = [0u8; 1500];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (n, _) = tokio::time::timeout_at(deadline, relay.recv_from(&mut buf))
            .await
            .expect("the key press reaches the relay within 5 s")
            .expect("recv");
        let packet = media::RtpPacket::parse(&buf[..n]).expect("RTP");
        if packet.payload_type() != 101 {
            continue;
        }
        let event = media::dtmf::TelephoneEvent::parse(packet.payload()).expect("RFC 4733 payload");
        assert_eq!(event.event, digit, "{event:?}");
        if event.end {
            return;
        }
    }
}

/// The relay's part: 440 Hz PCMU to the leg every 20 ms until aborted.
async fn send_tone(relay: Arc<UdpSocket>, leg: SocketAddr) {
    let mut interval = tokio::time::interval(Duration::from_millis(20));
    let (mut seq, mut ts, mut phase) = (1u16, 0u32, 0usize);
    loop {
        interval.tick().await;
        let mut packet = vec![0x80, 0];
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&ts.to_be_bytes());
        packet.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        for i in phase..phase + 160 {
            let t = i as f64 / 8000.0;
            let s = (t * 440.0 * std::f64::consts::TAU).sin() * 12_000.0;
            packet.push(ulaw_encode(s as i16));
        }
        let _ = relay.send_to(&packet, leg).await;
        (seq, ts, phase) = (seq.wrapping_add(1), ts.wrapping_add(160), phase + 160);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_call_is_relayed_as_plain_rtp_both_ways_and_ends_when_the_tab_closes() {
    if let Some(why) = missing_browser_tools(&["playwright-core"]) {
        testkit::cannot_run("browser", &why);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let wav = dir.path().join("tone-1000.wav");
    write_tone_wav(&wav, 1000.0, 12_000, 2, 48_000).expect("tone WAV");

    let relay = Arc::new(UdpSocket::bind("127.0.0.1:0").await.expect("relay"));
    let (legs_tx, mut legs) = mpsc::unbounded_channel();
    let server = Server {
        relay: relay.local_addr().expect("addr"),
        config: WebCallConfig {
            ports: 47000..=47999,
            ..WebCallConfig::default()
        },
        legs: legs_tx,
    };
    let app = Router::new()
        .route("/", get(page))
        .route("/signal", get(signal))
        .with_state(server.clone());
    let http = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("http");
    let url = format!("http://{}/", http.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(http, app).await });

    let mut child = Command::new("node")
        .arg(browser_dir().join("webcall.mjs"))
        .env("SB_URL", &url)
        .env("SB_TONE_WAV", &wav)
        .env("SB_CHROMIUM", CHROMIUM)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    let (lines_tx, lines) = mpsc::unbounded_channel();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = stdout.next_line().await {
            let _ = lines_tx.send(line);
        }
    });
    let stdin = child.stdin.take().expect("stdin");
    let mut script = Script {
        child,
        stdin,
        lines,
    };

    let started = Instant::now();
    let mut leg = timeout(Duration::from_secs(20), legs.recv())
        .await
        .expect("the page offers within 20 s")
        .expect("a leg");
    assert!(server.config.ports.contains(&leg.ice_addr().port()));
    let event = timeout(Duration::from_secs(15), leg.next_event()).await;
    assert_eq!(event, Ok(Some(LegEvent::Connected)), "the leg connects");
    eprintln!("webcall: offer to connected in {:?}", started.elapsed());
    script.expect("CONNECTED", Duration::from_secs(10)).await;

    // The browser's microphone, through the leg: 1 kHz. The first half second is skipped
    // (Chromium's capture and encoder start up).
    received_audio(&relay, leg.rtp_addr(), 25).await;
    let heard = received_audio(&relay, leg.rtp_addr(), 50).await;
    let share = tone_share(&heard, 8000, 1000.0);
    eprintln!("webcall: relay side, share of 1 kHz {share:.2}");
    assert!(
        share > 0.6,
        "the relay hears the browser's 1 kHz (share {share:.2})"
    );
    assert!(tone_share(&heard, 8000, 440.0) < 0.05);

    // A key pressed in the page, as the relay's DTMF detector expects it.
    script.tell("dtmf 1").await;
    script.expect("PRESSED", Duration::from_secs(5)).await;
    received_event(&relay, 1).await;

    // The relay's 440 Hz, through the leg, in the page.
    let sender = tokio::spawn(send_tone(relay.clone(), leg.rtp_addr()));
    let peak = script.expect("PEAK", Duration::from_secs(20)).await;
    eprintln!("webcall: page side, {peak}");
    script.expect("HEARD", Duration::from_secs(5)).await;
    sender.abort();

    // The tab closes: the leg ends by itself and gives its ports back.
    script.expect("TAB_CLOSED", Duration::from_secs(10)).await;
    let closed = Instant::now();
    let (ice, rtp) = (leg.ice_addr(), leg.rtp_addr());
    let end = timeout(Duration::from_secs(30), leg.next_event())
        .await
        .expect("the leg ends within 30 s of the tab closing");
    eprintln!(
        "webcall: tab closed, leg ended after {:?}: {end:?}",
        closed.elapsed()
    );
    assert!(
        matches!(
            end,
            Some(LegEvent::Ended(
                EndReason::RemoteClosed | EndReason::ConsentLost
            ))
        ),
        "{end:?}"
    );
    std::net::UdpSocket::bind(ice).expect("the leg's ICE port is free again");
    std::net::UdpSocket::bind(rtp).expect("the leg's RTP port is free again");

    script.tell("done").await;
    script.expect("PASSED", Duration::from_secs(10)).await;
    let status = timeout(Duration::from_secs(10), script.child.wait())
        .await
        .expect("script exits")
        .expect("status");
    assert!(status.success(), "webcall.mjs exited with {status}");
}
