//! The batching CDR writer: call tasks hand events to an unbounded channel and never wait on the
//! database; one tokio task drains the channel and writes each batch in one transaction.
//!
//! Failure policy: a transient failure (connection lost, database locked or busy, disk full)
//! retries the same batch with exponential backoff, indefinitely, because dropping a CDR is worse
//! than queueing in memory. Any other failure means some event in the batch is bad; the batch is
//! then replayed one event per transaction, and each event the database still refuses is logged
//! at error level with its content and counted in [`WriterStats::rejected`]. Replaying is safe
//! because every event is idempotent (see the SQL modules): CDR rows are upserts, links only
//! set columns, and queue and agent events carry an `event_id` chosen by the switch, inserted
//! with `ON CONFLICT DO NOTHING`. The id (rather than trusting that a replayed single-event
//! transaction only follows a failure) also covers the ambiguous case where the connection
//! drops during COMMIT after the database had committed: the retry then inserts nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{
    AgentEventRecord, Backend, CdrEnd, CdrLink, CdrStart, CdrTrunk, Crm, CrmError, QueueEventRecord,
};

/// Upper bound of events per transaction: big enough to amortise the commit (an fsync on
/// SQLite), small enough that one transaction never holds the write lock for long.
pub const MAX_BATCH: usize = 500;

/// How long the writer waits after the first event of a batch for more to arrive. Events are
/// in memory meanwhile either way; this only trades a few milliseconds of delay for far fewer
/// commits.
pub const COALESCE: std::time::Duration = std::time::Duration::from_millis(20);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One thing for the CRM's call history, in the order the switch saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CdrEvent {
    Start(CdrStart),
    Answer {
        call_id: String,
        at: DateTime<Utc>,
    },
    End(CdrEnd),
    /// Sets the CDR's queue, agent and customer (send after the call's start).
    Link(CdrLink),
    /// Sets the CDR's trunk, direction, DID, caller ID and dialled number (after the start).
    Trunk(CdrTrunk),
    /// Something happened to a call in a queue.
    Queue(QueueEventRecord),
    /// An agent logged in or out, paused, or changed state.
    Agent(AgentEventRecord),
}

impl CdrEvent {
    /// The call the event belongs to; empty for an agent event, which belongs to no call.
    pub fn call_id(&self) -> &str {
        match self {
            CdrEvent::Start(c) => &c.call_id,
            CdrEvent::Answer { call_id, .. } => call_id,
            CdrEvent::End(e) => &e.call_id,
            CdrEvent::Link(l) => &l.call_id,
            CdrEvent::Trunk(t) => &t.call_id,
            CdrEvent::Queue(q) => &q.call_id,
            CdrEvent::Agent(_) => "",
        }
    }
}

/// Counters reported when the writer stops.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    /// Events committed to the database.
    pub written: u64,
    /// Events that can never be written (answer for an unknown call, refused by the database).
    pub rejected: u64,
    /// Transactions committed.
    pub batches: u64,
    /// Failed attempts that were retried after a backoff.
    pub retries: u64,
}

/// The writer was stopped; the event comes back so the caller can log it.
#[derive(Debug, thiserror::Error)]
#[error("CDR writer has stopped; event for call {:?} not queued", .0.call_id())]
pub struct WriterClosed(pub Box<CdrEvent>);

/// Starts the writer task.
#[derive(Debug)]
pub struct CdrWriter;

impl CdrWriter {
    /// Spawns the writer on the current tokio runtime. It runs until every [`CdrSender`] is
    /// dropped or [`CdrWriterTask::shutdown`] is called, and flushes everything queued first.
    pub fn spawn(crm: Crm) -> (CdrSender, CdrWriterTask) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let handle = tokio::spawn(run(crm, rx, stop_rx));
        (
            CdrSender { tx },
            CdrWriterTask {
                handle,
                stop: stop_tx,
            },
        )
    }
}

/// Queues CDR events for the writer. Cloned into every call task.
#[derive(Debug, Clone)]
pub struct CdrSender {
    tx: mpsc::UnboundedSender<CdrEvent>,
}

impl CdrSender {
    /// Queues an event; never blocks and never waits on the database.
    pub fn send(&self, ev: CdrEvent) -> Result<(), WriterClosed> {
        self.tx.send(ev).map_err(|e| WriterClosed(Box::new(e.0)))
    }

    /// Queues [`CdrEvent::Start`].
    pub fn start(&self, c: CdrStart) -> Result<(), WriterClosed> {
        self.send(CdrEvent::Start(c))
    }

    /// Queues [`CdrEvent::Answer`].
    pub fn answer(
        &self,
        call_id: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Result<(), WriterClosed> {
        self.send(CdrEvent::Answer {
            call_id: call_id.into(),
            at,
        })
    }

    /// Queues [`CdrEvent::End`].
    pub fn end(&self, e: CdrEnd) -> Result<(), WriterClosed> {
        self.send(CdrEvent::End(e))
    }

    /// Queues [`CdrEvent::Link`].
    pub fn link(&self, l: CdrLink) -> Result<(), WriterClosed> {
        self.send(CdrEvent::Link(l))
    }

    /// Queues [`CdrEvent::Queue`].
    pub fn queue_event(&self, e: QueueEventRecord) -> Result<(), WriterClosed> {
        self.send(CdrEvent::Queue(e))
    }

    /// Queues [`CdrEvent::Agent`].
    pub fn agent_event(&self, e: AgentEventRecord) -> Result<(), WriterClosed> {
        self.send(CdrEvent::Agent(e))
    }
}

/// Handle on the running writer. Dropping it leaves the writer running until all senders drop.
#[derive(Debug)]
pub struct CdrWriterTask {
    handle: JoinHandle<WriterStats>,
    stop: oneshot::Sender<()>,
}

impl CdrWriterTask {
    /// Stops accepting events (later sends fail with [`WriterClosed`]), writes everything
    /// already queued, and returns the counters. With the database down this waits for it:
    /// bound it with a timeout if shutdown must not hang.
    pub async fn shutdown(self) -> Result<WriterStats, CrmError> {
        // The writer may already have ended because every sender was dropped.
        let _ = self.stop.send(());
        self.handle
            .await
            .map_err(|e| CrmError::WriterTask(e.to_string()))
    }
}

async fn run(
    crm: Crm,
    mut rx: mpsc::UnboundedReceiver<CdrEvent>,
    mut stop: oneshot::Receiver<()>,
) -> WriterStats {
    let mut stats = WriterStats::default();
    let mut watching_stop = true;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            received = rx.recv_many(&mut batch, MAX_BATCH) => {
                // 0 means closed and drained: all senders gone, or stopped and flushed.
                if received == 0 {
                    break;
                }
                // Under load events trickle in one by one; wait a moment for more so one
                // transaction carries many of them (a commit costs far more than a row).
                if batch.len() < MAX_BATCH {
                    tokio::time::sleep(COALESCE).await;
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(ev) => batch.push(ev),
                            Err(_) => break,
                        }
                    }
                }
                write_batch(&crm, &batch, &mut stats).await;
                batch.clear();
            }
            stopped = &mut stop, if watching_stop => {
                watching_stop = false;
                // An error means the task handle was dropped, not a request to stop.
                if stopped.is_ok() {
                    rx.close();
                }
            }
        }
    }
    tracing::info!(
        written = stats.written,
        rejected = stats.rejected,
        batches = stats.batches,
        retries = stats.retries,
        backend = %crm.backend(),
        "CDR writer stopped"
    );
    stats
}

async fn write_batch(crm: &Crm, batch: &[CdrEvent], stats: &mut WriterStats) {
    if write_with_retry(crm, batch, stats).await {
        return;
    }
    if batch.len() == 1 {
        stats.rejected += 1;
        return;
    }
    tracing::warn!(
        events = batch.len(),
        "CDR batch refused by the database; writing its events one by one"
    );
    for ev in batch {
        if !write_with_retry(crm, std::slice::from_ref(ev), stats).await {
            tracing::error!(event = ?ev, "CDR event refused by the database: dropped");
            stats.rejected += 1;
        }
    }
}

/// Commits `events` in one transaction, retrying transient failures; `false` if the database
/// refused them for good.
async fn write_with_retry(crm: &Crm, events: &[CdrEvent], stats: &mut WriterStats) -> bool {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match crm.apply_batch(events).await {
            Ok(outcome) => {
                stats.written += outcome.applied;
                stats.rejected += outcome.rejected;
                stats.batches += 1;
                return true;
            }
            Err(e) if is_transient(crm.backend(), &e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "CDR write failed; retrying");
                stats.retries += 1;
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => {
                tracing::warn!(error = %e, events = events.len(), "CDR write refused");
                return false;
            }
        }
    }
}

/// Whether waiting can cure the error (as opposed to bad data or a broken schema).
pub(crate) fn is_transient(backend: Backend, e: &CrmError) -> bool {
    let CrmError::Database(e) = e else {
        return false;
    };
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return false;
            };
            match backend {
                // Extended result codes; the low byte is the primary code: BUSY, LOCKED,
                // IOERR, FULL, CANTOPEN.
                Backend::Sqlite => code
                    .parse::<i32>()
                    .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14)),
                // SQLSTATE classes: connection exception, transaction rollback (serialization,
                // deadlock), insufficient resources, operator intervention (admin shutdown,
                // crash shutdown, cannot connect now), lock not available.
                Backend::Postgres => {
                    code.starts_with("08")
                        || code.starts_with("40")
                        || code.starts_with("53")
                        || code.starts_with("57P")
                        || code == "55P03"
                }
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_waitable_errors_are_transient() {
        let io = CrmError::Database(sqlx::Error::Io(std::io::Error::other("reset")));
        assert!(is_transient(Backend::Postgres, &io));
        assert!(is_transient(
            Backend::Sqlite,
            &CrmError::Database(sqlx::Error::PoolTimedOut)
        ));
        assert!(!is_transient(
            Backend::Sqlite,
            &CrmError::Database(sqlx::Error::PoolClosed)
        ));
        assert!(!is_transient(
            Backend::Sqlite,
            &CrmError::UnknownCall("x".into())
        ));
        assert!(!is_transient(
            Backend::Postgres,
            &CrmError::Database(sqlx::Error::RowNotFound)
        ));
    }
}
