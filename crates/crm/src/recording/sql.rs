//! The SQL of the recordings repository, written once (`$N` parameters work on SQLite and
//! PostgreSQL alike; the paused spans are bound and read as [`crate::db::DbJson`]).

const SELECT: &str =
    "SELECT r.id, r.call_id, r.path, r.started_at, r.ended_at, r.duration_ms, r.size_bytes,
                r.sample_rate, r.channels, r.sha256, r.paused, r.frames_dropped, r.status,
                r.error, r.deleted_at, r.deleted_reason
         FROM recordings r";

/// `$1` id, `$2` call_id, `$3` path, `$4` started_at, `$5` sample_rate, `$6` channels. A repeated
/// start is ignored.
pub(crate) const INSERT: &str =
    "INSERT INTO recordings (id, call_id, path, started_at, sample_rate, channels, status)
     VALUES ($1, $2, $3, $4, $5, $6, 'recording')
     ON CONFLICT (id) DO NOTHING";

/// `$1` id, `$2` ended_at, `$3` duration_ms, `$4` size_bytes, `$5` sha256, `$6` paused (JSON
/// text), `$7` frames_dropped, `$8` status, `$9` error. A deleted recording stays deleted.
pub(crate) const FINISH: &str =
    "UPDATE recordings SET ended_at = $2, duration_ms = $3, size_bytes = $4, sha256 = $5,
                paused = $6, frames_dropped = $7, status = $8, error = $9
         WHERE id = $1 AND status <> 'deleted'";

/// `$1` id, `$2` deleted_at, `$3` reason. The first deletion is kept.
pub(crate) const MARK_DELETED: &str =
    "UPDATE recordings SET status = 'deleted', deleted_at = $2, deleted_reason = $3
     WHERE id = $1 AND status <> 'deleted'";

pub(crate) const COUNT: &str = "SELECT COUNT(*) FROM recordings WHERE id = $1";

pub(crate) fn by_id() -> String {
    format!("{SELECT} WHERE r.id = $1")
}

pub(crate) fn of_call() -> String {
    format!("{SELECT} WHERE r.call_id = $1 ORDER BY r.started_at, r.id")
}

pub(crate) fn open() -> String {
    format!("{SELECT} WHERE r.status = 'recording' ORDER BY r.started_at, r.id")
}

/// `$1` before, `$2` limit, and with `queue` `$3` the queue (the CDR's last queue). Failed
/// recordings count as finished: their files hold audio too and fall under retention.
pub(crate) fn older_than(queue: bool) -> String {
    let join = if queue {
        " JOIN cdrs c ON c.call_id = r.call_id AND c.queue = $3"
    } else {
        ""
    };
    format!(
        "{SELECT}{join}
         WHERE r.status IN ('complete', 'failed', 'recovered') AND r.ended_at < $1
         ORDER BY r.ended_at, r.id LIMIT $2"
    )
}
