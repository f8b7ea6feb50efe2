//! Reports over HTTP: the queue and agent reports as JSON or CSV (`?format=csv`), their charts
//! as SVG ([`crate::http::report_charts`]) and the Asterisk `queue_log` export
//! ([`crate::http::queue_log`]). Every form is computed by the same `crm` call from the same
//! parameters, so the page, the CSV, the charts and the API show the same numbers.
//! docs/api.md and docs/reports.md describe the parameters.

use crate::http::csv::{number, Csv};
use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::{report_charts, App};
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::time::Duration;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/reports/queues", queue_report)
        .get("/api/reports/agents", agent_report)
        .get("/api/reports/queues/chart.svg", report_charts::queue_chart)
        .get("/api/reports/agents/chart.svg", report_charts::agent_chart)
        .get("/api/reports/queue_log", crate::http::queue_log::export)
}

/// The query string of every report route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportParams {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// One queue (kept for existing clients); `queues` takes a comma-separated list.
    queue: Option<String>,
    queues: Option<String>,
    /// `voice`, `web` or `all` (default).
    channel: Option<String>,
    pub agent: Option<String>,
    /// 15m, 30m, hour (or 60m), day, weekday, month, total (default).
    interval: Option<String>,
    tz_offset_minutes: Option<i32>,
    service_level_s: Option<u64>,
    short_abandon_s: Option<u64>,
    /// answered_and_abandoned (default), offered, answered.
    sl_variant: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
    /// Which chart (chart routes only).
    pub chart: Option<String>,
    /// The service-level target drawn on the chart, percent (default 80).
    pub sl_target_pct: Option<f64>,
    /// The charts' language: `en` (default) or `ko`.
    pub lang: Option<String>,
}

/// Whether a table is asked for as CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

impl ReportParams {
    /// What is wrong with the window, if anything.
    pub fn check_window(&self) -> Result<(), ApiError> {
        let problem = if self.to <= self.from {
            "`to` must be after `from`"
        } else if self.to - self.from > chrono::Duration::days(400) {
            "window longer than 400 days"
        } else if self.tz_offset_minutes.is_some_and(|m| m.abs() > 14 * 60) {
            "tz_offset_minutes out of range"
        } else {
            return Ok(());
        };
        Err(ApiError::bad_request(problem))
    }

    fn format(&self) -> Result<Format, ApiError> {
        match self.format.as_deref().unwrap_or("json") {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(ApiError::bad_request(format!(
                "format `{other}`: json or csv"
            ))),
        }
    }

    /// The queue report these parameters ask for.
    pub fn queue_query(&self) -> Result<crm::ReportQuery, ApiError> {
        self.check_window()?;
        let interval = match self.interval.as_deref().unwrap_or("total") {
            "15m" => crm::Interval::Min15,
            "30m" => crm::Interval::Min30,
            "hour" | "60m" => crm::Interval::Hour,
            "day" => crm::Interval::Day,
            "weekday" => crm::Interval::Weekday,
            "month" => crm::Interval::Month,
            "total" => crm::Interval::Total,
            other => {
                return Err(ApiError::bad_request(format!(
                    "interval `{other}`: 15m, 30m, hour, day, weekday, month or total"
                )))
            }
        };
        let sl_variant = match self
            .sl_variant
            .as_deref()
            .unwrap_or("answered_and_abandoned")
        {
            "answered_and_abandoned" => crm::SlVariant::AnsweredAndAbandoned,
            "offered" => crm::SlVariant::Offered,
            "answered" => crm::SlVariant::Answered,
            other => {
                return Err(ApiError::bad_request(format!(
                    "sl_variant `{other}`: answered_and_abandoned, offered or answered"
                )))
            }
        };
        let channel = match self.channel.as_deref().unwrap_or("all") {
            "all" => None,
            other => Some(other.parse::<crm::CallChannel>().map_err(|_| {
                ApiError::bad_request(format!("channel `{other}`: voice, web or all"))
            })?),
        };
        let mut queues: BTreeSet<String> = self.queue.iter().cloned().collect();
        for q in self.queues.iter().flat_map(|qs| qs.split(',')) {
            let q = q.trim();
            if !q.is_empty() {
                queues.insert(q.to_owned());
            }
        }
        if queues.len() > 100 {
            return Err(ApiError::bad_request("at most 100 queues"));
        }
        let mut q = crm::ReportQuery::new(self.from, self.to);
        q.queues = queues.into_iter().collect();
        q.channel = channel;
        q.interval = interval;
        q.tz_offset_minutes = self.tz_offset_minutes.unwrap_or(0);
        if let Some(s) = self.service_level_s {
            q.service_level = Duration::from_secs(s);
        }
        if let Some(s) = self.short_abandon_s {
            q.short_abandon = Duration::from_secs(s);
        }
        q.sl_variant = sl_variant;
        Ok(q)
    }
}

/// The columns of the queue table, in the order of the CSV and the page.
pub(crate) const QUEUE_COLUMNS: [&str; 19] = [
    "queue",
    "bucket",
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "overflowed",
    "exited",
    "transferred",
    "callbacks",
    "answered_within_sl",
    "service_level",
    "asa_secs",
    "avg_talk_secs",
    "avg_hold_secs",
    "avg_wrap_secs",
    "aht_secs",
    "max_wait_secs",
    // Kept last: not a column of the row type but of the query.
    "channel",
];

fn queue_csv(rows: &[crm::QueueReportRow], channel: Option<crm::CallChannel>) -> Csv {
    let mut csv = Csv::new();
    csv.row(QUEUE_COLUMNS);
    let channel = channel.map_or("all", |c| c.as_str());
    for r in rows {
        let n = |v: u64| v.to_string();
        csv.row([
            r.queue.clone(),
            r.bucket.clone(),
            n(r.offered),
            n(r.answered),
            n(r.abandoned),
            n(r.short_abandoned),
            n(r.overflowed),
            n(r.exited),
            n(r.transferred),
            n(r.callbacks),
            n(r.answered_within_sl),
            number(r.service_level),
            number(r.asa_secs),
            number(r.avg_talk_secs),
            number(r.avg_hold_secs),
            number(r.avg_wrap_secs),
            number(r.aht_secs),
            number(r.max_wait_secs),
            channel.to_owned(),
        ]);
    }
    csv
}

fn agent_csv(rows: &[crm::AgentReportRow]) -> Csv {
    let reasons: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.paused_by_reason.keys().map(String::as_str))
        .collect();
    let mut csv = Csv::new();
    let mut header: Vec<String> = [
        "agent",
        "logged_in_secs",
        "available_secs",
        "ringing_secs",
        "on_call_secs",
        "hold_secs",
        "wrap_up_secs",
        "paused_secs",
        "calls_answered",
        "calls_completed",
        "missed_offers",
        "avg_handle_secs",
        "occupancy",
    ]
    .map(String::from)
    .to_vec();
    header.extend(reasons.iter().map(|r| format!("paused_secs:{r}")));
    csv.row(header);
    for r in rows {
        let mut line = vec![
            r.agent.clone(),
            number(Some(r.logged_in_secs)),
            number(Some(r.available_secs)),
            number(Some(r.ringing_secs)),
            number(Some(r.on_call_secs)),
            number(Some(r.hold_secs)),
            number(Some(r.wrap_up_secs)),
            number(Some(r.paused_secs)),
            r.calls_answered.to_string(),
            r.calls_completed.to_string(),
            r.missed_offers.to_string(),
            number(r.avg_handle_secs),
            number(r.occupancy),
        ];
        line.extend(
            reasons
                .iter()
                .map(|reason| number(Some(*r.paused_by_reason.get(*reason).unwrap_or(&0.0)))),
        );
        csv.row(line);
    }
    csv
}

async fn queue_report(State(app): State<App>, Query(p): Query<ReportParams>) -> ApiResult {
    let q = p.queue_query()?;
    let format = p.format()?;
    let rows = app.crm.queue_report(&q).await?;
    Ok(match format {
        Format::Json => Json(rows).into_response(),
        Format::Csv => queue_csv(&rows, q.channel).into_response("queue-report.csv"),
    })
}

/// The agent report of the window (its `to` capped at now, see `Crm::agent_report`).
pub(crate) async fn agent_rows(
    app: &App,
    p: &ReportParams,
) -> Result<Vec<crm::AgentReportRow>, ApiError> {
    p.check_window()?;
    Ok(app
        .crm
        .agent_report(p.from, p.to, Utc::now(), p.agent.as_deref())
        .await?)
}

async fn agent_report(State(app): State<App>, Query(p): Query<ReportParams>) -> ApiResult {
    let format = p.format()?;
    let rows = agent_rows(&app, &p).await?;
    Ok(match format {
        Format::Json => Json(rows).into_response(),
        Format::Csv => agent_csv(&rows).into_response("agent-report.csv"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(queue: &str) -> crm::QueueReportRow {
        crm::QueueReportRow {
            queue: queue.into(),
            bucket: "total".into(),
            offered: 3,
            answered: 1,
            abandoned: 2,
            short_abandoned: 1,
            overflowed: 0,
            exited: 0,
            transferred: 0,
            callbacks: 0,
            answered_within_sl: 0,
            service_level: Some(0.0),
            asa_secs: Some(30.0),
            avg_abandon_wait_secs: None,
            avg_talk_secs: Some(60.0),
            avg_hold_secs: None,
            avg_wrap_secs: Some(0.0),
            aht_secs: Some(60.0),
            max_wait_secs: Some(40.0),
        }
    }

    #[test]
    fn queue_csv_has_a_header_and_neutralised_names() {
        let csv = queue_csv(&[row("support"), row("=cmd|' /C calc'!A0")], None).into_string();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], QUEUE_COLUMNS.join(","));
        assert_eq!(
            lines[1],
            "support,total,3,1,2,1,0,0,0,0,0,0,30,60,,0,60,40,all"
        );
        assert!(lines[2].starts_with("'=cmd|' /C calc'!A0,total,3"), "{csv}");
        assert_eq!(lines.len(), 4, "two rows and the final CRLF: {csv:?}");
    }

    #[test]
    fn agent_csv_has_one_column_per_pause_reason() {
        let agent = |name: &str, reasons: &[(&str, f64)]| crm::AgentReportRow {
            agent: name.into(),
            logged_in_secs: 3600.0,
            available_secs: 1200.0,
            ringing_secs: 0.0,
            on_call_secs: 1200.0,
            wrap_up_secs: 0.0,
            paused_secs: reasons.iter().map(|r| r.1).sum(),
            paused_by_reason: reasons.iter().map(|(r, s)| (r.to_string(), *s)).collect(),
            calls_answered: 4,
            calls_completed: 4,
            hold_secs: 30.0,
            missed_offers: 1,
            avg_handle_secs: Some(300.0),
            occupancy: Some(0.5),
        };
        let csv = agent_csv(&[
            agent("ann", &[("lunch", 600.0), ("-break", 600.0)]),
            agent("bob", &[("lunch", 1200.0)]),
        ])
        .into_string();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert!(
            lines[0].ends_with(",occupancy,paused_secs:-break,paused_secs:lunch"),
            "{csv}"
        );
        assert_eq!(
            lines[1],
            "ann,3600,1200,0,1200,30,0,1200,4,4,1,300,0.5,600,600"
        );
        assert!(lines[2].ends_with(",0,1200"), "{csv}");
    }
}
