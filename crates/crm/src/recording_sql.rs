//! The SQL of the recordings repository, written once: the backends differ only in how the
//! paused spans (JSON) go in and come out, so each statement is built for a [`Dialect`].
//! `$N` parameters work on SQLite and PostgreSQL alike.

/// Which backend a statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The paused spans as text when read.
    fn paused_out(self) -> &'static str {
        match self {
            Dialect::Sqlite => "r.paused",
            Dialect::Postgres => "r.paused::text",
        }
    }

    /// A text parameter stored into the paused column.
    fn paused_in(self, param: &str) -> String {
        match self {
            Dialect::Sqlite => param.to_owned(),
            Dialect::Postgres => format!("{param}::jsonb"),
        }
    }
}

fn select(d: Dialect) -> String {
    format!(
        "SELECT r.id, r.call_id, r.path, r.started_at, r.ended_at, r.duration_ms, r.size_bytes,
                r.sample_rate, r.channels, r.sha256, {} AS paused, r.frames_dropped, r.status,
                r.error, r.deleted_at, r.deleted_reason
         FROM recordings r",
        d.paused_out()
    )
}

/// `$1` id, `$2` call_id, `$3` path, `$4` started_at, `$5` sample_rate, `$6` channels. A repeated
/// start is ignored.
pub(crate) const INSERT: &str =
    "INSERT INTO recordings (id, call_id, path, started_at, sample_rate, channels, status)
     VALUES ($1, $2, $3, $4, $5, $6, 'recording')
     ON CONFLICT (id) DO NOTHING";

/// `$1` id, `$2` ended_at, `$3` duration_ms, `$4` size_bytes, `$5` sha256, `$6` paused (JSON
/// text), `$7` frames_dropped, `$8` status, `$9` error. A deleted recording stays deleted.
pub(crate) fn finish(d: Dialect) -> String {
    format!(
        "UPDATE recordings SET ended_at = $2, duration_ms = $3, size_bytes = $4, sha256 = $5,
                paused = {}, frames_dropped = $7, status = $8, error = $9
         WHERE id = $1 AND status <> 'deleted'",
        d.paused_in("$6")
    )
}

/// `$1` id, `$2` deleted_at, `$3` reason. The first deletion is kept.
pub(crate) const MARK_DELETED: &str =
    "UPDATE recordings SET status = 'deleted', deleted_at = $2, deleted_reason = $3
     WHERE id = $1 AND status <> 'deleted'";

pub(crate) const COUNT: &str = "SELECT COUNT(*) FROM recordings WHERE id = $1";

pub(crate) fn by_id(d: Dialect) -> String {
    format!("{} WHERE r.id = $1", select(d))
}

pub(crate) fn of_call(d: Dialect) -> String {
    format!(
        "{} WHERE r.call_id = $1 ORDER BY r.started_at, r.id",
        select(d)
    )
}

pub(crate) fn open(d: Dialect) -> String {
    format!(
        "{} WHERE r.status = 'recording' ORDER BY r.started_at, r.id",
        select(d)
    )
}

/// `$1` before, `$2` limit, and with `queue` `$3` the queue (the CDR's last queue). Failed
/// recordings count as finished: their files hold audio too and fall under retention.
pub(crate) fn older_than(d: Dialect, queue: bool) -> String {
    let join = if queue {
        " JOIN cdrs c ON c.call_id = r.call_id AND c.queue = $3"
    } else {
        ""
    };
    format!(
        "{}{join}
         WHERE r.status IN ('complete', 'failed', 'recovered') AND r.ended_at < $1
         ORDER BY r.ended_at, r.id LIMIT $2",
        select(d)
    )
}
