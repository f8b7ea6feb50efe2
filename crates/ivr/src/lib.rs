//! IVR for Switchboard: dialplan files, their checks, and a sans-IO interpreter.
//!
//! [`load_dir`] reads every `*.toml` plan in a directory (schema in docs/dialplans.md) and
//! either returns a checked, immutable [`Dialplans`] or every problem as a [`Diagnostic`] with
//! file:line:column; a broken file refuses the whole set so the caller keeps its running plans.
//!
//! A call is a [`Session`]: `Session::start` routes the dialled number and runs to the first
//! wait; the call task then loops — drain [`Session::poll_action`] and perform each [`Action`]
//! (answer, play, stop playback, look up the caller, dial, enqueue, hang up), sleep until
//! [`Session::poll_timeout`], and feed back [`Input`]s (digits, playback done, timeouts, CRM and
//! dial results) with the current `Instant` and wall-clock time. Nothing here reads a clock or
//! does I/O. A session holds its own reference to the plans it started on, so a reload never
//! changes a call in progress.

// Bytes from the network must never panic the process: no unchecked indexing, slicing or
// unwrapping outside tests (an invariant that truly holds is a reviewed `#[allow]` with a reason).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]
#![forbid(unsafe_code)]

mod check;
mod compile;
mod compile_input;
mod diag;
mod exec;
mod load;
mod model;
mod prompt;
mod schema;
mod session;
mod template;
mod timespec;

pub use diag::{Diagnostic, Severity};
pub use load::load_dir;
pub use model::Dialplans;
pub use prompt::Prompt;
pub use session::{
    Action, CallInfo, Customer, DialOutcome, Input, NoRoute, Session, Timer, MAX_CALL_DEPTH,
    MAX_STEPS_PER_INPUT,
};
