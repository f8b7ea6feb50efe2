//! The report charts as SVG, from the same report rows as the tables: the chosen queues are
//! counted together (`ReportQuery::combine_queues`), so a chart shows one figure per interval
//! whose ratios come from the summed counts.
//!
//! - `GET /api/reports/queues/chart.svg?chart=calls`: offered, answered and abandoned (bars);
//! - `chart=service_level`: service level (line) against the target (`sl_target_pct`, 80);
//! - `chart=times`: ASA and AHT (lines, seconds);
//! - `GET /api/reports/agents/chart.svg?chart=occupancy`: occupancy per agent (bars);
//! - `chart=states`: each agent's time by state (stacked bars, hours).

use crate::http::chart::{BarLayout, Chart, Series, Target, ValueFormat};
use crate::http::error::{ApiError, ApiResult};
use crate::http::reports::{agent_rows, ReportParams};
use crate::http::App;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The charts' words in the page's two languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Ko,
}

impl Lang {
    fn of(p: &ReportParams) -> Result<Lang, ApiError> {
        match p.lang.as_deref().unwrap_or("en") {
            "en" => Ok(Lang::En),
            "ko" => Ok(Lang::Ko),
            other => Err(ApiError::bad_request(format!("lang `{other}`: en or ko"))),
        }
    }

    fn t(self, key: &str) -> &'static str {
        let (en, ko) = match key {
            "calls" => ("Calls by interval", "구간별 통화"),
            "interval" => ("Interval", "구간"),
            "count" => ("Calls", "통화 수"),
            "offered" => ("Offered", "인입"),
            "answered" => ("Answered", "응답"),
            "abandoned" => ("Abandoned", "포기"),
            "service_level" => ("Service level", "서비스 레벨"),
            "share" => ("Share of calls", "통화 비율"),
            "share_time" => ("Share of working time", "근무 시간 비율"),
            "target" => ("Target", "목표"),
            "times" => ("ASA and AHT", "평균 응답 속도와 평균 처리 시간"),
            "seconds" => ("Seconds", "초"),
            "asa" => ("ASA", "평균 응답 속도"),
            "aht" => ("AHT", "평균 처리 시간"),
            "occupancy" => ("Agent occupancy", "상담원 점유율"),
            "agent" => ("Agent", "상담원"),
            "states" => ("Agent time by state", "상담원 상태별 시간"),
            "hours" => ("Hours", "시간"),
            "available" => ("Available", "대기"),
            "ringing" => ("Ringing", "호출 중"),
            "on_call" => ("On call", "통화 중"),
            "wrap_up" => ("Wrap-up", "후처리"),
            "paused" => ("Paused", "휴식"),
            "empty" => ("No calls in this period", "이 기간에 통화가 없습니다"),
            _ => ("", ""),
        };
        match self {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }
}

/// The chart as an SVG answer, never cached (drawn from live data; the QA score chart too).
pub(crate) fn svg(chart: &Chart) -> Response {
    let mut r = chart.to_svg().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    // Drawn from live data: never reuse an old picture.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn chart_name<'a>(p: &'a ReportParams, default: &'a str) -> &'a str {
    p.chart.as_deref().unwrap_or(default)
}

/// The queue charts.
pub(crate) async fn queue_chart(
    State(app): State<App>,
    Query(p): Query<ReportParams>,
) -> ApiResult {
    let lang = Lang::of(&p)?;
    let mut q = p.queue_query()?;
    q.combine_queues = true;
    let name = chart_name(&p, "calls");
    if !["calls", "service_level", "times"].contains(&name) {
        return Err(ApiError::bad_request(format!(
            "chart `{name}`: calls, service_level or times"
        )));
    }
    let target = p.sl_target_pct.unwrap_or(80.0);
    if !(0.0..=100.0).contains(&target) {
        return Err(ApiError::bad_request("sl_target_pct: 0 to 100"));
    }
    let rows = app.crm.queue_report(&q).await?;
    Ok(svg(&queue_chart_of(name, &rows, target / 100.0, lang)))
}

fn queue_chart_of(name: &str, rows: &[crm::QueueReportRow], target: f64, lang: Lang) -> Chart {
    let t = |k| lang.t(k);
    let col = |f: &dyn Fn(&crm::QueueReportRow) -> Option<f64>| rows.iter().map(f).collect();
    let mut chart = match name {
        "service_level" => {
            let mut c = Chart::new(t("service_level"), t("interval"), t("share"));
            c.format = ValueFormat::Ratio;
            c.series = vec![Series::line(t("service_level"), col(&|r| r.service_level))];
            c.target = Some(Target {
                value: target,
                label: t("target").into(),
            });
            c
        }
        "times" => {
            let mut c = Chart::new(t("times"), t("interval"), t("seconds"));
            c.format = ValueFormat::Seconds;
            c.series = vec![
                Series::line(t("asa"), col(&|r| r.asa_secs)),
                Series::line(t("aht"), col(&|r| r.aht_secs)),
            ];
            c
        }
        _ => {
            let mut c = Chart::new(t("calls"), t("interval"), t("count"));
            c.series = vec![
                Series::bars(t("offered"), col(&|r| Some(r.offered as f64))),
                Series::bars(t("answered"), col(&|r| Some(r.answered as f64))),
                Series::bars(t("abandoned"), col(&|r| Some(r.abandoned as f64))),
            ];
            c
        }
    };
    chart.categories = rows.iter().map(|r| r.bucket.clone()).collect();
    chart.empty_text = t("empty").into();
    chart
}

/// The agent charts.
pub(crate) async fn agent_chart(
    State(app): State<App>,
    Query(p): Query<ReportParams>,
) -> ApiResult {
    let lang = Lang::of(&p)?;
    let name = chart_name(&p, "occupancy");
    if !["occupancy", "states"].contains(&name) {
        return Err(ApiError::bad_request(format!(
            "chart `{name}`: occupancy or states"
        )));
    }
    let rows = agent_rows(&app, &p).await?;
    Ok(svg(&agent_chart_of(name, &rows, lang)))
}

fn agent_chart_of(name: &str, rows: &[crm::AgentReportRow], lang: Lang) -> Chart {
    let t = |k| lang.t(k);
    let hours = |f: fn(&crm::AgentReportRow) -> f64| {
        rows.iter().map(|r| Some(f(r) / 3600.0)).collect::<Vec<_>>()
    };
    let mut chart = if name == "states" {
        let mut c = Chart::new(t("states"), t("agent"), t("hours"));
        c.layout = BarLayout::Stacked;
        c.format = ValueFormat::Hours;
        c.series = vec![
            Series::bars(t("on_call"), hours(|r| r.on_call_secs)),
            Series::bars(t("wrap_up"), hours(|r| r.wrap_up_secs)),
            Series::bars(t("ringing"), hours(|r| r.ringing_secs)),
            Series::bars(t("available"), hours(|r| r.available_secs)),
            Series::bars(t("paused"), hours(|r| r.paused_secs)),
        ];
        c
    } else {
        let mut c = Chart::new(t("occupancy"), t("agent"), t("share_time"));
        c.format = ValueFormat::Ratio;
        c.series = vec![Series::bars(
            t("occupancy"),
            rows.iter().map(|r| r.occupancy).collect(),
        )];
        c
    };
    chart.categories = rows.iter().map(|r| r.agent.clone()).collect();
    chart.empty_text = t("empty").into();
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(bucket: &str, offered: u64, sl: Option<f64>) -> crm::QueueReportRow {
        crm::QueueReportRow {
            queue: crm::ALL_QUEUES.into(),
            bucket: bucket.into(),
            offered,
            answered: offered.saturating_sub(1),
            abandoned: 1,
            short_abandoned: 0,
            overflowed: 0,
            exited: 0,
            transferred: 0,
            callbacks: 0,
            answered_within_sl: 0,
            service_level: sl,
            asa_secs: Some(12.0),
            avg_abandon_wait_secs: None,
            avg_talk_secs: None,
            avg_hold_secs: None,
            avg_wrap_secs: None,
            aht_secs: None,
            max_wait_secs: None,
        }
    }

    #[test]
    fn calls_chart_has_three_bars_per_interval() {
        let rows = [row("09:00", 4, Some(0.5)), row("09:15", 2, None)];
        let svg = queue_chart_of("calls", &rows, 0.8, Lang::En).to_svg();
        assert_eq!(svg.matches(r#"<rect class="bar""#).count(), 6);
        assert!(svg.contains("Offered: 09:00, 4"), "{svg}");
        let ko = queue_chart_of("calls", &rows, 0.8, Lang::Ko).to_svg();
        assert!(ko.contains("인입: 09:00, 4"));
    }

    #[test]
    fn service_level_chart_has_the_target_and_skips_empty_intervals() {
        let rows = [
            row("a", 4, Some(0.5)),
            row("b", 2, None),
            row("c", 2, Some(1.0)),
        ];
        let svg = queue_chart_of("service_level", &rows, 0.8, Lang::En).to_svg();
        assert!(svg.contains("Target: 80.0 %"));
        // Two points and the legend's marker.
        assert_eq!(svg.matches(r#"<g class="point""#).count(), 3);
        let empty = queue_chart_of("calls", &[], 0.8, Lang::En).to_svg();
        assert!(empty.contains("No calls in this period"));
    }
}
