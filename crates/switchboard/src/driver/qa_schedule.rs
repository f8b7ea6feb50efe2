//! The monthly QA sampling on schedule: on `[qa] sample_day` at `sample_hour`, on the center's
//! wall clock, the month before is sampled (`http::qa::run_sampling`, as `POST
//! /api/qa/sampling` does) unless it was already. A switch that was down at that moment
//! samples when it comes back during the month.
//!
//! [`due`] is the rule, a pure function of the time; [`tick`] applies it once at the loop's
//! clock (tests move that clock by months and call it); [`run`] calls `tick` at each sample
//! time, waking at least hourly so a changed system clock is noticed, until shutdown.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use tokio_util::sync::CancellationToken;

use crate::config::qa::QaConfig;
use crate::http::qa::{run_sampling, Qa};

/// Who the scheduler's runs are recorded as requested by.
pub const SCHEDULER: &str = "scheduler";

/// When month `m`'s sampling (of the month before it) is due.
pub fn sample_time(m: qa::ReviewMonth, c: &QaConfig) -> DateTime<Utc> {
    let day = m.first_day() + chrono::Days::new(u64::from(c.sample_day.saturating_sub(1)));
    let wall = day.and_time(NaiveTime::from_hms_opt(c.sample_hour, 0, 0).unwrap_or(NaiveTime::MIN));
    match c.zone.from_local_datetime(&wall).earliest() {
        Some(t) => t.with_timezone(&Utc),
        // A DST gap at that hour: an hour later exists.
        None => {
            m.start(c.zone)
                + chrono::Duration::days(i64::from(c.sample_day) - 1)
                + chrono::Duration::hours(i64::from(c.sample_hour) + 1)
        }
    }
}

/// The month to sample at `now`: the month before the current one, once its sample time has
/// come; `None` before that.
pub fn due(now: DateTime<Utc>, c: &QaConfig) -> Option<qa::ReviewMonth> {
    let this = qa::ReviewMonth::of(now, c.zone);
    (now >= sample_time(this, c)).then(|| this.previous())
}

/// The next sample time after `now`.
pub fn next_time(now: DateTime<Utc>, c: &QaConfig) -> DateTime<Utc> {
    let this = qa::ReviewMonth::of(now, c.zone);
    let t = sample_time(this, c);
    if t > now {
        t
    } else {
        sample_time(this.next(), c)
    }
}

/// Samples the due month if it was not sampled yet; returns the month sampled.
pub async fn tick(qa: &Qa) -> anyhow::Result<Option<qa::ReviewMonth>> {
    let Some(month) = due(qa.now(), &qa.config) else {
        return Ok(None);
    };
    if qa.crm.qa_run(month).await?.is_some() {
        return Ok(None);
    }
    // A center that has not set QA up yet is not an error: say so once per check, quietly.
    if qa.crm.qa_settings().await?.is_none() {
        tracing::info!(%month, "QA sampling not set up yet (PUT /api/qa/settings): month not sampled");
        return Ok(None);
    }
    match run_sampling(qa, month, None, SCHEDULER).await {
        Ok(done) => {
            tracing::info!(%month, run = done.run_id, tasks = done.tasks, "QA month sampled");
            Ok(Some(month))
        }
        Err(e) => anyhow::bail!("QA sampling of {month} failed: {e}"),
    }
}

/// Runs the schedule until `shutdown`.
pub async fn run(qa: Qa, shutdown: CancellationToken) {
    loop {
        if let Err(e) = tick(&qa).await {
            tracing::warn!(error = %e, "QA schedule");
        }
        let now = qa.now();
        let wait = (next_time(now, &qa.config) - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .clamp(Duration::from_secs(1), Duration::from_secs(3600));
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn the_previous_month_is_due_from_the_sample_time_on_the_centers_clock() {
        let c = QaConfig {
            zone: qa::Tz::Asia__Seoul,
            sample_day: 1,
            sample_hour: 6,
            schedule: true,
        };
        // 2026-03-01 06:00 in Seoul is 2026-02-28 21:00Z.
        assert_eq!(
            sample_time(qa::ReviewMonth::new(2026, 3).expect("m"), &c),
            at(2026, 2, 28, 21, 0)
        );
        // Before March's sample time nothing is due (January was, from February's).
        assert_eq!(due(at(2026, 2, 28, 20, 59), &c), None);
        assert_eq!(
            due(at(2026, 2, 28, 21, 0), &c),
            Some(qa::ReviewMonth::new(2026, 2).expect("m"))
        );
        assert_eq!(
            next_time(at(2026, 2, 28, 20, 0), &c),
            at(2026, 2, 28, 21, 0)
        );
        assert_eq!(
            next_time(at(2026, 2, 28, 21, 0), &c),
            at(2026, 3, 31, 21, 0)
        );

        let c = QaConfig {
            zone: qa::Tz::UTC,
            sample_day: 3,
            sample_hour: 0,
            schedule: true,
        };
        assert_eq!(due(at(2028, 3, 2, 23, 59), &c), None);
        assert_eq!(
            due(at(2028, 3, 3, 0, 0), &c),
            Some(qa::ReviewMonth::new(2028, 2).expect("m"))
        );
        // January 2027: sampled in the new year.
        assert_eq!(
            due(at(2027, 1, 5, 0, 0), &c),
            Some(qa::ReviewMonth::new(2026, 12).expect("m"))
        );
    }
}
