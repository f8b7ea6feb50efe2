//! The SQL of the contact history, shared by both backends (`$N` parameters work on SQLite and
//! PostgreSQL alike; times are bound as [`crate::db::DbTime`]).

/// `$1` call_id, `$2` channel, `$3` normalized number, `$4` customer_id, `$5` at, `$6` queue,
/// `$7` agent, `$8` duration_ms, `$9` outcome, `$10` recording_id.
///
/// Without a customer the contact goes to the owner of the number, if any. A second add for
/// the same call updates the contact: fields given replace stored ones, `NULL`s keep them
/// (so a contact can be added at the start of a call and completed at its end), and the
/// wrap-up is kept.
pub(crate) const UPSERT: &str = "INSERT INTO contacts (call_id, channel, number, customer_id, at,
        queue, agent, duration_ms, outcome, recording_id)
     VALUES ($1, $2, $3,
        COALESCE($4, (SELECT customer_id FROM customer_phones WHERE number = $3)),
        $5, $6, $7, $8, $9, $10)
     ON CONFLICT (call_id) DO UPDATE SET
        channel = excluded.channel,
        number = COALESCE(excluded.number, contacts.number),
        customer_id = COALESCE(excluded.customer_id, contacts.customer_id),
        at = excluded.at,
        queue = COALESCE(excluded.queue, contacts.queue),
        agent = COALESCE(excluded.agent, contacts.agent),
        duration_ms = COALESCE(excluded.duration_ms, contacts.duration_ms),
        outcome = excluded.outcome,
        recording_id = COALESCE(excluded.recording_id, contacts.recording_id)
     RETURNING id";

macro_rules! select {
    () => {
        "SELECT id, call_id, channel, number, customer_id, at, queue, agent, duration_ms,
                outcome, recording_id, wrap_up_code, notes, wrapped_up_at, wrapped_up_by
         FROM contacts "
    };
}

pub(crate) const BY_ID: &str = concat!(select!(), "WHERE id = $1");
pub(crate) const BY_CALL: &str = concat!(select!(), "WHERE call_id = $1");
/// `$1` customer id, `$2` limit; newest first.
pub(crate) const OF_CUSTOMER: &str = concat!(
    select!(),
    "WHERE customer_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
);
/// `$1` normalized number, `$2` limit; newest first.
pub(crate) const OF_NUMBER: &str = concat!(
    select!(),
    "WHERE number = $1 ORDER BY at DESC, id DESC LIMIT $2"
);

/// `$1` id, `$2` code, `$3` notes, `$4` at, `$5` by. Replaces an earlier wrap-up.
pub(crate) const WRAP_UP: &str = "UPDATE contacts SET wrap_up_code = $2, notes = $3,
        wrapped_up_at = $4, wrapped_up_by = $5
     WHERE id = $1";

/// `$1` customer id, `$2` normalized number: the contacts of a caller who just became (or was
/// given the number of) a customer.
pub(crate) const ATTACH: &str =
    "UPDATE contacts SET customer_id = $1 WHERE number = $2 AND customer_id IS NULL";

/// A lookup key: an id or a text (call id, number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key<'a> {
    Id(i64),
    Text(&'a str),
}
