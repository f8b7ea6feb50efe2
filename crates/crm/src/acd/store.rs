//! [`Crm`] methods for ACD history: CDR links, reading queue and agent events, and the queue and
//! agent reports (computed in Rust from fetched rows, so both backends agree).

use chrono::{DateTime, Utc};

use crate::acd::conn::AcdConn;
use crate::acd::report::check_window;
use crate::acd::visit_store::VisitConn;
use crate::acd::visits::QueueVisit;
use crate::acd::{agent_buckets, agent_report, queue_report};
use crate::cdr::plan::Plan;
use crate::db::{in_transaction, with_conn};
use crate::{
    AgentEventRecord, AgentReportRow, CallChannel, CdrLink, Crm, CrmError, QueueEventRecord,
    QueueReportRow, ReportQuery,
};

/// Both backends' connections, so one function can read through either.
impl Crm {
    /// Sets the `Some` fields of a CDR's queue, agent and customer (see [`CdrLink`]). Fails
    /// with [`CrmError::UnknownCall`] if the call has no CDR, and with a database error if the
    /// customer does not exist.
    pub async fn cdr_link(&self, link: &CdrLink) -> Result<(), CrmError> {
        let unknown = self.apply_plan(&Plan::link(link)).await?;
        match unknown.links.into_iter().next() {
            Some(id) => Err(CrmError::UnknownCall(id)),
            None => Ok(()),
        }
    }

    /// Every queue event of one call, in order.
    pub async fn queue_events(&self, call_id: &str) -> Result<Vec<QueueEventRecord>, CrmError> {
        with_conn!(self, |conn| conn.queue_events_of_call(call_id).await)
    }

    /// Queue events with `from <= at < to`, of one queue or all, in order.
    pub async fn queue_events_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        queue: Option<&str>,
    ) -> Result<Vec<QueueEventRecord>, CrmError> {
        check_window(from, to)?;
        Ok(in_transaction!(snapshot self, |conn| conn
            .queue_events(from, to, queue)
            .await?))
    }

    /// The caller of each of these calls that has a CDR (call id → caller).
    pub async fn callers(
        &self,
        call_ids: &[&str],
    ) -> Result<std::collections::HashMap<String, String>, CrmError> {
        if call_ids.is_empty() {
            return Ok(Default::default());
        }
        let rows = with_conn!(self, |conn| conn.callers(call_ids).await)?;
        Ok(rows.into_iter().collect())
    }

    /// Agent events with `from <= at < to`, of one agent or all, in order.
    pub async fn agent_events_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<Vec<AgentEventRecord>, CrmError> {
        check_window(from, to)?;
        Ok(in_transaction!(snapshot self, |conn| conn
            .agent_events(from, to, agent)
            .await?))
    }

    /// Queue statistics per queue and time bucket for the calls that entered a queue in
    /// `[q.from, q.to)`, with their outcomes even if those came after `q.to`. Rows are ordered
    /// by queue, then chronologically; buckets without calls are left out. See
    /// `docs/metrics.md` for every definition.
    pub async fn queue_report(&self, q: &ReportQuery) -> Result<Vec<QueueReportRow>, CrmError> {
        check_window(q.from, q.to)?;
        q.offset()?;
        let visits = self
            .report_inputs(q.from, q.to, &q.queues, q.channel)
            .await?;
        queue_report::compute(q, &visits)
    }

    /// What a queue report over `[from, to)` is computed from: the stored visits (written by
    /// the CDR writer, see [`crate::acd::visit_store`]) that entered one of `queues` (none:
    /// any queue) in the window, of a channel or all.
    pub(crate) async fn report_inputs(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        queues: &[String],
        channel: Option<CallChannel>,
    ) -> Result<Vec<QueueVisit>, CrmError> {
        with_conn!(self, |conn| conn
            .visits_entering(from, to, queues, channel)
            .await)
    }

    /// Time in each state per agent inside `[from, to)` (spans crossing the edges are clipped),
    /// pauses by reason, calls answered and completed, hold, missed offers, average handle and
    /// occupancy; one agent or all. Agents logged out for
    /// the whole window are left out. The last known state lasts until `now`: a `to` in the
    /// future counts up to `now` only (a window wholly after `now` has no rows).
    pub async fn agent_report(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<Vec<AgentReportRow>, CrmError> {
        self.agent_rows(from, to, now, agent, false).await
    }

    /// [`Crm::agent_report`] replayed from the raw agent events of the whole window, as it was
    /// computed before migration 0028: the oracle the stored quarter hours are tested against.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub async fn agent_report_from_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<Vec<AgentReportRow>, CrmError> {
        self.agent_rows(from, to, now, agent, true).await
    }

    /// The agent report from the stored quarter hours, or with `from_events` from the raw
    /// events alone.
    async fn agent_rows(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        agent: Option<&str>,
        from_events: bool,
    ) -> Result<Vec<AgentReportRow>, CrmError> {
        check_window(from, to)?;
        let to = to.min(now);
        if to <= from {
            return Ok(Vec::new());
        }
        let (tallies, calls) = in_transaction!(snapshot self, |conn| {
            let tallies = if from_events {
                agent_buckets::event_tallies(conn, from, to, agent).await?
            } else {
                agent_buckets::window_tallies(conn, from, to, agent).await?
            };
            let calls = conn.agent_call_totals(from, to, agent).await?;
            (tallies, calls)
        });
        Ok(agent_report::rows(&tallies, &calls))
    }

    /// What an agent report over `[from, to)` is computed from, read in one snapshot: each
    /// agent's last state change before `from`, and the agent events inside the window.
    pub(crate) async fn agent_inputs(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        agent: Option<&str>,
    ) -> Result<(Vec<AgentEventRecord>, Vec<AgentEventRecord>), CrmError> {
        Ok(in_transaction!(snapshot self, |conn| {
            let before = conn.last_states_before(from, agent).await?;
            let inside = conn.agent_events(from, to, agent).await?;
            (before, inside)
        }))
    }
}
