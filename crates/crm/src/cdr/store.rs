//! The CDR repository on [`Crm`]: writes go through a [`Plan`] applied in one transaction,
//! reads in one snapshot; the statements are [`CdrConn`], written once for both backends.

use chrono::{DateTime, Utc};

use crate::cdr::conn::CdrConn;
use crate::cdr::plan::{Plan, Unapplied};
use crate::db::{in_transaction, with_conn};
use crate::{Cdr, CdrEnd, CdrEvent, CdrStart, CdrTrunk, Crm, CrmError};

/// What one transaction of events achieved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchOutcome {
    pub applied: u64,
    /// Events that can never apply (an answer or link for an unknown call), logged and skipped.
    pub rejected: u64,
}

impl Crm {
    /// Records the start of a call. Repeating it is harmless; a start arriving after the end
    /// (out of order) fills in the numbers and start time the end could only guess.
    pub async fn cdr_start(&self, c: &CdrStart) -> Result<(), CrmError> {
        self.apply_plan(&Plan::start(c)).await.map(drop)
    }

    /// Records the answer time (the first answer wins). Fails with
    /// [`CrmError::UnknownCall`] if the call has no CDR.
    pub async fn cdr_answer(&self, call_id: &str, at: DateTime<Utc>) -> Result<(), CrmError> {
        let unknown = self.apply_plan(&Plan::answer(call_id, at)).await?;
        match unknown.answers.into_iter().next() {
            Some(id) => Err(CrmError::UnknownCall(id)),
            None => Ok(()),
        }
    }

    /// Completes the CDR and replaces its legs, in one transaction. An end for an unknown call
    /// inserts the whole row, taking numbers and start time from the legs.
    pub async fn cdr_end(&self, e: &CdrEnd) -> Result<(), CrmError> {
        self.apply_plan(&Plan::end(e)).await.map(drop)
    }

    /// Sets a call's trunk columns (see [`CdrTrunk`]). Fails with [`CrmError::UnknownCall`] if
    /// the call has no CDR.
    pub async fn cdr_trunk(&self, t: &CdrTrunk) -> Result<(), CrmError> {
        t.validate()?;
        let unknown = self.apply_plan(&Plan::trunk(t)).await?;
        match unknown.trunks.into_iter().next() {
            Some(id) => Err(CrmError::UnknownCall(id)),
            None => Ok(()),
        }
    }

    /// Closes CDRs left open by a crash: disposition `answered` when the call was answered
    /// (else failed), cause "switch restarted", side switch, `recovered` set, ended at the
    /// last moment the switch was known alive ([`Crm::mark_alive`]; `now` when never marked),
    /// and never before the call's start or answer. Returns how many were closed. Call once at
    /// startup, before new calls are accepted and before the first [`Crm::mark_alive`].
    pub async fn recover_open_cdrs(&self, now: DateTime<Utc>) -> Result<u64, CrmError> {
        let closed = with_conn!(self, |conn| conn.recover_open(now).await?);
        if closed > 0 {
            tracing::warn!(closed, "closed CDRs left open by a previous run");
        }
        Ok(closed)
    }

    /// Records that the switch is alive at `now` (every few seconds while it runs): where calls
    /// a crash leaves open end ([`Crm::recover_open_cdrs`]).
    pub async fn mark_alive(&self, now: DateTime<Utc>) -> Result<(), CrmError> {
        with_conn!(self, |conn| conn.mark_alive(now).await)
    }

    /// One CDR with its legs.
    pub async fn cdr(&self, call_id: &str) -> Result<Option<Cdr>, CrmError> {
        // One snapshot for the row and its legs.
        Ok(in_transaction!(snapshot self, |conn| conn.fetch_cdr(call_id).await?))
    }

    /// The most recently started CDRs, newest first, with their legs.
    pub async fn recent_cdrs(&self, limit: u32) -> Result<Vec<Cdr>, CrmError> {
        // One snapshot keeps the rows and their legs together.
        Ok(in_transaction!(snapshot self, |conn| conn.recent(limit).await?))
    }

    /// Applies events in ONE transaction (see [`crate::cdr::plan`] for the grouping). Answers and
    /// links for unknown calls are logged and counted as rejected; any database error aborts
    /// the whole batch (nothing is committed).
    pub(crate) async fn apply_batch(&self, events: &[CdrEvent]) -> Result<BatchOutcome, CrmError> {
        let unknown = self.apply_plan(&Plan::from_events(events)).await?;
        for call_id in &unknown.answers {
            tracing::warn!(call_id, "CDR answer for an unknown call: skipped");
        }
        for call_id in &unknown.links {
            tracing::warn!(call_id, "CDR link for an unknown call: skipped");
        }
        for call_id in &unknown.trunks {
            tracing::warn!(call_id, "CDR trunk for an unknown call: skipped");
        }
        let rejected = unknown.count() as u64;
        Ok(BatchOutcome {
            applied: events.len() as u64 - rejected,
            rejected,
        })
    }

    /// Runs a plan in one transaction; returns the answers and links whose call is unknown.
    pub(crate) async fn apply_plan(&self, plan: &Plan<'_>) -> Result<Unapplied, CrmError> {
        Ok(in_transaction!(self, |conn| conn.apply_plan(plan).await?))
    }
}
