//! Follow-ups: each improvement point of a review is re-checked a month later.
//!
//! A point opens due one calendar month after the review's day in the center's zone (Jan 31 →
//! the last day of February). The follow-up reviewer checks it against calls taken after the
//! review and marks it improved (closed) or not improved: then it carries forward, flagged,
//! due a month after that check, and is re-checked against calls after the check.

use std::collections::BTreeSet;

use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::rng::SplitMix64;
use crate::sampling::RecordedCall;

/// A follow-up of one improvement point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// The improvement point's id.
    pub point: String,
    pub review: String,
    pub agent: String,
    /// Calls after this instant show whether the point improved: the review, then the last
    /// "not improved" check.
    pub since: DateTime<Utc>,
    pub due_on: NaiveDate,
    /// How many times it was found not improved and carried forward.
    pub carries: u32,
    pub state: FollowUpState,
    /// Every check so far, oldest first.
    pub checks: Vec<Check>,
}

/// Whether a follow-up still waits for a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpState {
    Open,
    Improved,
}

/// The follow-up reviewer's verdict on a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Improved,
    NotImproved,
}

/// One check of a point: when, the verdict, and the calls it cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub at: DateTime<Utc>,
    pub verdict: Verdict,
    pub calls: Vec<String>,
}

/// Why a check was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FollowUpError {
    #[error("follow-up of point {0} is already closed as improved")]
    Closed(String),
    #[error("a check must cite the calls it was made on")]
    NoCalls,
    #[error("a check at {at} is before the calls it may look at (from {since})")]
    BeforeSince {
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    },
}

/// The day a follow-up falls due: one calendar month after `day`, on the month's last day when
/// it is shorter (Jan 31 → Feb 28, or Feb 29 in a leap year).
pub fn due_after(day: NaiveDate) -> NaiveDate {
    // chrono clamps to the month's end; only a date past year 262143 has no month after it.
    day.checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

impl FollowUp {
    /// Opens the follow-up of `point`, made in review `review` of `agent` at `reviewed_at`.
    pub fn open(
        point: &str,
        review: &str,
        agent: &str,
        reviewed_at: DateTime<Utc>,
        zone: Tz,
    ) -> Self {
        Self {
            point: point.to_owned(),
            review: review.to_owned(),
            agent: agent.to_owned(),
            since: reviewed_at,
            due_on: due_after(reviewed_at.with_timezone(&zone).date_naive()),
            carries: 0,
            state: FollowUpState::Open,
            checks: Vec::new(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.state == FollowUpState::Open
    }

    /// Carried forward at least once: it needs the center head's eye.
    pub fn is_flagged(&self) -> bool {
        self.carries > 0
    }

    /// Records a check made at `at`, citing `calls`. Not improved: the point carries forward,
    /// due a month after the check's day in `zone`.
    pub fn check(
        &mut self,
        verdict: Verdict,
        at: DateTime<Utc>,
        zone: Tz,
        calls: Vec<String>,
    ) -> Result<(), FollowUpError> {
        if !self.is_open() {
            return Err(FollowUpError::Closed(self.point.clone()));
        }
        if calls.is_empty() {
            return Err(FollowUpError::NoCalls);
        }
        if at < self.since {
            return Err(FollowUpError::BeforeSince {
                at,
                since: self.since,
            });
        }
        match verdict {
            Verdict::Improved => self.state = FollowUpState::Improved,
            Verdict::NotImproved => {
                self.carries += 1;
                self.since = at;
                self.due_on = due_after(at.with_timezone(&zone).date_naive());
            }
        }
        self.checks.push(Check { at, verdict, calls });
        Ok(())
    }
}

/// The open follow-ups past due on `today` (due before it), oldest due first, then by agent.
pub fn overdue(follow_ups: &[FollowUp], today: NaiveDate) -> Vec<&FollowUp> {
    let mut late: Vec<&FollowUp> = follow_ups
        .iter()
        .filter(|f| f.is_open() && f.due_on < today)
        .collect();
    late.sort_by(|a, b| (a.due_on, &a.agent, &a.point).cmp(&(b.due_on, &b.agent, &b.point)));
    late
}

/// The calls picked to re-check an agent's open points, and the points they check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recheck<'a> {
    pub calls: Vec<&'a RecordedCall>,
    /// Ids of the points each picked call is checked against (all of `open`).
    pub points: Vec<String>,
}

/// Picks up to `count` of one agent's `calls` to check its `open` points against: calls taken
/// after every point's `since` (so each call can show all of them), not in `taken` (already in
/// the month's sample), at random for `seed`. No open points, no calls.
pub fn follow_up_calls<'a>(
    open: &[&FollowUp],
    calls: &[&'a RecordedCall],
    taken: &BTreeSet<&str>,
    count: u32,
    seed: u64,
) -> Recheck<'a> {
    let Some(after) = open.iter().map(|f| f.since).max() else {
        return Recheck::default();
    };
    let mut candidates: Vec<&RecordedCall> = calls
        .iter()
        .copied()
        .filter(|c| c.answered_at > after && !taken.contains(c.call_id.as_str()))
        .collect();
    candidates.sort_by(|a, b| a.call_id.cmp(&b.call_id));
    let agent = open.first().map(|f| f.agent.as_str()).unwrap_or_default();
    let mut rng = SplitMix64::for_part(seed, &format!("follow-up/{agent}"));
    let k = rng.choose(
        &mut candidates,
        usize::try_from(count).unwrap_or(usize::MAX),
    );
    candidates.truncate(k);
    if candidates.is_empty() {
        return Recheck::default();
    }
    let mut points: Vec<String> = open.iter().map(|f| f.point.clone()).collect();
    points.sort();
    Recheck {
        calls: candidates,
        points,
    }
}

#[cfg(test)]
#[path = "follow_up_tests.rs"]
mod tests;
