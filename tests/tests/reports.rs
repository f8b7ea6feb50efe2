//! The reports API against the real binary on a known morning of history
//! (`switchboard_e2e::report_history`): the same numbers as JSON, CSV and SVG, CSV cells that
//! cannot run as formulas, the queue_log export parsed back with the staffing crate's parser,
//! and who may read what.

use serde_json::Value;
use staffing::queue_log::QueueLogLine;
use switchboard_e2e::http_client::{request, HttpResponse};
use switchboard_e2e::report_history::{self, at, caller};
use switchboard_e2e::{Options, Switch, ADMIN_TOKEN};

const ACCOUNTS: &str = r#"
[[agents]]
id = "ann"
extension = "2001"
[[accounts]]
username = "sup"
password = "sup-password"
role = "supervisor"
token = "sup-token-0123456789abcdef0123456789abcdef"
[[accounts]]
username = "qa"
password = "qa-password"
role = "qa"
token = "qa-token-0123456789abcdef0123456789abcdef"
[[accounts]]
username = "ann"
password = "ann-password"
role = "agent"
agent = "ann"
token = "ann-token-0123456789abcdef0123456789abcdef"
"#;

fn start() -> anyhow::Result<Switch> {
    let s = Switch::start(Options {
        extra_toml: ACCOUNTS.into(),
        ..Options::default()
    })?;
    report_history::write(&s)?;
    Ok(s)
}

fn get(s: &Switch, token: &str, path: &str) -> anyhow::Result<HttpResponse> {
    let bearer = format!("Bearer {token}");
    request(s.http_port, "GET", path, &[("Authorization", &bearer)], b"")
}

fn window(rest: &str) -> String {
    format!("from=2025-03-03T00:00:00Z&to=2025-03-04T00:00:00Z&{rest}")
}

#[test]
fn tables_csv_and_charts_show_the_same_numbers() -> anyhow::Result<()> {
    let s = start()?;
    let r = get(
        &s,
        ADMIN_TOKEN,
        &format!("/api/reports/queues?{}", window("interval=15m")),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows: Vec<Value> = serde_json::from_str(&r.body)?;
    let got: Vec<(&str, &str, u64, u64, u64, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["queue"].as_str().unwrap_or_default(),
                r["bucket"].as_str().unwrap_or_default(),
                r["offered"].as_u64().unwrap_or(99),
                r["answered"].as_u64().unwrap_or(99),
                r["abandoned"].as_u64().unwrap_or(99),
                r["exited"].as_u64().unwrap_or(99),
                r["overflowed"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("=sales", "2025-03-03T09:00:00+00:00", 1, 0, 0, 1, 0),
            ("=sales", "2025-03-03T09:45:00+00:00", 0, 0, 0, 0, 1),
            ("support", "2025-03-03T09:00:00+00:00", 2, 1, 1, 0, 0),
            ("support", "2025-03-03T09:15:00+00:00", 1, 1, 0, 0, 0),
            ("support", "2025-03-03T09:30:00+00:00", 1, 1, 0, 0, 0),
        ]
    );
    // c1 within 20 s, c2 abandoned after 30 s: 1 / (1 + 1).
    assert_eq!(rows[2]["service_level"], 0.5);

    // The CSV: the same rows, `=sales` neutralised.
    let csv = get(
        &s,
        ADMIN_TOKEN,
        &format!("/api/reports/queues?{}", window("interval=15m&format=csv")),
    )?;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/csv")));
    assert!(csv
        .header("content-disposition")
        .is_some_and(|c| c.contains("attachment")));
    let lines: Vec<&str> = csv.body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + rows.len(), "{}", csv.body);
    assert!(lines[0].starts_with("queue,bucket,offered,answered,abandoned"));
    assert!(
        lines[1].starts_with("'=sales,2025-03-03T09:00:00+00:00,1,0,0,"),
        "{}",
        csv.body
    );
    assert!(
        lines[3].starts_with("support,2025-03-03T09:00:00+00:00,2,1,1,0,0,0,0,0,1,0.5,10,"),
        "{}",
        csv.body
    );
    assert!(!csv.body.contains("\n=") && !csv.body.contains(",="));

    // Channels: c3 is the only web call.
    let web: Vec<Value> = serde_json::from_str(
        &get(
            &s,
            ADMIN_TOKEN,
            &format!("/api/reports/queues?{}", window("channel=web")),
        )?
        .body,
    )?;
    assert_eq!(web.len(), 1, "{web:?}");
    assert_eq!(
        (web[0]["offered"].as_u64(), web[0]["asa_secs"].as_f64()),
        (Some(1), Some(25.0))
    );
    // Several queues by name, and an unknown channel refused.
    let both: Vec<Value> = serde_json::from_str(
        &get(
            &s,
            ADMIN_TOKEN,
            &format!(
                "/api/reports/queues?{}",
                window("queues=support,%3Dsales&channel=voice")
            ),
        )?
        .body,
    )?;
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both[1]["offered"], 3);
    let bad = get(
        &s,
        ADMIN_TOKEN,
        &format!("/api/reports/queues?{}", window("channel=fax")),
    )?;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("voice, web or all"), "{}", bad.body);

    // The calls chart: the queues together, 4 quarter hours × 3 series.
    let svg = get(
        &s,
        ADMIN_TOKEN,
        &format!(
            "/api/reports/queues/chart.svg?{}",
            window("interval=15m&chart=calls")
        ),
    )?;
    assert_eq!(svg.status, 200, "{}", svg.body);
    assert!(svg
        .header("content-type")
        .is_some_and(|c| c.starts_with("image/svg+xml")));
    assert_eq!(svg.body.matches(r#"<rect class="bar""#).count(), 12);
    // 09:00: c1, c2 and c5 offered.
    assert!(
        svg.body.contains("Offered: 2025-03-03T09:00:00+00:00, 3"),
        "{}",
        svg.body
    );
    let sl = get(
        &s,
        ADMIN_TOKEN,
        &format!(
            "/api/reports/queues/chart.svg?{}",
            window("interval=hour&chart=service_level&sl_target_pct=90&lang=ko")
        ),
    )?;
    assert!(sl.body.contains("목표: 90.0 %"), "{}", sl.body);
    let occupancy = get(
        &s,
        ADMIN_TOKEN,
        &format!(
            "/api/reports/agents/chart.svg?{}",
            window("chart=occupancy")
        ),
    )?;
    assert_eq!(occupancy.body.matches(r#"<rect class="bar""#).count(), 2);

    // Agents: ann's lunch, the offer she missed; bob's hold-free calls.
    let agents: Vec<Value> = serde_json::from_str(
        &get(
            &s,
            ADMIN_TOKEN,
            &format!("/api/reports/agents?{}", window("")),
        )?
        .body,
    )?;
    assert_eq!(agents.len(), 2, "{agents:?}");
    assert_eq!(agents[0]["agent"], "ann");
    assert_eq!(agents[0]["missed_offers"], 1);
    assert_eq!(agents[0]["hold_secs"], 20.0);
    assert!(agents[0]["paused_by_reason"]["lunch"]
        .as_f64()
        .is_some_and(|v| v > 0.0));
    assert_eq!(agents[1]["calls_completed"], 2);
    // bob's two calls: 60 s and 30 s on call.
    assert_eq!(
        (
            agents[1]["calls_answered"].as_u64(),
            agents[1]["on_call_secs"].as_f64()
        ),
        (Some(2), Some(90.0))
    );
    let agents_csv = get(
        &s,
        ADMIN_TOKEN,
        &format!("/api/reports/agents?{}", window("format=csv")),
    )?;
    assert!(
        agents_csv
            .body
            .lines()
            .next()
            .is_some_and(|h| h.ends_with("paused_secs:lunch")),
        "{}",
        agents_csv.body
    );
    Ok(())
}

/// epoch, call, queue, agent, event, data.
type Line<'a> = (i64, &'a str, &'a str, &'a str, &'a str, Vec<&'a str>);

#[test]
fn queue_log_lines_parse_back_to_the_events() -> anyhow::Result<()> {
    let s = start()?;
    let r = get(
        &s,
        "sup-token-0123456789abcdef0123456789abcdef",
        &format!("/api/reports/queue_log?{}", window("")),
    )?;
    assert_eq!(r.status, 200, "{}", r.body);
    let lines: Vec<QueueLogLine> = r
        .body
        .lines()
        .map(QueueLogLine::parse)
        .collect::<Result<_, _>>()?;
    let got: Vec<Line<'_>> = lines
        .iter()
        .map(|l| {
            (
                l.epoch,
                l.call_id.as_str(),
                l.queue.as_str(),
                l.agent.as_str(),
                l.event.as_str(),
                l.data.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let e = |h, m, sec| at(h, m, sec).timestamp();
    let (c1, c2, c5) = (caller("c1"), caller("c2"), caller("c5"));
    let (c3, c4) = (caller("c3"), caller("c4"));
    let want: Vec<Line<'_>> = vec![
        (
            e(8, 55, 0),
            "NONE",
            "NONE",
            "ann",
            "AGENTLOGIN",
            vec!["ann"],
        ),
        (
            e(9, 0, 0),
            "c1",
            "support",
            "NONE",
            "ENTERQUEUE",
            vec!["", &c1, "1"],
        ),
        (
            e(9, 0, 10),
            "c1",
            "support",
            "ann",
            "CONNECT",
            vec!["10", "", "0"],
        ),
        (
            e(9, 1, 50),
            "c1",
            "support",
            "ann",
            "COMPLETECALLER",
            vec!["10", "100", "1"],
        ),
        (
            e(9, 5, 0),
            "c2",
            "support",
            "NONE",
            "ENTERQUEUE",
            vec!["", &c2, "1"],
        ),
        (
            e(9, 5, 30),
            "c2",
            "support",
            "NONE",
            "ABANDON",
            vec!["1", "1", "30"],
        ),
        (
            e(9, 10, 0),
            "c5",
            "=sales",
            "NONE",
            "ENTERQUEUE",
            vec!["", &c5, "1"],
        ),
        (
            e(9, 10, 5),
            "c5",
            "=sales",
            "NONE",
            "EXITWITHKEY",
            vec!["1", "1", "1", "5"],
        ),
        (
            e(9, 15, 0),
            "NONE",
            "NONE",
            "bob",
            "AGENTLOGIN",
            vec!["bob"],
        ),
        (
            e(9, 20, 0),
            "c3",
            "support",
            "NONE",
            "ENTERQUEUE",
            vec!["", &c3, "1"],
        ),
        (
            e(9, 20, 25),
            "c3",
            "support",
            "bob",
            "CONNECT",
            vec!["25", "", "0"],
        ),
        (
            e(9, 21, 25),
            "c3",
            "support",
            "bob",
            "COMPLETEAGENT",
            vec!["25", "60", "1"],
        ),
        (
            e(9, 40, 0),
            "c4",
            "support",
            "NONE",
            "ENTERQUEUE",
            vec!["", &c4, "1"],
        ),
        (
            e(9, 40, 15),
            "c4",
            "support",
            "ann",
            "RINGNOANSWER",
            vec!["15000"],
        ),
        (
            e(9, 40, 40),
            "c4",
            "support",
            "bob",
            "CONNECT",
            vec!["40", "", "0"],
        ),
        (
            e(9, 41, 10),
            "c4",
            "support",
            "bob",
            "COMPLETECALLER",
            vec!["40", "30", "1"],
        ),
        (e(9, 50, 0), "c6", "=sales", "NONE", "JOINEMPTY", vec![]),
        (e(10, 0, 0), "NONE", "NONE", "ann", "PAUSE", vec!["lunch"]),
    ];
    assert_eq!(got, want, "{}", r.body);
    assert!(r
        .header("content-disposition")
        .is_some_and(|c| c.contains("queue_log")));
    Ok(())
}

#[test]
fn only_supervisors_and_admins_read_the_queue_log_and_agents_no_reports() -> anyhow::Result<()> {
    let s = start()?;
    let qa = "qa-token-0123456789abcdef0123456789abcdef";
    let ann = "ann-token-0123456789abcdef0123456789abcdef";
    let sup = "sup-token-0123456789abcdef0123456789abcdef";
    for path in [
        "/api/reports/queues",
        "/api/reports/agents",
        "/api/reports/queues/chart.svg",
        "/api/reports/agents/chart.svg",
        "/api/reports/queue_log",
    ] {
        let url = format!("{path}?{}", window(""));
        assert_eq!(get(&s, ann, &url)?.status, 403, "agent {path}");
        assert_eq!(get(&s, sup, &url)?.status, 200, "supervisor {path}");
        let qa_status = if path.ends_with("queue_log") {
            403
        } else {
            200
        };
        assert_eq!(get(&s, qa, &url)?.status, qa_status, "qa {path}");
    }
    // A window that ends before it starts is a clear 400.
    let r = get(
        &s,
        sup,
        "/api/reports/queue_log?from=2025-03-04T00:00:00Z&to=2025-03-03T00:00:00Z",
    )?;
    assert_eq!(r.status, 400, "{}", r.body);
    Ok(())
}
