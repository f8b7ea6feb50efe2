//! Staffing from a center's own history, and the Asterisk `queue_log` export, as pure
//! functions: no database, no I/O, no clock (dates come in as arguments; `clippy.toml`
//! forbids the clock).
//!
//! The path from history to a schedule:
//! 1. [`forecast::forecast_week`] turns calls per interval (date, start, offered, AHT) into a
//!    forecast for a coming week by weekday and interval, with its error on past weeks;
//! 2. [`table::staffing_table`] turns each forecast interval into agents on the phone with
//!    [`erlang_c`] (and [`erlang_a`] when patience is known, estimated from abandons by
//!    [`erlang_a::patience_from_abandons`]), then into agents scheduled with
//!    [`shrinkage::scheduled_agents`]; a [`table::WhatIf`] scales the target, AHT or volume.
//!
//! [`week::plan_week`] does both for a coming week from a center's history, next to the agents
//! it actually had logged in.
//!
//! [`queue_log`] writes queue and agent events as Asterisk `queue_log` lines, so a center can
//! keep the reporting tool it has.

#![forbid(unsafe_code)]
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

pub mod erlang_a;
pub mod erlang_c;
pub mod forecast;
pub mod queue_log;
pub mod shrinkage;
pub mod table;
pub mod week;

/// Why a staffing computation has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StaffingError {
    /// An input out of its range (negative, not finite, a fraction outside 0..1).
    #[error("{what} out of range: {value}")]
    Invalid { what: &'static str, value: f64 },
    /// No number of agents up to the search bound meets the target.
    #[error("no staffing up to the search bound meets the target for {erlangs} erlangs")]
    Unreachable { erlangs: f64 },
    /// Erlang A with this few agents and this much patience gives a queue too long to compute
    /// (it misses any target).
    #[error("the queue with {agents} agents grows too long to compute (patience too long)")]
    QueueTooLong { agents: u32 },
    /// The history has no complete week before the forecast week.
    #[error("the history has no week before {0} to forecast from")]
    NoHistory(chrono::NaiveDate),
    /// The history has calls but no handle time for any of them: give an AHT.
    #[error("the history has no handle times: give an AHT")]
    NoHandleTime,
}

/// A service-level target: `fraction` of callers answered within `within_secs` seconds
/// (80 % in 20 s is `ServiceTarget::new(0.80, 20.0)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServiceTarget {
    pub fraction: f64,
    pub within_secs: f64,
}

impl ServiceTarget {
    /// A target with `fraction` in (0, 1) and a finite, non-negative threshold.
    pub fn new(fraction: f64, within_secs: f64) -> Result<Self, StaffingError> {
        let t = ServiceTarget {
            fraction,
            within_secs,
        };
        t.check()?;
        Ok(t)
    }

    pub(crate) fn check(&self) -> Result<(), StaffingError> {
        if !(self.fraction > 0.0 && self.fraction < 1.0) {
            return Err(StaffingError::Invalid {
                what: "service-level fraction",
                value: self.fraction,
            });
        }
        if !self.within_secs.is_finite() || self.within_secs < 0.0 {
            return Err(StaffingError::Invalid {
                what: "service-level threshold",
                value: self.within_secs,
            });
        }
        Ok(())
    }
}
