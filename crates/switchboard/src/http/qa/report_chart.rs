//! `GET /api/qa/reports/chart.svg?from=2026-01&to=2026-06&lang=en`: each agent's and each
//! team's average score by month as lines, drawn with the shared [`chart`](crate::http::chart)
//! module from the same report as `GET /api/qa/reports` (same roles and row scope), so the
//! picture and the table agree. A month without submitted reviews leaves a gap.

use axum::extract::{Query, State};
use serde::Deserialize;

use crate::http::chart::{Chart, Series, ValueFormat};
use crate::http::error::{ApiError, ApiResult};
use crate::http::qa::reports::{report, Report, ReportQuery};
use crate::http::qa::Caller;
use crate::http::report_charts::svg;
use crate::http::routing::Routes;
use crate::http::App;

pub(super) fn routes() -> Routes {
    Routes::new().get(
        "/api/qa/reports/chart.svg",
        |State(app): State<App>, caller: Caller, Query(q): Query<ChartQuery>| async move {
            let ko = match q.lang.as_deref().unwrap_or("en") {
                "en" => false,
                "ko" => true,
                other => {
                    return Err(ApiError::bad_request(format!("lang `{other}`: en or ko")));
                }
            };
            let r = report(
                &app.qa,
                &caller,
                ReportQuery {
                    from: q.from,
                    to: q.to,
                },
            )
            .await?;
            ApiResult::Ok(svg(&score_chart(&r, ko)))
        },
    )
}

/// The report's months and the chart's language.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// `en` (default) or `ko`.
    pub lang: Option<String>,
}

/// One line per agent, then one per team ("Team red"), of the average score (0-100) by month.
pub(crate) fn score_chart(r: &Report, ko: bool) -> Chart {
    let (title, month, score, team, empty) = if ko {
        (
            "월별 평가 점수",
            "월",
            "평균 점수",
            "팀",
            "이 기간에 제출된 평가가 없습니다",
        )
    } else {
        (
            "QA score by month",
            "Month",
            "Average score",
            "Team",
            "No reviews submitted in these months",
        )
    };
    let mut chart = Chart::new(title, month, score);
    chart.id = "qa-score".into();
    chart.format = ValueFormat::Ratio;
    chart.categories = r.months.clone();
    let line = |name: String, s: &crate::http::qa::reports::Series| {
        let values = r
            .months
            .iter()
            .map(|m| {
                s.months
                    .iter()
                    .find(|l| &l.month == m)
                    .and_then(|l| l.average)
                    .map(|a| a / 100.0)
            })
            .collect();
        Series::line(name, values)
    };
    chart.series = r
        .agents
        .iter()
        .map(|s| line(s.name.clone(), s))
        .chain(
            r.teams
                .iter()
                .map(|s| line(format!("{team} {}", s.name), s)),
        )
        .collect();
    chart.empty_text = empty.into();
    chart
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::qa::reports::{MonthLine, Series as Line};

    fn month(m: &str, average: Option<f64>) -> MonthLine {
        MonthLine {
            month: m.into(),
            average,
            ..Default::default()
        }
    }

    #[test]
    fn each_agent_and_team_is_a_line_of_its_monthly_average_with_gaps() {
        let r = Report {
            months: vec!["2026-01".into(), "2026-02".into()],
            agents: vec![Line {
                name: "bob".into(),
                team: Some("red".into()),
                months: vec![month("2026-01", Some(81.25)), month("2026-02", None)],
            }],
            teams: vec![Line {
                name: "red".into(),
                team: None,
                months: vec![month("2026-01", Some(81.25)), month("2026-02", Some(90.0))],
            }],
        };
        let c = score_chart(&r, false);
        assert_eq!(c.categories, ["2026-01", "2026-02"]);
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.series[0].name, "bob");
        assert_eq!(c.series[0].values, [Some(0.8125), None]);
        assert_eq!(c.series[1].name, "Team red");
        assert_eq!(c.series[1].values, [Some(0.8125), Some(0.9)]);
        let svg = c.to_svg();
        assert!(
            svg.starts_with("<svg") && svg.contains("QA score by month"),
            "{svg}"
        );
        assert!(svg.contains("bob") && svg.contains("Team red"), "{svg}");
        let ko = score_chart(&r, true);
        assert_eq!(ko.series[1].name, "팀 red");
        let empty = score_chart(
            &Report {
                months: r.months.clone(),
                agents: Vec::new(),
                teams: Vec::new(),
            },
            false,
        )
        .to_svg();
        assert!(empty.contains("No reviews submitted"), "{empty}");
    }
}
