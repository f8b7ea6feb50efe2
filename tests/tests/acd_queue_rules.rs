//! Queue rules end to end with SIPp peers: a VIP entering through a dialplan overtakes an
//! earlier caller, callers who hang up while waiting are abandons (and short abandons), and
//! callers leave by max wait (to another queue or an extension), max length and join-empty.
//! Every outcome is checked in the stored queue events, the CDR and the reports.

use crm::{OverflowReason, QueueEventKind};
use std::time::Duration;
use switchboard_e2e::acd::{
    all_succeed, answering_agent, impatient_caller, login, queue_calls, report_window,
    wait_for_queue, waiting_caller, QueueCall,
};
use switchboard_e2e::{Options, Switch};

fn start(extra_toml: String) -> Switch {
    Switch::start(Options {
        extra_toml,
        ..Options::default()
    })
    .expect("switch starts")
}

fn get_json(sw: &Switch, path: &str) -> serde_json::Value {
    let body = sw.http_get(path).expect("HTTP GET");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

/// The report row of `queue` over the last hour (one `total` bucket); `extra` adds query
/// parameters (`&short_abandon_s=2`).
fn report_row(sw: &Switch, queue: &str, extra: &str) -> serde_json::Value {
    let report = get_json(
        sw,
        &format!(
            "/api/reports/queues?{}&queue={queue}{extra}",
            report_window()
        ),
    );
    let rows = report
        .as_array()
        .or_else(|| report["rows"].as_array())
        .cloned()
        .unwrap_or_default();
    rows.into_iter()
        .find(|r| r["queue"] == queue)
        .unwrap_or_else(|| panic!("no report row for {queue}: {report}"))
}

fn call_to<'a>(calls: &'a [QueueCall], callee: &str) -> &'a QueueCall {
    calls
        .iter()
        .find(|c| c.cdr.callee == callee)
        .unwrap_or_else(|| panic!("no call to {callee}"))
}

fn panic_on(e: anyhow::Error) -> ! {
    panic!("{e}")
}

/// Wait until `n` callers wait in `support`; its live view then.
fn waiting(sw: &Switch, n: u64) -> serde_json::Value {
    wait_for_queue(sw, "support", &format!("{n} callers waiting"), |q| {
        q["waiting"] == n
    })
    .unwrap_or_else(|e| panic_on(e))
}

const VIP_PLAN: &str = r#"
[[route]]
number = "1588"
step = "ordinary"

[[route]]
number = "1589"
step = "vip"

[[step]]
id = "ordinary"
type = "queue"
queue = "support"

[[step]]
id = "vip"
type = "queue"
queue = "support"
priority = 120
"#;

#[test]
fn a_vip_from_the_dialplan_overtakes_an_earlier_caller() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let plans = tempfile::tempdir().expect("plans dir");
    std::fs::write(plans.path().join("vip.toml"), VIP_PLAN).expect("plan");
    let sw = start(format!(
        "[ivr]\ndialplans = \"{}\"\n\
         [[queues]]\nname = \"support\"\nstrategy = \"linear\"\n\
         [[agents]]\nid = \"a2002\"\nextension = \"2002\"\nqueues = [\"support\"]\n",
        plans.path().display()
    ));
    let phone = answering_agent(&sw, "2002", 2, Duration::from_millis(500)).expect("agent");
    // Nobody logged in: the ordinary caller waits first, the VIP arrives later.
    let ordinary = waiting_caller(&sw, "2001", "1588").expect("ordinary caller");
    waiting(&sw, 1);
    let vip = waiting_caller(&sw, "2003", "1589").expect("VIP caller");
    let queue = waiting(&sw, 2);
    let text = queue.to_string();
    assert!(text.contains("\"priority\":120"), "{text}");
    login(&sw, "a2002").unwrap_or_else(|e| panic_on(e));
    all_succeed(&sw, vec![ordinary, vip, phone], Duration::from_secs(20))
        .unwrap_or_else(|e| panic_on(e));

    let calls = queue_calls(&sw, 2).unwrap_or_else(|e| panic_on(e));
    let (ordinary, vip) = (call_to(&calls, "1588"), call_to(&calls, "1589"));
    for c in [ordinary, vip] {
        assert_eq!(
            c.summary(),
            ["enter", "ring:a2002", "connect:a2002", "complete:a2002"]
        );
        assert_eq!(c.cdr.queue.as_deref(), Some("support"));
        assert_eq!(c.cdr.agent.as_deref(), Some("a2002"));
    }
    let entered = |c: &QueueCall| c.event("enter").map(|e| e.at);
    assert!(
        entered(ordinary) < entered(vip),
        "the ordinary caller came first"
    );
    let (_, vip_wait, vip_at) = vip.connect().expect("VIP connected");
    let (_, ordinary_wait, ordinary_at) = ordinary.connect().expect("ordinary connected");
    assert!(vip_at < ordinary_at, "the VIP is connected first");
    assert!(
        vip_wait < ordinary_wait,
        "{vip_wait:?} vs {ordinary_wait:?}"
    );
    assert!(
        matches!(&vip.events[0].kind, QueueEventKind::Enter { position: 1 }),
        "the VIP enters ahead: {:?}",
        vip.events[0]
    );
}

#[test]
fn callers_who_hang_up_while_waiting_are_abandons() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start(
        "[[queues]]\nname = \"support\"\nnumber = \"7000\"\nshort_abandon_s = 2\n\
         [[agents]]\nid = \"a2002\"\nextension = \"2002\"\nqueues = [\"support\"]\n"
            .into(),
    );
    // No agent is logged in; one caller gives up after 1 s (short), the other after 3 s.
    let quick = impatient_caller(&sw, "2001", "7000", Duration::from_millis(1000)).expect("c1");
    waiting(&sw, 1);
    let patient = impatient_caller(&sw, "2003", "7000", Duration::from_millis(3000)).expect("c2");
    all_succeed(&sw, vec![quick, patient], Duration::from_secs(20)).unwrap_or_else(|e| panic_on(e));

    let calls = queue_calls(&sw, 2).unwrap_or_else(|e| panic_on(e));
    assert_eq!(calls.len(), 2);
    let abandon = |c: &QueueCall| match c.event("abandon").map(|e| &e.kind) {
        Some(QueueEventKind::Abandon { position, wait }) => (*position, *wait),
        _ => panic!("no abandon: {:?}", c.summary()),
    };
    let enter = |c: &QueueCall| match c.events.first().map(|e| &e.kind) {
        Some(QueueEventKind::Enter { position }) => *position,
        _ => panic!("no enter: {:?}", c.summary()),
    };
    for c in &calls {
        assert_eq!(c.summary(), ["enter", "abandon"]);
        assert_eq!(c.cdr.queue.as_deref(), Some("support"));
        assert_eq!(c.cdr.agent, None, "nobody answered");
        assert_eq!(c.cdr.hangup_side, Some(crm::Side::Caller));
    }
    let (first, second) = (&calls[0], &calls[1]);
    assert_eq!((enter(first), enter(second)), (1, 2));
    let (pos, wait) = abandon(first);
    assert_eq!(pos, 1);
    assert!(
        wait >= Duration::from_millis(800) && wait < Duration::from_secs(2),
        "{wait:?}"
    );
    let (pos, wait) = abandon(second);
    assert_eq!(pos, 1, "the first caller had left");
    assert!(
        wait >= Duration::from_millis(2800) && wait < Duration::from_secs(5),
        "{wait:?}"
    );

    // The report's threshold is a query parameter (default 5 s: both are short abandons); the
    // live view uses the queue's `short_abandon_s`.
    let row = report_row(&sw, "support", "");
    assert_eq!(row["offered"], 2, "{row}");
    assert_eq!(row["answered"], 0, "{row}");
    assert_eq!(row["abandoned"], 2, "{row}");
    assert_eq!(row["short_abandoned"], 2, "{row}");
    let row = report_row(&sw, "support", "&short_abandon_s=2");
    assert_eq!(row["abandoned"], 2, "{row}");
    assert_eq!(row["short_abandoned"], 1, "{row}");
    let live = get_json(&sw, "/api/queues").to_string();
    assert!(live.contains("\"abandoned\":2"), "{live}");
    assert!(live.contains("\"short_abandoned\":1"), "{live}");
}

#[test]
fn max_wait_overflows_to_another_queue_and_to_an_extension() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start(
        "[[queues]]\nname = \"front\"\nnumber = \"7000\"\nmax_wait_s = 2\noverflow = \"back\"\n\
         [[queues]]\nname = \"back\"\n\
         [[queues]]\nname = \"night\"\nnumber = \"7001\"\nmax_wait_s = 1\noverflow = \"2004\"\n\
         [[agents]]\nid = \"a2002\"\nextension = \"2002\"\nqueues = [\"front\", \"night\"]\n\
         [[agents]]\nid = \"a2003\"\nextension = \"2003\"\nqueues = [\"back\"]\n"
            .into(),
    );
    let talk = Duration::from_millis(500);
    let back_agent = answering_agent(&sw, "2003", 1, talk).expect("a2003");
    let desk = answering_agent(&sw, "2004", 1, talk).expect("extension 2004");
    login(&sw, "a2003").unwrap_or_else(|e| panic_on(e));
    let to_queue = waiting_caller(&sw, "2001", "7000").expect("caller to 7000");
    let to_extension = waiting_caller(&sw, "2001", "7001").expect("caller to 7001");
    all_succeed(
        &sw,
        vec![to_queue, to_extension, back_agent, desk],
        Duration::from_secs(20),
    )
    .unwrap_or_else(|e| panic_on(e));

    let calls = queue_calls(&sw, 2).unwrap_or_else(|e| panic_on(e));
    let moved = call_to(&calls, "7000");
    assert_eq!(
        moved.summary(),
        [
            "enter",
            "overflow",
            "enter",
            "ring:a2003",
            "connect:a2003",
            "complete:a2003"
        ]
    );
    let queues: Vec<&str> = moved.events.iter().map(|e| e.queue.as_str()).collect();
    assert_eq!(queues, ["front", "front", "back", "back", "back", "back"]);
    match &moved.events[1].kind {
        QueueEventKind::Overflow {
            reason: OverflowReason::MaxWait,
            target,
            wait,
        } => {
            assert_eq!(target.as_deref(), Some("back"));
            assert!(*wait >= Duration::from_millis(1900), "{wait:?}");
            assert!(*wait < Duration::from_millis(3500), "{wait:?}");
        }
        other => panic!("expected a max-wait overflow, got {other:?}"),
    }
    assert_eq!(moved.cdr.queue.as_deref(), Some("back"), "the last queue");
    assert_eq!(moved.cdr.agent.as_deref(), Some("a2003"));

    let dialled = call_to(&calls, "7001");
    assert_eq!(dialled.summary(), ["enter", "overflow"]);
    match &dialled.events[1].kind {
        QueueEventKind::Overflow {
            reason: OverflowReason::MaxWait,
            target,
            ..
        } => assert_eq!(target.as_deref(), Some("2004")),
        other => panic!("expected a max-wait overflow, got {other:?}"),
    }
    assert_eq!(dialled.cdr.queue.as_deref(), Some("night"));
    assert_eq!(
        dialled.cdr.agent, None,
        "2004 is an extension, not an agent"
    );
    assert!(
        dialled
            .cdr
            .legs
            .iter()
            .any(|l| l.extension == "2004" && l.answered_at.is_some()),
        "{:?}",
        dialled.cdr.legs
    );
    assert_eq!(report_row(&sw, "front", "")["overflowed"], 1);
    assert_eq!(report_row(&sw, "night", "")["overflowed"], 1);
}

#[test]
fn a_full_queue_and_an_empty_queue_refuse_callers() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let sw = start(
        "[[queues]]\nname = \"small\"\nnumber = \"7000\"\nmax_len = 1\n\
         [[queues]]\nname = \"staffed\"\nnumber = \"7001\"\njoin_empty = \"no-agents\"\n\
         [[agents]]\nid = \"a2002\"\nextension = \"2002\"\nqueues = [\"staffed\"]\n"
            .into(),
    );
    // `small` has no agents at all: the first caller waits, the second finds it full and is
    // hung up (no overflow target). `staffed` refuses callers while nobody is logged in.
    let waiting = impatient_caller(&sw, "2001", "7000", Duration::from_millis(2500)).expect("c1");
    wait_for_queue(&sw, "small", "the first caller waiting", |q| {
        q["waiting"] == 1
    })
    .unwrap_or_else(|e| panic_on(e));
    let refused_full = waiting_caller(&sw, "2003", "7000").expect("c2");
    let refused_empty = waiting_caller(&sw, "2004", "7001").expect("c3");
    all_succeed(
        &sw,
        vec![refused_full, refused_empty, waiting],
        Duration::from_secs(20),
    )
    .unwrap_or_else(|e| panic_on(e));
    // Once an agent is logged in, `staffed` takes callers.
    let phone = answering_agent(&sw, "2002", 1, Duration::from_millis(500)).expect("a2002");
    login(&sw, "a2002").unwrap_or_else(|e| panic_on(e));
    let accepted = waiting_caller(&sw, "2001", "7001").expect("c4");
    all_succeed(&sw, vec![accepted, phone], Duration::from_secs(20))
        .unwrap_or_else(|e| panic_on(e));

    let calls = queue_calls(&sw, 4).unwrap_or_else(|e| panic_on(e));
    assert_eq!(
        calls.len(),
        4,
        "{:?}",
        calls.iter().map(QueueCall::summary).collect::<Vec<_>>()
    );
    let refused = |reason: OverflowReason| {
        calls
            .iter()
            .find(|c| {
                matches!(&c.events[..], [e] if matches!(&e.kind,
                    QueueEventKind::Overflow { reason: r, target: None, wait } if *r == reason && wait.is_zero()))
            })
            .unwrap_or_else(|| panic!("no refusal for {reason:?}"))
    };
    let full = refused(OverflowReason::MaxLength);
    assert_eq!(
        (full.cdr.caller.as_str(), full.events[0].queue.as_str()),
        ("2003", "small")
    );
    let empty = refused(OverflowReason::JoinEmpty);
    assert_eq!(
        (empty.cdr.caller.as_str(), empty.events[0].queue.as_str()),
        ("2004", "staffed")
    );
    for c in [full, empty] {
        assert_eq!(c.cdr.agent, None);
        assert_eq!(c.cdr.hangup_side, Some(crm::Side::Switch), "{:?}", c.cdr);
    }
    let first = calls
        .iter()
        .find(|c| c.cdr.caller == "2001" && c.cdr.callee == "7000")
        .expect("first caller");
    assert_eq!(first.summary(), ["enter", "abandon"]);
    let last = calls
        .iter()
        .find(|c| c.cdr.caller == "2001" && c.cdr.callee == "7001")
        .expect("accepted caller");
    assert_eq!(
        last.summary(),
        ["enter", "ring:a2002", "connect:a2002", "complete:a2002"]
    );
    let small = report_row(&sw, "small", "");
    assert_eq!(
        (small["offered"].clone(), small["overflowed"].clone()),
        (1.into(), 1.into()),
        "{small}"
    );
    let staffed = report_row(&sw, "staffed", "");
    assert_eq!(
        (staffed["offered"].clone(), staffed["overflowed"].clone()),
        (1.into(), 1.into()),
        "{staffed}"
    );
}
