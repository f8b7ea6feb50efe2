//! The monthly QA-review loop's rules, sans-IO: which calls are reviewed, by whom, how a review
//! scores, and when its improvement points are checked again.
//!
//! Everything here is a pure function of its inputs; the caller (the binary's HTTP layer, with
//! storage in `crm`) passes in the clock (`now`, `today`), the center's time zone and the seed.
//! A month is a calendar month on the center's wall clock ([`ReviewMonth`]). [`draw`] takes the
//! month's answered, recorded calls and returns the tasks and a [`SampleRecord`] to store (the
//! same request and seed give the same sample); [`score`] scores answers on a versioned
//! [`Form`]; [`FollowUp`] opens, checks and carries forward an improvement point and
//! [`overdue`] lists the late ones; [`TimedComment`] keeps a comment inside its recording.

#![forbid(unsafe_code)]
// Input comes from users through the API: bad input is an error value, never a panic.
#![cfg_attr(test, allow(clippy::disallowed_methods))]
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

mod assign;
mod comment;
mod follow_up;
mod form;
mod month;
mod rng;
mod sampling;

pub use assign::{reassign_departed, HeldTask, Reassignment, Reviewer};
pub use chrono_tz::Tz;
pub use comment::{CommentError, TimedComment};
pub use follow_up::{
    due_after, follow_up_calls, overdue, Check, FollowUp, FollowUpError, FollowUpState, Recheck,
    Verdict,
};
pub use form::{
    score, Answer, AnswerKind, Form, FormError, Question, Score, ScoreError, Section, SectionScore,
};
pub use month::{MonthError, ReviewMonth};
pub use sampling::{
    draw, AgentPopulation, RecordedCall, ReviewTask, Sample, SampleError, SampleRecord,
    SampleRequest, SampleSize, TaskKind, Team,
};
