//! Click to ringing of a web call (issue 10; docs/benchmarks.md, "Web calls"): the real switch
//! binary with a web entry that queues straight to `bench`, whose four agents' phones are plain
//! UDP sockets here (registered by SIPp, then answering every INVITE with 180 and every CANCEL
//! with 200 + 487). A visitor is a WebSocket client sending the widget's offer (a fixed
//! Chromium-shaped SDP: the switch answers and places the call before any media flows).
//! Per call: offer sent → INVITE at the agent's phone, and offer sent → `ringing` state at the
//! visitor; N sequential calls, then N more in rounds of M concurrent (M = the four agents).
//! The page's `ringing` is the ACD's view, pushed to the gateway's call task in the step of the
//! core that offers the call (`driver/web/progress.rs`; before, read when the core answered
//! the web leg and every second after): the last column counts calls whose page saw `queued`
//! first.
//! Run only by `cargo bench` (harness = false); needs SIPp for the registrations.

use std::collections::HashMap;
use std::net::UdpSocket;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use switchboard_e2e::web_offer::CHROMIUM_OFFER;
use switchboard_e2e::{acd, free_port, needs_sipp, register, Options, Switch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const AGENTS: [(&str, &str); 4] = [
    ("a1", "2001"),
    ("a2", "2002"),
    ("a3", "2003"),
    ("a4", "2004"),
];
const ORIGIN: &str = "https://bank.example";

/// When each visitor's INVITE reached an agent's phone, by the visitor's number (its
/// unverified customer id `b{n}` is in the INVITE's caller name).
type Arrivals = Arc<Mutex<HashMap<usize, Instant>>>;

fn main() -> anyhow::Result<()> {
    if !needs_sipp() {
        return Ok(());
    }
    let calls: usize = std::env::var("RINGBENCH_CALLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let sw = bench_switch()?;
    let arrivals: Arrivals = Arc::default();
    for (agent, ext) in AGENTS {
        let port = free_port();
        register(&sw, ext, port)?;
        let socket = UdpSocket::bind(("127.0.0.1", port))?;
        let arrivals = arrivals.clone();
        std::thread::spawn(move || phone(socket, arrivals));
        acd::login(&sw, agent)?;
    }
    let url = format!("ws://127.0.0.1:{}/api/web/bench/ws", sw.http_port);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    println!("click_to_ringing: {}", load());
    let mut table = Vec::new();
    for concurrent in [1, AGENTS.len()] {
        let mut invite_ms = Vec::new();
        let mut ringing_ms = Vec::new();
        let mut queued_first = 0;
        let mut n = 0;
        while n < calls {
            let round: Vec<usize> = (n..(n + concurrent).min(calls))
                .map(|i| i + table.len() * calls)
                .collect();
            n += round.len();
            let results = rt.block_on(async {
                let visits: Vec<_> = round
                    .iter()
                    .map(|&i| tokio::spawn(visit(url.clone(), i)))
                    .collect();
                let mut out = Vec::new();
                for v in visits {
                    out.push(v.await);
                }
                out
            });
            for (i, result) in round.iter().zip(results) {
                let (sent, rung, queued) = result??;
                queued_first += usize::from(queued);
                let at_agent = arrival(&arrivals, *i)?;
                invite_ms.push(ms(at_agent.saturating_duration_since(sent)));
                ringing_ms.push(ms(rung.saturating_duration_since(sent)));
            }
            // Let the switch free the agents (CANCEL, 487, ACK) before the next round.
            wait_idle(&sw)?;
        }
        table.push((concurrent, invite_ms, ringing_ms, queued_first));
    }
    println!("| concurrent | calls | offer → INVITE at agent, median / p95 / max ms | offer → \"ringing\" at visitor, median / p95 / max ms | \"queued\" shown first |");
    println!("|---:|---:|---|---|---:|");
    for (concurrent, mut invite, mut ringing, queued_first) in table {
        println!(
            "| {concurrent} | {} | {} | {} | {queued_first} |",
            invite.len(),
            summary(&mut invite),
            summary(&mut ringing)
        );
    }
    println!("click_to_ringing: {}", load());
    Ok(())
}

/// When call `i`'s INVITE reached its agent's phone. The page's `ringing` is pushed in the
/// same step of the core that sends the INVITE, so it may come first: wait up to 2 s for it.
fn arrival(arrivals: &Arrivals, i: usize) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let at = arrivals
            .lock()
            .map_err(|_| anyhow::anyhow!("arrivals poisoned"))?
            .get(&i)
            .copied();
        if let Some(at) = at {
            return Ok(at);
        }
        if Instant::now() > deadline {
            anyhow::bail!("call {i}: ringing without an INVITE");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn bench_switch() -> anyhow::Result<Switch> {
    let mut agents = "[[queues]]\nname = \"bench\"\n".to_string();
    for (id, ext) in AGENTS {
        agents.push_str(&format!(
            "[[agents]]\nid = \"{id}\"\nname = \"{id}\"\nextension = \"{ext}\"\nqueues = [\"bench\"]\n"
        ));
    }
    let mut sw = Switch::start(Options {
        extra_toml: agents,
        ..Options::default()
    })?;
    sw.restart_with_config(|text| {
        text
            + "\n[web]\nports = 40\nconnect_timeout_s = 10\ncalls_per_minute_per_address = 100000\n\
                [[web.entries]]\nname = \"bench\"\nqueue = \"bench\"\n\
                allowed_origins = [\"https://bank.example\"]\n"
    })?;
    Ok(sw)
}

/// One visitor: opens the socket, sends the offer (the click), waits for `ringing`, hangs up.
/// The instants the offer left and `ringing` arrived, and whether `queued` came first.
async fn visit(url: String, n: usize) -> anyhow::Result<(Instant, Instant, bool)> {
    let mut req = url.into_client_request()?;
    req.headers_mut().insert("Origin", ORIGIN.parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let offer = serde_json::json!({
        "type": "offer",
        "sdp": CHROMIUM_OFFER,
        "context": { "page_url": "https://bank.example/bench", "customer_id": format!("b{n}") },
    });
    let sent = Instant::now();
    let mut queued = false;
    ws.send(Message::Text(offer.to_string().into())).await?;
    let rung = loop {
        let msg = tokio::time::timeout(Duration::from_secs(15), ws.next())
            .await
            .map_err(|_| anyhow::anyhow!("call {n}: no ringing within 15 s"))?;
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: serde_json::Value = serde_json::from_str(t.as_str())?;
                if v["state"] == "ringing" {
                    break Instant::now();
                }
                queued |= v["state"] == "queued";
                if v["type"] == "error" || v["state"] == "ended" {
                    anyhow::bail!("call {n}: {v}");
                }
            }
            Some(Ok(_)) => {}
            other => anyhow::bail!("call {n}: the socket ended before ringing: {other:?}"),
        }
    };
    ws.send(Message::Text(r#"{"type":"hangup"}"#.into()))
        .await?;
    // Until the switch closes the socket.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    Ok((sent, rung, queued))
}

/// Until the switch counts no web call and no channel (its status is refreshed twice a second).
fn wait_idle(sw: &Switch) -> anyhow::Result<()> {
    switchboard_e2e::wait_until(Duration::from_secs(10), "the switch idle", || {
        (sw.status_field("web_calls") == 0 && sw.status_field("relay_ports_in_use") == 0)
            .then_some(())
    })
}

/// An agent's phone: rings on INVITE (180), takes CANCEL (200, 487), ignores ACK, OKs the rest.
fn phone(socket: UdpSocket, arrivals: Arrivals) {
    let mut invites: HashMap<String, String> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    while let Ok((len, from)) = socket.recv_from(&mut buf) {
        let now = Instant::now();
        let Ok(text) = std::str::from_utf8(&buf[..len]) else {
            continue;
        };
        let method = text.split(' ').next().unwrap_or_default();
        let replies = match method {
            "INVITE" => {
                if let Some(n) = visitor_of(text) {
                    if let Ok(mut a) = arrivals.lock() {
                        a.insert(n, now);
                    }
                }
                let reply = response(text, "180 Ringing");
                invites.insert(call_id(text).to_string(), text.to_string());
                vec![reply]
            }
            "CANCEL" => {
                let mut out = vec![response(text, "200 OK")];
                if let Some(invite) = invites.remove(call_id(text)) {
                    out.push(response(&invite, "487 Request Terminated"));
                }
                out
            }
            "ACK" => vec![],
            m if m.starts_with("SIP/") => vec![],
            _ => vec![response(text, "200 OK")],
        };
        for r in replies {
            let _ = socket.send_to(r.as_bytes(), from);
        }
    }
}

/// `b{n}` of the caller name `Web visitor (unverified b{n})`.
fn visitor_of(invite: &str) -> Option<usize> {
    let rest = &invite[invite.find("unverified b")? + "unverified b".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn headers(msg: &str) -> impl Iterator<Item = (&str, &str)> {
    msg.split("\r\n")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
}

fn call_id(msg: &str) -> &str {
    headers(msg)
        .find(|(k, _)| k.eq_ignore_ascii_case("Call-ID") || *k == "i")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// A response to `req`: its Via, From, Call-ID and CSeq; its To with a tag.
fn response(req: &str, status: &str) -> String {
    let mut out = format!("SIP/2.0 {status}\r\n");
    for (k, v) in headers(req) {
        let name = match k.to_ascii_lowercase().as_str() {
            "via" | "v" => "Via",
            "from" | "f" => "From",
            "call-id" | "i" => "Call-ID",
            "cseq" => "CSeq",
            "to" | "t" if v.contains("tag=") => {
                out.push_str(&format!("To: {v}\r\n"));
                continue;
            }
            "to" | "t" => {
                out.push_str(&format!("To: {v};tag=ringbench\r\n"));
                continue;
            }
            _ => continue,
        };
        out.push_str(&format!("{name}: {v}\r\n"));
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `median / p95 / max`, in ms.
fn summary(v: &mut [f64]) -> String {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    format!("{:.1} / {:.1} / {:.1}", at(0.5), at(0.95), at(1.0))
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| {
            format!(
                "load average {}",
                l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
            )
        })
        .unwrap_or_else(|_| "load average unknown".into())
}
