//! The ACD end to end with the CRM database on PostgreSQL: a queue call answered by a SIPp
//! agent, with audio both ways, and recorded, an abandoned call while the agent is paused, and everything the ACD
//! stores (queue and agent events, CDR links, the recording row, the reports) read back from
//! PostgreSQL. The SQLite suites (acd_*.rs) cover the ACD's behaviour in depth; this one proves
//! the same records land in, and the reports read from, the other backend.

use std::time::Duration;
use switchboard_e2e::acd::{
    agent_events, all_succeed, impatient_caller, login, queue_calls, report_window, with_crm,
};
use switchboard_e2e::postgres::PgSchema;
use switchboard_e2e::{callee_with, scenario, talking_caller, Options, Switch};

/// Queue `support` at 7000 with one agent; every call recorded.
const ACD: &str = r#"
[recording]
record = "all"

[[queues]]
name = "support"
number = "7000"
ring_timeout_s = 5

[[agents]]
id = "a2002"
name = "Bob Agent"
extension = "2002"
queues = [{ queue = "support" }]
"#;

/// Unwrap a step's result, or fail with the switch's log.
trait OrLog<T> {
    fn ctx(self, sw: &Switch) -> T;
}

impl<T> OrLog<T> for anyhow::Result<T> {
    fn ctx(self, sw: &Switch) -> T {
        self.unwrap_or_else(|e| panic!("{e:#}\n--- switch log ---\n{}", sw.log_text()))
    }
}

#[test]
fn queue_calls_events_recordings_and_reports_on_postgresql() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let Some(db) = PgSchema::create("acd_postgres") else {
        return;
    };
    let sw = Switch::start(Options {
        database_url: Some(db.url.clone()),
        extra_toml: ACD.into(),
        ..Options::default()
    })
    .expect("switch on PostgreSQL");

    // 1. Answered: the caller plays 2 s of audio after the queue answers, the agent's phone
    // echoes it, the caller hangs up.
    login(&sw, "a2002").ctx(&sw);
    let agent = callee_with(&sw, "2002", &scenario("uas_answer.xml"), &["-rtp_echo"]).ctx(&sw);
    let caller = talking_caller(&sw, "2001", "7000", &[]).ctx(&sw);
    all_succeed(&sw, vec![caller, agent], Duration::from_secs(30)).ctx(&sw);
    queue_calls(&sw, 1).ctx(&sw);

    // 2. Abandoned: the only agent is at lunch; the caller gives up after 1 s.
    let paused = sw
        .http_json("POST", "/api/agents/a2002/pause", r#"{"reason":"lunch"}"#)
        .ctx(&sw);
    assert_eq!(paused.status, 200, "{}", paused.body);
    let caller = impatient_caller(&sw, "2003", "7000", Duration::from_secs(1)).ctx(&sw);
    all_succeed(&sw, vec![caller], Duration::from_secs(30)).ctx(&sw);

    let calls = queue_calls(&sw, 2).ctx(&sw);
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let (answered, abandoned) = (&calls[0], &calls[1]);
    assert_eq!(
        answered.summary(),
        ["enter", "ring:a2002", "connect:a2002", "complete:a2002"]
    );
    assert_eq!(answered.cdr.queue.as_deref(), Some("support"));
    assert_eq!(answered.cdr.agent.as_deref(), Some("a2002"));
    assert_eq!(answered.cdr.hangup_side, Some(crm::Side::Caller));
    assert_eq!(abandoned.summary(), ["enter", "abandon"]);
    assert_eq!(abandoned.cdr.queue.as_deref(), Some("support"));
    assert_eq!(abandoned.cdr.agent, None);

    // The agent's own history: login, then the pause with its reason.
    let kinds: Vec<String> = agent_events(&sw, "a2002")
        .ctx(&sw)
        .iter()
        .filter(|e| !matches!(e.kind, crm::AgentEventKind::State { .. }))
        .map(|e| format!("{:?}", e.kind))
        .collect();
    assert_eq!(
        kinds,
        ["Login", "Pause { reason: \"lunch\" }"],
        "agent events"
    );

    // The answered call's recording: finished, hashed, as long as the conversation.
    let call_id = answered.cdr.call_id.clone();
    let recordings = with_crm(&sw, async |crm| {
        Ok(crm.recordings_of_call(&call_id).await?)
    })
    .ctx(&sw);
    assert_eq!(recordings.len(), 1, "{recordings:#?}");
    let rec = &recordings[0];
    assert_eq!(rec.status, crm::RecordingStatus::Complete, "{rec:#?}");
    assert!(
        rec.sha256.as_ref().is_some_and(|h| h.len() == 64),
        "{rec:#?}"
    );
    let ms = rec.duration_ms.unwrap_or(0);
    assert!(
        (1500..=4000).contains(&ms),
        "recorded {ms} ms of a 2 s talk"
    );
    // Relative paths are under the switch's working directory (join keeps an absolute one).
    let file = sw.dir.path().join(&rec.path);
    assert!(file.exists(), "{} missing", file.display());

    // The reports, computed from the events stored in PostgreSQL.
    let report = sw
        .http_get(&format!(
            "/api/reports/queues?{}&queue=support",
            report_window()
        ))
        .ctx(&sw);
    for want in ["\"offered\":2", "\"answered\":1", "\"abandoned\":1"] {
        assert!(report.contains(want), "{want} missing in {report}");
    }
    let report = sw
        .http_get(&format!(
            "/api/reports/agents?{}&agent=a2002",
            report_window()
        ))
        .ctx(&sw);
    assert!(report.contains("\"calls_answered\":1"), "{report}");
    drop(sw);
    drop(db);
}
