//! `GET /api/staffing`: the agents a coming week needs per interval, forecast from the center's
//! own history ([`crm::Crm::staffing_history`] → [`staffing::week::plan_week`]), next to the
//! agents it actually had logged in; what-if parameters override the history's figures.
//! JSON by default, `format=csv` for a spreadsheet. The method and the parameters are in
//! `docs/staffing.md`.

use crate::http::acd::take_snapshot;
use crate::http::error::{ApiError, ApiResult, ErrorKind};
use crate::http::routing::Routes;
use crate::http::App;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use staffing::forecast::{ForecastError, ForecastSettings};
use staffing::week::{HistoryInterval, WeekPlan, WeekRequest};
use staffing::ServiceTarget;

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/staffing", staffing_week)
}

/// The query string, as text so each bad value gets its own message.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffingParams {
    /// Comma-separated queue names; empty or absent: every queue.
    queues: Option<String>,
    /// A date in the week to plan (its Monday starts it); default: next week.
    week: Option<String>,
    /// Minutes: 15, 30 (default) or 60.
    interval: Option<String>,
    /// Percent answered within `sl_seconds` (default: the queue's, else 80).
    sl_target: Option<String>,
    /// Default: the queue's threshold, else 20.
    sl_seconds: Option<String>,
    /// Handle time in seconds replacing the history's.
    aht: Option<String>,
    /// Percent of scheduled time off the phone (default 30).
    shrinkage: Option<String>,
    /// Multiplies the forecast calls (default 1).
    forecast_scale: Option<String>,
    tz_offset_minutes: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// Shrinkage when none is given: breaks, training and absence typically take about 30 %.
pub const DEFAULT_SHRINKAGE_PERCENT: f64 = 30.0;

/// The parameters checked and with their defaults, except those that depend on the queues.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked {
    queues: Option<Vec<String>>,
    week: Option<NaiveDate>,
    interval_minutes: u32,
    sl_target: Option<f64>,
    sl_seconds: Option<f64>,
    aht: Option<f64>,
    shrinkage_percent: f64,
    forecast_scale: f64,
    tz_offset_minutes: i32,
    csv: bool,
}

/// A number in `range`, or a 400 naming the parameter.
fn number(
    name: &str,
    value: Option<&str>,
    range: std::ops::RangeInclusive<f64>,
    open_low: bool,
) -> Result<Option<f64>, ApiError> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        let low = if open_low { "above" } else { "from" };
        ApiError::field(
            ErrorKind::BadRequest,
            name,
            format!(
                "{name} `{text}`: a number {low} {} to {}",
                range.start(),
                range.end()
            ),
        )
    };
    let v: f64 = text.parse().map_err(|_| bad())?;
    if !v.is_finite() || !range.contains(&v) || (open_low && v == *range.start()) {
        return Err(bad());
    }
    Ok(Some(v))
}

impl StaffingParams {
    pub(crate) fn check(&self) -> Result<Checked, ApiError> {
        let bad =
            |field: &str, message: String| ApiError::field(ErrorKind::BadRequest, field, message);
        let queues = self
            .queues
            .as_deref()
            .map(|q| {
                q.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .filter(|q| !q.is_empty());
        let week = match self.week.as_deref().filter(|w| !w.is_empty()) {
            None => None,
            Some(w) => Some(
                NaiveDate::parse_from_str(w, "%Y-%m-%d")
                    .map_err(|_| bad("week", format!("week `{w}`: a date as YYYY-MM-DD")))?,
            ),
        };
        let interval_minutes = match self.interval.as_deref().unwrap_or("30") {
            "15" => 15,
            "30" => 30,
            "60" => 60,
            other => {
                return Err(bad(
                    "interval",
                    format!("interval `{other}`: 15, 30 or 60 (minutes)"),
                ))
            }
        };
        let tz = number(
            "tz_offset_minutes",
            self.tz_offset_minutes.as_deref(),
            -840.0..=840.0,
            false,
        )?
        .unwrap_or(0.0);
        if tz.fract() != 0.0 {
            return Err(bad(
                "tz_offset_minutes",
                "tz_offset_minutes: whole minutes".into(),
            ));
        }
        let csv = match self.format.as_deref().unwrap_or("json") {
            "json" => false,
            "csv" => true,
            other => return Err(bad("format", format!("format `{other}`: json or csv"))),
        };
        Ok(Checked {
            queues,
            week,
            interval_minutes,
            sl_target: number("sl_target", self.sl_target.as_deref(), 0.0..=99.9, true)?,
            sl_seconds: number(
                "sl_seconds",
                self.sl_seconds.as_deref(),
                0.0..=3600.0,
                false,
            )?,
            aht: number("aht", self.aht.as_deref(), 0.0..=7200.0, true)?,
            shrinkage_percent: number("shrinkage", self.shrinkage.as_deref(), 0.0..=95.0, false)?
                .unwrap_or(DEFAULT_SHRINKAGE_PERCENT),
            forecast_scale: number(
                "forecast_scale",
                self.forecast_scale.as_deref(),
                0.0..=10.0,
                true,
            )?
            .unwrap_or(1.0),
            tz_offset_minutes: tz as i32,
            csv,
        })
    }
}

/// The answer.
#[derive(Debug, Serialize)]
struct StaffingWeek {
    week: NaiveDate,
    interval_minutes: u32,
    tz_offset_minutes: i32,
    /// `null`: every queue.
    queues: Option<Vec<String>>,
    sl_target_percent: f64,
    sl_seconds: f64,
    shrinkage_percent: f64,
    forecast_scale: f64,
    /// The what-if AHT, if given.
    aht_secs: Option<f64>,
    /// `erlang_a` when the history has abandons (patience known), else `erlang_c`.
    model: &'static str,
    patience_secs: Option<f64>,
    history_aht_secs: Option<f64>,
    forecast: ForecastSummary,
    rows: Vec<Row>,
}

#[derive(Debug, Serialize)]
struct ForecastSummary {
    weeks_used: u32,
    weekly_growth: f64,
    trend_factor: f64,
    /// WAPE and MAPE as fractions over `weeks` past weeks; `null` when none could be checked.
    error: Option<ErrorSummary>,
}

#[derive(Debug, Serialize)]
struct ErrorSummary {
    weeks: u32,
    wape: f64,
    mape: f64,
}

impl From<ForecastError> for ErrorSummary {
    fn from(e: ForecastError) -> Self {
        ErrorSummary {
            weeks: e.weeks,
            wape: e.wape,
            mape: e.mape,
        }
    }
}

/// One interval. Service levels, occupancy and abandon rates are fractions.
#[derive(Debug, Serialize)]
struct Row {
    date: NaiveDate,
    weekday: String,
    start: String,
    forecast_calls: f64,
    aht_secs: f64,
    erlangs: f64,
    needed_erlang_c: u32,
    needed_erlang_a: Option<u32>,
    /// Agents on the phone the target needs (Erlang A's when known).
    needed: u32,
    /// `needed` grossed up for shrinkage.
    to_schedule: u32,
    /// Agents logged in at this time in past weeks.
    scheduled: f64,
    /// With `needed` agents.
    service_level: f64,
    asa_secs: f64,
    occupancy: f64,
    abandon_rate: Option<f64>,
    /// With the scheduled agents (after shrinkage).
    scheduled_service_level: f64,
}

fn rows(plan: &WeekPlan) -> Vec<Row> {
    plan.rows
        .iter()
        .map(|r| {
            let s = &r.staffing;
            let c = &s.erlang_c;
            let a = s.erlang_a.as_ref();
            Row {
                date: s.date,
                weekday: s.date.format("%a").to_string().to_lowercase(),
                start: s.start.format("%H:%M").to_string(),
                forecast_calls: s.offered,
                aht_secs: s.aht_secs,
                erlangs: s.erlangs,
                needed_erlang_c: c.agents,
                needed_erlang_a: a.map(|a| a.agents),
                needed: s.on_phone,
                to_schedule: s.scheduled,
                scheduled: r.scheduled,
                service_level: a.map_or(c.service_level, |a| a.service_level),
                asa_secs: a.map_or(c.asa_secs, |a| a.asa_secs),
                occupancy: a.map_or(c.occupancy, |a| a.occupancy),
                abandon_rate: a.map(|a| a.p_abandon),
                scheduled_service_level: r.scheduled_service_level,
            }
        })
        .collect()
}

/// How many weeks of history a plan reads: the weeks averaged and, before the oldest week whose
/// error is measured, the weeks its own forecast and trend read.
fn history_weeks(s: ForecastSettings) -> i64 {
    i64::from(s.holdout_weeks + s.weeks.max(2 * s.trend_weeks))
}

async fn staffing_week(State(app): State<App>, Query(p): Query<StaffingParams>) -> ApiResult {
    let c = p.check()?;
    let snapshot = take_snapshot(&app).await?;
    let (agents, queue_target) = match &c.queues {
        None => (None, None),
        Some(names) => {
            let mut targets = Vec::new();
            for name in names {
                let q = snapshot
                    .queues
                    .iter()
                    .find(|q| &q.name == name)
                    .ok_or_else(|| {
                        ApiError::field(
                            ErrorKind::BadRequest,
                            "queues",
                            format!("unknown queue `{name}`"),
                        )
                    })?;
                targets.push((q.service_level_target, q.service_level_threshold_s));
            }
            let members: Vec<String> = snapshot
                .agents
                .iter()
                .filter(|a| a.queues.iter().any(|q| names.contains(q)))
                .map(|a| a.id.clone())
                .collect();
            // One queue's (or several queues' common) target is the default.
            let first = targets.first().copied();
            let same = first.filter(|f| targets.iter().all(|t| t == f));
            (Some(members), same)
        }
    };
    let sl_target = c
        .sl_target
        .or(queue_target.map(|t| f64::from(t.0)))
        .unwrap_or(80.0);
    let sl_seconds = c
        .sl_seconds
        .or(queue_target.map(|t| t.1 as f64))
        .unwrap_or(20.0);
    // Only a queue's own target can be out of range here (100 %: no staffing reaches it).
    let target = ServiceTarget::new(sl_target / 100.0, sl_seconds).map_err(|_| {
        ApiError::field(
            ErrorKind::BadRequest,
            "sl_target",
            format!("the queues' target of {sl_target} % cannot be planned for: give sl_target below 100"),
        )
    })?;

    let now = Utc::now();
    let tz = chrono::FixedOffset::east_opt(c.tz_offset_minutes * 60)
        .ok_or_else(|| ApiError::bad_request("tz_offset_minutes out of range"))?;
    let today = now.with_timezone(&tz).date_naive();
    let day = c.week.unwrap_or(today + Duration::days(7));
    let week_start = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    let settings = ForecastSettings::default();
    let local_midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() - Duration::minutes(i64::from(c.tz_offset_minutes)))
            .ok_or_else(|| ApiError::bad_request("week out of range"))
    };
    let from = local_midnight(week_start - Duration::weeks(history_weeks(settings)))?;
    let to = local_midnight(week_start)?;
    let history = app
        .crm
        .staffing_history(&crm::StaffingHistoryQuery {
            from,
            to,
            now,
            queues: c.queues.clone(),
            agents,
            interval: match c.interval_minutes {
                15 => crm::Interval::Min15,
                60 => crm::Interval::Hour,
                _ => crm::Interval::Min30,
            },
            tz_offset_minutes: c.tz_offset_minutes,
        })
        .await?;
    let history: Vec<HistoryInterval> = history
        .iter()
        .map(|h| HistoryInterval {
            date: h.start.date(),
            start: h.start.time(),
            offered: h.offered as f64,
            abandoned: h.abandoned as f64,
            aht_secs: h.aht_secs,
            answered: h.answered as f64,
            answered_wait_secs: h.answered_wait_secs,
            abandoned_wait_secs: h.abandoned_wait_secs,
            agents_logged_in: h.agents_logged_in,
        })
        .collect();
    let request = WeekRequest {
        week_start,
        interval_secs: f64::from(c.interval_minutes * 60),
        target,
        shrinkage: c.shrinkage_percent / 100.0,
        aht_secs: c.aht,
        volume_scale: c.forecast_scale,
        settings,
    };
    let plan = staffing::week::plan_week(&history, &request).map_err(|e| match e {
        staffing::StaffingError::NoHistory(_) => ApiError::new(
            ErrorKind::Unprocessable,
            format!(
                "no history in the {} weeks before {week_start} to forecast from",
                history_weeks(settings)
            ),
        ),
        other => ApiError::bad_request(other.to_string()),
    })?;
    let answer = StaffingWeek {
        week: week_start,
        interval_minutes: c.interval_minutes,
        tz_offset_minutes: c.tz_offset_minutes,
        queues: c.queues.clone(),
        sl_target_percent: sl_target,
        sl_seconds,
        shrinkage_percent: c.shrinkage_percent,
        forecast_scale: c.forecast_scale,
        aht_secs: c.aht,
        model: if plan.patience_secs.is_some() {
            "erlang_a"
        } else {
            "erlang_c"
        },
        patience_secs: plan.patience_secs,
        history_aht_secs: plan.history_aht_secs,
        forecast: ForecastSummary {
            weeks_used: plan.weeks_used,
            weekly_growth: plan.weekly_growth,
            trend_factor: plan.trend_factor,
            error: plan.error.map(ErrorSummary::from),
        },
        rows: rows(&plan),
    };
    if c.csv {
        let name = format!("attachment; filename=\"staffing-{week_start}.csv\"");
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, name),
            ],
            csv(&answer.rows),
        )
            .into_response());
    }
    Ok(Json(answer).into_response())
}

/// The rows as CSV, one line each under a header.
fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "date,weekday,start,forecast_calls,aht_secs,erlangs,needed_erlang_c,needed_erlang_a,\
         needed,to_schedule,scheduled,service_level,asa_secs,occupancy,abandon_rate,\
         scheduled_service_level\r\n",
    );
    let opt = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    for r in rows {
        let cells = [
            r.date.to_string(),
            r.weekday.clone(),
            r.start.clone(),
            format!("{:.2}", r.forecast_calls),
            format!("{:.1}", r.aht_secs),
            format!("{:.3}", r.erlangs),
            r.needed_erlang_c.to_string(),
            r.needed_erlang_a.map(|n| n.to_string()).unwrap_or_default(),
            r.needed.to_string(),
            r.to_schedule.to_string(),
            format!("{:.2}", r.scheduled),
            format!("{:.4}", r.service_level),
            format!("{:.2}", r.asa_secs),
            format!("{:.4}", r.occupancy),
            opt(r.abandon_rate),
            format!("{:.4}", r.scheduled_service_level),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A CSV cell a spreadsheet will not run: one starting with `=`, `+`, `-`, `@` (or a tab or
/// carriage return) gets a leading `'`; one with a comma, quote or line break is quoted.
fn csv_cell(text: &str) -> String {
    let neutral = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Result<Checked, ApiError> {
        let uri: axum::http::Uri = format!("/api/staffing?{query}").parse().expect("uri");
        let Query(p) = Query::<StaffingParams>::try_from_uri(&uri).expect("query");
        p.check()
    }

    #[test]
    fn cells_that_start_a_formula_are_neutralised() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+33"), "'+33");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            csv_cell("=HYPERLINK(\"x\",1)"),
            "\"'=HYPERLINK(\"\"x\"\",1)\""
        );
        assert_eq!(csv_cell("09:30"), "09:30");
    }

    #[test]
    fn parameters_are_checked_with_their_names() {
        let c = params("queues=support,%20sales&interval=15&sl_target=90&aht=200").unwrap();
        assert_eq!(c.queues, Some(vec!["support".into(), "sales".into()]));
        assert_eq!(
            (c.interval_minutes, c.sl_target, c.aht),
            (15, Some(90.0), Some(200.0))
        );
        assert_eq!(c.shrinkage_percent, DEFAULT_SHRINKAGE_PERCENT);
        assert_eq!(params("queues=").unwrap().queues, None);
        for (query, field) in [
            ("interval=20", "interval"),
            ("sl_target=100", "sl_target"),
            ("sl_target=0", "sl_target"),
            ("aht=0", "aht"),
            ("aht=abc", "aht"),
            ("shrinkage=-1", "shrinkage"),
            ("forecast_scale=NaN", "forecast_scale"),
            ("week=next", "week"),
            ("tz_offset_minutes=1.5", "tz_offset_minutes"),
            ("format=xml", "format"),
        ] {
            let e = params(query).expect_err(query);
            assert_eq!(e.field_name(), Some(field), "{query}: {}", e.message());
        }
    }

    #[test]
    fn history_covers_the_error_weeks() {
        // 4 weeks averaged, trend over 2 + 2, error on 4 weeks: the oldest checked week needs
        // 4 more before it.
        assert_eq!(history_weeks(ForecastSettings::default()), 8);
    }
}
