//! Pieces the ACD suites share: agent phones that answer and hang up themselves, callers that
//! wait in a queue or give up, agents logged in through the HTTP API, and each queue call read
//! back from the CRM database with its queue events.

use crate::{
    callee_with, caller_scenario, free_media_port, free_port, password, scenario, sipp, CallerPlan,
};
use crate::{Sipp, Switch};
use anyhow::{bail, Context};
use crm::{AgentEventRecord, QueueEventKind, QueueEventRecord};
use std::time::{Duration, Instant};

/// Log `agent` in through `POST /api/agents/{id}/login` at its configured extension.
pub fn login(sw: &Switch, agent: &str) -> anyhow::Result<()> {
    let (code, body) = sw.http("POST", &format!("/api/agents/{agent}/login"))?;
    if code != 200 {
        bail!("login of {agent}: {code} {body}");
    }
    Ok(())
}

/// An agent phone registered at `ext` that answers `calls` calls one after another, talks for
/// `talk` and hangs up itself (tests/sipp/uas_answer_bye.xml), so the caller can simply wait.
pub fn answering_agent(
    sw: &Switch,
    ext: &str,
    calls: usize,
    talk: Duration,
) -> anyhow::Result<Sipp> {
    let calls = calls.to_string();
    let talk = talk.as_millis().to_string();
    callee_with(
        sw,
        ext,
        &scenario("uas_answer_bye.xml"),
        &["-m", &calls, "-d", &talk],
    )
}

/// An agent phone registered at `ext` that rings until the switch cancels, `calls` times
/// (tests/sipp/uas_ring.xml): an agent who never picks up.
pub fn ringing_agent(sw: &Switch, ext: &str, calls: usize) -> anyhow::Result<Sipp> {
    let calls = calls.to_string();
    callee_with(sw, ext, &scenario("uas_ring.xml"), &["-m", &calls])
}

/// A caller from `caller` dialling `number` who stays on the line until the other side hangs
/// up (the agent, or the switch refusing or overflowing the call).
pub fn waiting_caller(sw: &Switch, caller: &str, number: &str) -> anyhow::Result<Sipp> {
    // A directory of its own: callers started together must not rewrite each other's file.
    let dir = sw
        .dir
        .path()
        .join(format!("waiting-caller-{}", free_port()));
    std::fs::create_dir_all(&dir)?;
    let file = caller_scenario(&dir, CallerPlan::AnswerThenExpectBye)?;
    caller_run(sw, caller, number, &file, &[])
}

/// A caller from `caller` dialling `number` who hangs up `after` the switch answers
/// (tests/sipp/uac_hangup_after.xml): in a queue with no free agent, an abandon.
pub fn impatient_caller(
    sw: &Switch,
    caller: &str,
    number: &str,
    after: Duration,
) -> anyhow::Result<Sipp> {
    let ms = after.as_millis().to_string();
    caller_run(
        sw,
        caller,
        number,
        &scenario("uac_hangup_after.xml"),
        &["-d", &ms],
    )
}

fn caller_run(
    sw: &Switch,
    caller: &str,
    number: &str,
    file: &std::path::Path,
    extra: &[&str],
) -> anyhow::Result<Sipp> {
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
        "-mp",
        &media,
        "-m",
        "1",
    ];
    args.extend_from_slice(extra);
    sipp(sw, &format!("caller-{caller}-{number}-{port}"), file, &args)
}

/// Wait for every SIPp run to succeed within `timeout` (overall); the error carries the
/// failing run's logs and the switch's log.
pub fn all_succeed(sw: &Switch, runs: Vec<Sipp>, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    for run in runs {
        let left = deadline.saturating_duration_since(Instant::now());
        run.wait(left.max(Duration::from_millis(100)))
            .map_err(|e| anyhow::anyhow!("{e}\n--- switch log ---\n{}", sw.log_text()))?;
    }
    Ok(())
}

/// One call that went through a queue: its CDR and its queue events in order.
#[derive(Debug, Clone)]
pub struct QueueCall {
    /// The call's CDR (with `queue`, `agent` and legs).
    pub cdr: crm::Cdr,
    /// Its queue events, in every queue it visited, oldest first.
    pub events: Vec<QueueEventRecord>,
}

impl QueueCall {
    /// The events as `kind` or `kind:agent` (`["enter", "ring:a2002", "connect:a2002", ...]`).
    pub fn summary(&self) -> Vec<String> {
        summary(&self.events)
    }

    /// The agent the call was connected to (the last `connect`).
    pub fn agent(&self) -> Option<&str> {
        self.connect().map(|(agent, _, _)| agent)
    }

    /// The last `connect`: agent, wait, and when.
    pub fn connect(&self) -> Option<(&str, Duration, chrono::DateTime<chrono::Utc>)> {
        self.events.iter().rev().find_map(|e| match &e.kind {
            QueueEventKind::Connect { agent, wait } => Some((agent.as_str(), *wait, e.at)),
            _ => None,
        })
    }

    /// The first event of this kind (`"abandon"`, `"complete"`...).
    pub fn event(&self, kind: &str) -> Option<&QueueEventRecord> {
        self.events.iter().find(|e| e.kind.as_str() == kind)
    }

    /// From `connect` to `complete` of the agent who took the call.
    fn busy_span(
        &self,
    ) -> Option<(
        String,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    )> {
        let (agent, _, from) = self.connect()?;
        let to = self.event("complete").map(|e| e.at)?;
        Some((agent.to_string(), from, to))
    }
}

/// Queue events as `kind` or `kind:agent`.
pub fn summary(events: &[QueueEventRecord]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e.kind.agent() {
            Some(a) => format!("{}:{a}", e.kind.as_str()),
            None => e.kind.as_str().to_string(),
        })
        .collect()
}

/// Whether a stored call is over: the CDR is closed and its last queue event is an outcome.
fn settled(call: &QueueCall) -> bool {
    call.cdr.ended_at.is_some()
        && call.events.last().is_some_and(|e| {
            matches!(
                e.kind.as_str(),
                "complete" | "abandon" | "overflow" | "exit_key"
            )
        })
}

/// Run `f` on a fresh current-thread runtime with a CRM connection to the switch's database.
pub fn with_crm<T>(
    sw: &Switch,
    f: impl AsyncFnOnce(&crm::Crm) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let crm = crm::Crm::connect(&sw.database_url)
            .await
            .context("connecting to the switch's database")?;
        let out = f(&crm).await;
        crm.close().await;
        out
    })
}

/// Wait (up to 15 s) until at least `n` calls that reached a queue are stored and settled;
/// returns every such call, oldest first.
pub fn queue_calls(sw: &Switch, n: usize) -> anyhow::Result<Vec<QueueCall>> {
    with_crm(sw, async |crm| {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let mut calls = Vec::new();
            for cdr in crm.recent_cdrs(200).await? {
                let events = crm.queue_events(&cdr.call_id).await?;
                if !events.is_empty() {
                    calls.push(QueueCall { cdr, events });
                }
            }
            calls.sort_by_key(|c| c.cdr.started_at);
            let done = calls.iter().filter(|c| settled(c)).count();
            if done >= n && calls.iter().all(settled) {
                return Ok(calls);
            }
            if Instant::now() > deadline {
                let seen: Vec<_> = calls
                    .iter()
                    .map(|c| (c.cdr.ended_at, c.summary()))
                    .collect();
                bail!(
                    "expected {n} settled queue calls, have {seen:?}\n--- switch log ---\n{}",
                    sw.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

/// Every stored event of `agent` (the last hour), in order.
pub fn agent_events(sw: &Switch, agent: &str) -> anyhow::Result<Vec<AgentEventRecord>> {
    let now = chrono::Utc::now();
    with_crm(sw, async |crm| {
        Ok(crm
            .agent_events_between(
                now - chrono::Duration::hours(1),
                now + chrono::Duration::minutes(1),
                Some(agent),
            )
            .await?)
    })
}

/// Pairs of calls one agent talked on at the same time (an agent offered a call while busy).
pub fn overlapping_calls(calls: &[QueueCall]) -> Vec<(String, String, String)> {
    let spans: Vec<_> = calls
        .iter()
        .filter_map(|c| c.busy_span().map(|s| (c.cdr.call_id.clone(), s)))
        .collect();
    let mut out = Vec::new();
    for (i, (id_a, (agent_a, from_a, to_a))) in spans.iter().enumerate() {
        for (id_b, (agent_b, from_b, to_b)) in spans.iter().skip(i + 1) {
            if agent_a == agent_b && from_a < to_b && from_b < to_a {
                out.push((agent_a.clone(), id_a.clone(), id_b.clone()));
            }
        }
    }
    out
}

/// `from=…&to=…` for the report API: the last hour up to a second from now.
pub fn report_window() -> String {
    let now = chrono::Utc::now();
    format!(
        "from={}&to={}",
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::seconds(1)).format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// `GET path` as JSON.
fn get_json(sw: &Switch, path: &str) -> anyhow::Result<serde_json::Value> {
    let body = sw.http_get(path)?;
    serde_json::from_str(&body).with_context(|| format!("{path}: not JSON: {body}"))
}

/// The live view of one queue (`GET /api/queues`: waiting, offered, agents by state...).
pub fn queue_view(sw: &Switch, queue: &str) -> anyhow::Result<serde_json::Value> {
    let all = get_json(sw, "/api/queues")?;
    all.as_array()
        .and_then(|list| list.iter().find(|q| q["name"] == queue).cloned())
        .with_context(|| format!("no queue {queue}: {all}"))
}

/// The live view of one agent (`GET /api/agents`: state, reason, call...).
pub fn agent_view(sw: &Switch, agent: &str) -> anyhow::Result<serde_json::Value> {
    let all = get_json(sw, "/api/agents")?;
    all.as_array()
        .and_then(|list| list.iter().find(|a| a["id"] == agent).cloned())
        .with_context(|| format!("no agent {agent}: {all}"))
}

/// Poll the live view of `queue` (up to 15 s) until `pred` holds: the way to wait for callers
/// to have entered (`offered`) or to be waiting, instead of sleeping.
pub fn wait_for_queue(
    sw: &Switch,
    queue: &str,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> anyhow::Result<serde_json::Value> {
    let mut last = serde_json::Value::Null;
    crate::wait_until(Duration::from_secs(15), what, || {
        last = queue_view(sw, queue).ok()?;
        pred(&last).then(|| last.clone())
    })
    .map_err(|e| {
        anyhow::anyhow!(
            "{e}; {queue} is {last}\n--- switch log ---\n{}",
            sw.log_text()
        )
    })
}

/// Poll the live view of `agent` (up to `within`) until it is in `state` (`on_call`,
/// `wrap_up`, `available`...).
pub fn wait_for_agent_state(
    sw: &Switch,
    agent: &str,
    state: &str,
    within: Duration,
) -> anyhow::Result<()> {
    let mut last = serde_json::Value::Null;
    crate::wait_until(within, &format!("{agent} to be {state}"), || {
        last = agent_view(sw, agent).ok()?;
        (last["state"] == state).then_some(())
    })
    .map_err(|e| {
        anyhow::anyhow!(
            "{e}; {agent} is {last}\n--- switch log ---\n{}",
            sw.log_text()
        )
    })
}
