//! Web calls through the real switch (issue 10).
//! - A visitor on the demo page (`/demo`, headless Chromium with a 1 kHz fake microphone)
//!   clicks "Call us", passes the IVR with the widget's keypad, reaches an agent (SIPp playing
//!   440 Hz) through the queue: the page hears 440 Hz, the recording's caller channel holds
//!   the browser's 1 kHz, the contact row says `web_call`; the tab closes mid-call and the call
//!   ends, with the switch's web calls and relay ports back to none.
//! - Refusals without a browser (a WebSocket client): a wrong origin (403 before the upgrade),
//!   an unknown entry, bad JSON, a forged signature, a closed entry and too many calls from one
//!   address each get their clear answer; an expired signature is downgraded to unverified, a
//!   valid one makes the call the CRM customer's (their number and name in the CDR).
//! - A visitor waiting in the queue sees `ringing` pushed the moment an agent is offered it.
//! - The widget in Korean with the microphone refused: the visitor is told, nothing is called.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use switchboard_e2e::browser::Driven;
use switchboard_e2e::browser_tools::{browser_dir, missing_browser_tools, CHROMIUM};
use switchboard_e2e::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use switchboard_e2e::tone::{blocks_with_tone, write_tone_wav, Wav};
use switchboard_e2e::web_offer::CHROMIUM_OFFER;
use switchboard_e2e::{callee_with, wait_for_cdrs, wait_until, Options, Switch};

/// 50 ms blocks: whole cycles of 1 kHz and 440 Hz at 8 kHz (as tests/tests/recording.rs).
const BLOCK: usize = 400;

const PLAN: &str = r#"
[plan]
entry = "start"

[[route]]
number = "1588"

[[step]]
id = "start"
type = "answer"

[[step]]
id = "menu"
type = "menu"
prompts = ["tone:700:400"]
options = { "1" = "loans" }
timeout = "15s"
max_attempts = 2
fallback = "bye"

[[step]]
id = "loans"
type = "queue"
queue = "loans"

[[step]]
id = "bye"
type = "hangup"
"#;

/// The `[web]` section for a switch whose pages are at `http://127.0.0.1:{http_port}`.
fn web_section(http_port: u16, extra_entries: &str) -> String {
    format!(
        "\n[web]\nports = 20\nconnect_timeout_s = 10\ncalls_per_minute_per_address = 5\n\
         demo_page = \"loans\"\n\
         [[web.entries]]\nname = \"loans\"\nroute = \"1588\"\n\
         allowed_origins = [\"http://127.0.0.1:{http_port}\", \"https://bank.example\"]\n\
         secret = \"0123456789abcdef-test\"\n{extra_entries}"
    )
}

fn web_switch(extra_entries: &str) -> (Switch, tempfile::TempDir) {
    let plans = tempfile::tempdir().expect("plan dir");
    std::fs::write(plans.path().join("web.toml"), PLAN).expect("plan");
    let opts = Options {
        extra_toml: format!(
            "[ivr]\ndialplans = \"{}\"\n\
             [[queues]]\nname = \"loans\"\n\
             [[agents]]\nid = \"kim\"\nname = \"Kim\"\nextension = \"2002\"\nqueues = [\"loans\"]\n",
            plans.path().display()
        ),
        ..Options::default()
    };
    let mut sw = Switch::start(opts).expect("switch starts");
    let port = sw.http_port;
    sw.restart_with_config(|text| text + &web_section(port, extra_entries))
        .expect("restarts with [web]");
    (sw, plans)
}

#[test]
fn a_visitor_calls_from_the_demo_page_through_the_ivr_to_an_agent_and_leaves() {
    if let Some(why) = missing_browser_tools(&["playwright-core"]) {
        testkit::cannot_run("browser", &why);
        return;
    }
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (sw, _plans) = web_switch("");
    let dir = sw.dir.path().to_path_buf();
    let wav = dir.join("tone-1000.wav");
    write_tone_wav(&wav, 1000.0, 12_000, 2, 48_000).expect("tone WAV");
    // The agent: 2002 answers and plays 440 Hz until the switch hangs up.
    let pcap = dir.join("agent-440.pcap");
    write_tone_pcap(&pcap, &ToneStream::new(440.0, 30)).expect("pcap");
    let uas = tone_scenario(&dir, "uas_tone.xml", &pcap).expect("scenario");
    let agent = callee_with(&sw, "2002", &uas, &[]).expect("agent phone");
    switchboard_e2e::acd::login(&sw, "kim").expect("agent logs in");

    let mut command = Command::new("node");
    command
        .arg(browser_dir().join("web_widget.mjs"))
        .env("SB_URL", format!("http://127.0.0.1:{}/demo", sw.http_port))
        .env("SB_TONE_WAV", &wav)
        .env("SB_CHROMIUM", CHROMIUM);
    let mut script = Driven::spawn(command, "web_widget.mjs");

    let started = Instant::now();
    script.expect(&sw, "IVR", Duration::from_secs(30));
    eprintln!("web_calls: click to IVR in {:?}", started.elapsed());
    // The status snapshot is refreshed twice a second.
    wait_until(Duration::from_secs(3), "one web call in the status", || {
        (sw.status_field("web_calls") == 1).then_some(())
    })
    .expect("the call counts");
    script.tell("keys 1");
    script.expect(&sw, "CONNECTED", Duration::from_secs(30));
    let peak = script.expect(&sw, "PEAK", Duration::from_secs(20));
    eprintln!("web_calls: page side, {peak}");
    script.expect(&sw, "HEARD", Duration::from_secs(5));
    // Let the recording hold a few seconds of both sides.
    std::thread::sleep(Duration::from_secs(4));
    script.tell("close");
    script.expect(&sw, "TAB_CLOSED", Duration::from_secs(10));

    // The tab is gone: the call ends (WebSocket closed, the gateway's BYE), everything freed.
    all_freed(&sw);
    // The browsers' WebRTC ports (the top 20 of the media range, `[web] ports`) are free.
    let config = std::fs::read_to_string(dir.join("switchboard.toml")).expect("config");
    let port_max: u16 = config
        .lines()
        .find_map(|l| l.strip_prefix("port_max = "))
        .and_then(|v| v.trim().parse().ok())
        .expect("port_max");
    for port in port_max - 19..=port_max {
        std::net::UdpSocket::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("web port {port} still taken: {e}"));
    }
    agent
        .wait(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("agent: {e}\n--- switch log ---\n{}", sw.log_text()));
    script.tell("done");
    script.expect(&sw, "PASSED", Duration::from_secs(10));
    let status = script.child.wait().expect("script exits");
    assert!(status.success(), "web_widget.mjs exited with {status}");

    let cdrs =
        wait_for_cdrs(&sw.database_url, |c| c.iter().any(|c| c.ended_at.is_some())).expect("CDRs");
    let cdr = cdrs
        .iter()
        .find(|c| c.ended_at.is_some())
        .expect("the web call's CDR");
    assert_eq!(cdr.caller, "web");
    assert_eq!(
        cdr.disposition,
        Some(crm::Disposition::Answered),
        "{cdr:#?}"
    );
    assert_eq!(cdr.agent.as_deref(), Some("kim"), "{cdr:#?}");

    // The contact history: the call's row, channel web_call, with the agent.
    let call_id = cdr.call_id.clone();
    let contact = wait_until(
        Duration::from_secs(10),
        "the web call's contact row",
        || {
            switchboard_e2e::acd::with_crm(&sw, async |crm| {
                Ok(crm.contact_by_call(&call_id).await?)
            })
            .ok()
            .flatten()
        },
    )
    .expect("contact row");
    assert_eq!(contact.channel, crm::Channel::WebCall, "{contact:?}");
    assert_eq!(contact.agent.as_deref(), Some("kim"), "{contact:?}");

    // The CDR is a web call's (cdrs.channel): the queue report split by channel counts it
    // under web and not under voice.
    let around = (
        cdr.started_at - chrono::Duration::hours(1),
        cdr.started_at + chrono::Duration::hours(1),
    );
    let offered = |channel: crm::CallChannel| {
        switchboard_e2e::acd::with_crm(&sw, async |crm| {
            let mut q = crm::ReportQuery::new(around.0, around.1);
            q.channel = Some(channel);
            Ok(crm
                .queue_report(&q)
                .await?
                .iter()
                .map(|r| r.offered)
                .sum::<u64>())
        })
        .expect("queue report")
    };
    assert_eq!(offered(crm::CallChannel::Web), 1, "the web call, as web");
    assert_eq!(offered(crm::CallChannel::Voice), 0, "no voice call");

    // The recording: the caller's channel (left) is the browser's 1 kHz, the agent's 440 Hz.
    let rec = sw.finished_recording(&cdr.call_id, Duration::from_secs(10));
    let file = dir
        .join("recordings")
        .join(rec["file"].as_str().expect("file"));
    let (left, right) = stereo(&file);
    let caller_1k = blocks_with_tone(&left, BLOCK, 1000.0);
    let agent_440 = blocks_with_tone(&right, BLOCK, 440.0);
    eprintln!("web_calls: recording {caller_1k} blocks of 1 kHz left, {agent_440} of 440 Hz right");
    assert!(
        caller_1k >= 40,
        "the browser's 1 kHz reached the agent side ({caller_1k} blocks)"
    );
    assert!(
        agent_440 >= 40,
        "the agent's 440 Hz is recorded ({agent_440} blocks)"
    );
}

/// Waits until the switch has no web call and no relay port left.
fn all_freed(sw: &Switch) {
    wait_until(
        Duration::from_secs(20),
        "web calls and relay ports back to none",
        || {
            (sw.status_field("web_calls") == 0 && sw.status_field("relay_ports_in_use") == 0)
                .then_some(())
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n--- switch log ---\n{}", sw.log_text()));
}

fn stereo(path: &std::path::Path) -> (Wav, Wav) {
    let reader = hound::WavReader::open(path).expect("WAV");
    let samples: Vec<i16> = reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("samples");
    let channel = |c: usize| Wav {
        sample_rate: 8000,
        samples: samples.iter().skip(c).step_by(2).copied().collect(),
    };
    (channel(0), channel(1))
}

mod client {
    use futures_util::{SinkExt, StreamExt};
    use std::time::Duration;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::{Error, Message};

    pub type Socket = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    /// Opens `url` as a page of `origin` would; the HTTP status when refused.
    pub async fn open(url: &str, origin: &str) -> Result<Socket, u16> {
        let mut req = url.into_client_request().expect("request");
        req.headers_mut()
            .insert("Origin", origin.parse().expect("origin"));
        match tokio_tungstenite::connect_async(req).await {
            Ok((socket, _)) => Ok(socket),
            Err(Error::Http(resp)) => Err(resp.status().as_u16()),
            Err(e) => panic!("WebSocket to {url}: {e}"),
        }
    }

    pub async fn send(socket: &mut Socket, json: serde_json::Value) {
        send_text(socket, &json.to_string()).await;
    }

    pub async fn send_text(socket: &mut Socket, text: &str) {
        socket
            .send(Message::Text(text.to_string().into()))
            .await
            .expect("send");
    }

    /// The next JSON message; `None` once the switch closed the socket.
    pub async fn next(socket: &mut Socket) -> Option<serde_json::Value> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(15), socket.next())
                .await
                .expect("the switch answers within 15 s");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    return Some(serde_json::from_str(t.as_str()).expect("JSON"))
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => {}
            }
        }
    }

    /// States until the switch's error (its code and message), then the close.
    pub async fn refused_after_states(socket: &mut Socket) -> (String, String) {
        loop {
            let msg = next(socket).await.expect("an error message");
            if msg["type"] == "state" {
                continue;
            }
            assert_eq!(msg["type"], "error", "{msg}");
            assert!(next(socket).await.is_none(), "closed after the error");
            return (
                msg["code"].as_str().unwrap_or_default().to_string(),
                msg["message"].as_str().unwrap_or_default().to_string(),
            );
        }
    }

    /// The switch's error (its code), then the close.
    pub async fn refused(socket: &mut Socket) -> (String, String) {
        let msg = next(socket).await.expect("an error message");
        assert_eq!(msg["type"], "error", "{msg}");
        assert!(next(socket).await.is_none(), "closed after the error");
        (
            msg["code"].as_str().unwrap_or_default().to_string(),
            msg["message"].as_str().unwrap_or_default().to_string(),
        )
    }
}

#[test]
fn bad_pages_and_too_many_calls_get_clear_refusals_and_leave_nothing_behind() {
    let (sw, _plans) = web_switch(
        "[[web.entries]]\nname = \"shut\"\nqueue = \"loans\"\n\
         allowed_origins = [\"https://bank.example\"]\nclosed_message = \"Closed for the holiday\"\n\
         [[web.entries]]\nname = \"broken\"\nroute = \"999\"\n\
         allowed_origins = [\"https://bank.example\"]\n",
    );
    let base = format!("ws://127.0.0.1:{}/api/web", sw.http_port);
    let bank = "https://bank.example";
    let secret = b"0123456789abcdef-test";
    // A customer of the CRM, whom the bank's site signs in.
    let created = sw
        .http_json(
            "POST",
            "/api/customers",
            r#"{"name": "Lee Seo-yeon", "grade": "vip",
                "phones": [{"number": "+821055501234", "label": "mobile"}]}"#,
        )
        .expect("customer");
    assert_eq!(created.status, 201, "{}", created.body);
    let customer: serde_json::Value = serde_json::from_str(&created.body).expect("JSON");
    let customer_id = customer["id"].as_i64().expect("id").to_string();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        // Before any upgrade: a page of another site, an entry that does not exist.
        let loans = format!("{base}/loans/ws");
        assert_eq!(
            client::open(&loans, "https://evil.example").await.err(),
            Some(403)
        );
        assert_eq!(
            client::open(&format!("{base}/nope/ws"), bank).await.err(),
            Some(404)
        );

        // Not JSON: an error, then the close.
        let mut s = client::open(&loans, bank).await.expect("open");
        client::send_text(&mut s, "not json").await;
        assert_eq!(client::refused(&mut s).await.0, "bad_message");

        // A customer id whose signature the bank did not make.
        let mut s = client::open(&loans, bank).await.expect("open");
        let expires = chrono::Utc::now().timestamp() + 600;
        let forged = webcall::signal::sign(b"not the bank's secret at all", "42", expires);
        client::send(&mut s, offer("42", &forged, expires)).await;
        assert_eq!(client::refused(&mut s).await.0, "forged_signature");

        // A closed entry says so, with its message (and costs no admission).
        let mut s = client::open(&format!("{base}/shut/ws"), bank)
            .await
            .expect("open");
        assert_eq!(
            client::refused(&mut s).await,
            ("closed".to_string(), "Closed for the holiday".to_string())
        );

        // An expired signature is downgraded: the call goes on, unverified.
        let mut s = client::open(&loans, bank).await.expect("open");
        let past = chrono::Utc::now().timestamp() - 60;
        let expired = webcall::signal::sign(secret, "42", past);
        client::send(&mut s, offer("42", &expired, past)).await;
        let answer = client::next(&mut s).await.expect("answer");
        assert_eq!(answer["type"], "answer", "{answer}");
        let mut states = Vec::new();
        while states.last().map(String::as_str) != Some("ivr") {
            let m = client::next(&mut s).await.expect("state");
            states.push(m["state"].as_str().unwrap_or_default().to_string());
        }
        assert_eq!(states, ["connecting", "ivr"]);
        // The page goes away mid-call.
        drop(s);

        // A valid, current signature: the call is the customer's, under their number.
        let mut s = client::open(&loans, bank).await.expect("open");
        let soon = chrono::Utc::now().timestamp() + 600;
        let signed = webcall::signal::sign(secret, &customer_id, soon);
        client::send(&mut s, offer(&customer_id, &signed, soon)).await;
        assert_eq!(
            client::next(&mut s).await.expect("answer")["type"],
            "answer"
        );
        while client::next(&mut s).await.expect("state")["state"] != "ivr" {}
        client::send(&mut s, serde_json::json!({ "type": "hangup" })).await;
        let last = client::next(&mut s).await.expect("the end");
        assert_eq!(
            (&last["state"], &last["reason"]),
            (&serde_json::json!("ended"), &serde_json::json!("hangup")),
            "{last}"
        );

        // An entry whose route no plan takes: the switch refuses the call, the page is told.
        let mut s = client::open(&format!("{base}/broken/ws"), bank)
            .await
            .expect("open");
        client::send(&mut s, offer("", "", 0)).await;
        assert_eq!(
            client::next(&mut s).await.expect("answer")["type"],
            "answer"
        );
        let (code, message) = client::refused_after_states(&mut s).await;
        assert_eq!(code, "failed");
        assert!(message.starts_with("404"), "{message}");

        // Five calls from this address this minute: the sixth is refused.
        let mut s = client::open(&loans, bank).await.expect("open");
        assert_eq!(client::refused(&mut s).await.0, "rate_limited");
    });

    all_freed(&sw);
    let (_, metrics) = sw.http("GET", "/metrics").expect("metrics");
    assert!(
        metrics.lines().any(|l| l == "switchboard_web_calls 0"),
        "{metrics}"
    );
    let cdrs = wait_for_cdrs(&sw.database_url, |c| {
        c.iter().filter(|c| c.ended_at.is_some()).count() == 2
    })
    .expect("CDRs");
    // Only the expired and the verified signatures' calls got in.
    let callers: Vec<(&str, Option<&str>)> = cdrs
        .iter()
        .map(|c| (c.caller.as_str(), c.caller_name.as_deref()))
        .collect();
    assert!(
        callers.contains(&("web", Some("Web visitor (unverified 42)"))),
        "{callers:?}"
    );
    assert!(
        callers.contains(&("+821055501234", Some("Lee Seo-yeon"))),
        "{callers:?}"
    );
}

/// The visitor's state is pushed by the core, not polled: a visitor waiting in the queue (the
/// only agent is signed in but their phone is not registered, so nobody is offered the call)
/// sees `ringing` as soon as the agent's phone registers and the ACD offers it the call, well
/// inside the gateway's 10 s fallback read (`REFRESH_EVERY` in driver/web/call.rs).
#[test]
fn a_waiting_visitor_sees_ringing_as_soon_as_an_agent_is_offered_the_call() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let (sw, _plans) = web_switch(
        "[[web.entries]]\nname = \"direct\"\nqueue = \"loans\"\n\
         allowed_origins = [\"https://bank.example\"]\n",
    );
    switchboard_e2e::acd::login(&sw, "kim").expect("Kim signs in");
    let url = format!("ws://127.0.0.1:{}/api/web/direct/ws", sw.http_port);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut socket = rt.block_on(async {
        let mut socket = client::open(&url, "https://bank.example")
            .await
            .expect("opens");
        client::send(&mut socket, offer("", "", 0)).await;
        loop {
            let msg = client::next(&mut socket).await.expect("a state");
            assert_ne!(msg["state"], "ringing", "no phone to ring yet: {msg}");
            if msg["state"] == "queued" {
                assert_eq!(msg["position"], 1, "{msg}");
                return socket;
            }
        }
    });
    // Kim's phone comes online: the ACD offers it the waiting call at once.
    let phone = callee_with(&sw, "2002", &switchboard_e2e::scenario("uas_ring.xml"), &[])
        .expect("Kim's phone");
    rt.block_on(async {
        let pushed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let msg = client::next(&mut socket).await.expect("a state");
                if msg["state"] == "ringing" {
                    return;
                }
            }
        })
        .await;
        assert!(
            pushed.is_ok(),
            "ringing was not pushed\n--- switch log ---\n{}",
            sw.log_text()
        );
        client::send(&mut socket, serde_json::json!({"type": "hangup"})).await;
        while client::next(&mut socket).await.is_some() {}
    });
    phone
        .wait(Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("Kim's phone: {e}\n--- switch log ---\n{}", sw.log_text()));
    all_freed(&sw);
}

fn offer(customer: &str, signature: &str, expires: i64) -> serde_json::Value {
    serde_json::json!({
        "type": "offer",
        "sdp": CHROMIUM_OFFER,
        "context": {
            "page_url": "https://bank.example/loans",
            "customer_id": customer,
            "signature": signature,
            "expires": expires,
        },
    })
}

/// The widget in Korean, with the microphone refused: the visitor is told to allow it, no call
/// reaches the switch.
#[test]
fn a_refused_microphone_is_explained_to_the_visitor_in_their_language() {
    if let Some(why) = missing_browser_tools(&["playwright-core"]) {
        testkit::cannot_run("browser", &why);
        return;
    }
    let (sw, _plans) = web_switch("");
    let out = Command::new("node")
        .arg(browser_dir().join("web_widget_refused.mjs"))
        .env("SB_URL", format!("http://127.0.0.1:{}/demo", sw.http_port))
        .env("SB_CHROMIUM", CHROMIUM)
        .stderr(Stdio::inherit())
        .output()
        .expect("node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "web_widget_refused.mjs: {stdout}");
    assert!(
        stdout.contains("REFUSED") && stdout.contains("PASSED"),
        "{stdout}"
    );
    assert_eq!(sw.status_field("web_calls"), 0);
    let cdrs = wait_for_cdrs(&sw.database_url, |_| true).expect("CDRs");
    assert!(cdrs.is_empty(), "no call was placed: {cdrs:#?}");
}
