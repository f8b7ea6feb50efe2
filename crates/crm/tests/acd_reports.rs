//! The queue report over a hand-built day of calls with exact expected numbers, on both
//! backends. The expected values are worked out in the comments.

mod common;

use common::acd::{secs, t, History};
use crm::{
    AgentStateName, CallChannel, Crm, Interval, OverflowReason, QueueEventKind, QueueReportRow,
    ReportQuery, SlVariant,
};

on_both_backends!(
    queue_report_totals_and_sl_variants,
    queue_report_quarter_hours_split_at_the_boundary,
    queue_report_weekdays_follow_the_offset,
    queue_report_filters_queues_and_channels,
);

/// The day (and a Monday) of the queue report tests, "support" unless noted:
///
/// | call | entered (UTC)       | outcome                      | wait | talk | wrap |
/// |------|---------------------|------------------------------|------|------|------|
/// | L    | Fri 23:59:59        | abandon (before the window)  | 11   |      |      |
/// | A    | Sat 09:14:59        | answered by ann              | 10   | 120  | 30   |
/// | B    | Sat 09:15:00        | answered by bob              | 30   | 60   | 0    |
/// | C    | Sat 09:20:00        | abandon (short)              | 3    |      |      |
/// | D    | Sat 09:25:00        | abandon                      | 40   |      |      |
/// | E    | Sat 09:40:00        | overflow max_wait            | 120  |      |      |
/// | F    | Sat 09:50:00        | refused: join_empty, no enter| 0    |      |      |
/// | G    | Sat 09:55:00        | exit key                     | 8    |      |      |
/// | H    | Sat 10:05:00 sales  | transferred to support 10 s later; answered there by ann with the ACD's wait 15 (counted from sales), talk 45, wrap 20 |
/// | I    | Mon 08:00:00        | answered by bob              | 5    | 100  | 60   |
/// | K    | Mon 23:59:50        | answered by bob after the window ends | 30 | 60 | 0 |
async fn day_of_calls(crm: &Crm) -> anyhow::Result<()> {
    let mut h = History::default();
    let s = "support";
    h.left(
        t(1, 0, 0, 0) - secs(1),
        s,
        "L",
        11,
        QueueEventKind::Abandon {
            position: 1,
            wait: secs(11),
        },
    );
    h.answered(t(1, 9, 14, 59), s, "A", "ann", 10, 120, 30);
    h.answered(t(1, 9, 15, 0), s, "B", "bob", 30, 60, 0);
    h.left(
        t(1, 9, 20, 0),
        s,
        "C",
        3,
        QueueEventKind::Abandon {
            position: 1,
            wait: secs(3),
        },
    );
    h.left(
        t(1, 9, 25, 0),
        s,
        "D",
        40,
        QueueEventKind::Abandon {
            position: 1,
            wait: secs(40),
        },
    );
    h.left(
        t(1, 9, 40, 0),
        s,
        "E",
        120,
        QueueEventKind::Overflow {
            reason: OverflowReason::MaxWait,
            target: Some("voicemail".into()),
            wait: secs(120),
        },
    );
    h.q(
        t(1, 9, 50, 0),
        s,
        "F",
        QueueEventKind::Overflow {
            reason: OverflowReason::JoinEmpty,
            target: None,
            wait: secs(0),
        },
    );
    h.left(
        t(1, 9, 55, 0),
        s,
        "G",
        8,
        QueueEventKind::ExitKey {
            key: '0',
            wait: secs(8),
        },
    );
    // H: ten seconds in sales, then support, where the ACD reports the wait since sales.
    let h_in = t(1, 10, 5, 0);
    h.q(h_in, "sales", "H", QueueEventKind::Enter { position: 1 });
    h.q(
        h_in + secs(10),
        "sales",
        "H",
        QueueEventKind::Transfer { to_queue: s.into() },
    );
    h.q(
        h_in + secs(10),
        s,
        "H",
        QueueEventKind::Enter { position: 1 },
    );
    h.connect_and_complete(h_in, s, "H", "ann", 15, 45);
    h.state(
        h_in + secs(60),
        "ann",
        AgentStateName::OnCall,
        AgentStateName::WrapUp,
    );
    h.state(
        h_in + secs(80),
        "ann",
        AgentStateName::WrapUp,
        AgentStateName::Available,
    );
    h.answered(t(3, 8, 0, 0), s, "I", "bob", 5, 100, 60);
    h.answered(t(3, 23, 59, 50), s, "K", "bob", 30, 60, 0);
    h.write(crm).await
}

/// Saturday and Monday: [Sat 00:00, Tue 00:00).
fn window() -> ReportQuery {
    ReportQuery::new(t(1, 0, 0, 0), t(4, 0, 0, 0))
}

fn row<'a>(
    rows: &'a [QueueReportRow],
    queue: &str,
    bucket: &str,
) -> anyhow::Result<&'a QueueReportRow> {
    rows.iter()
        .find(|r| r.queue == queue && r.bucket == bucket)
        .ok_or_else(|| anyhow::anyhow!("no row {queue} {bucket} in {rows:#?}"))
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

async fn queue_report_totals_and_sl_variants(crm: &Crm) -> anyhow::Result<()> {
    day_of_calls(crm).await?;
    let rows = crm.queue_report(&window()).await?;
    let buckets: Vec<_> = rows
        .iter()
        .map(|r| (r.queue.as_str(), r.bucket.as_str()))
        .collect();
    assert_eq!(buckets, [("sales", "total"), ("support", "total")]);

    // Offered: A B C D E G H I K (F was refused, L entered before the window).
    let s = row(&rows, "support", "total")?;
    assert_eq!(
        (s.offered, s.answered, s.abandoned, s.short_abandoned),
        (9, 5, 2, 1)
    );
    assert_eq!(
        (s.overflowed, s.exited, s.transferred, s.callbacks),
        (2, 1, 0, 0)
    );
    // Within 20 s: A (10), H (15), I (5); not B or K (30).
    assert_eq!(s.answered_within_sl, 3);
    // 3 / (5 answered + 2 abandoned - 1 short).
    assert!(close(s.service_level, 0.5), "{s:?}");
    // (10 + 30 + 15 + 5 + 30) / 5.
    assert!(close(s.asa_secs, 18.0), "{s:?}");
    // (120 + 60 + 45 + 100 + 60) / 5; wraps (30 + 0 + 20 + 60 + 0) / 5; AHT their sum.
    assert!(close(s.avg_talk_secs, 77.0), "{s:?}");
    assert!(close(s.avg_hold_secs, 77.0 / 4.0), "{s:?}");
    assert!(close(s.avg_wrap_secs, 22.0), "{s:?}");
    assert!(close(s.aht_secs, 99.0), "{s:?}");
    assert!(close(s.max_wait_secs, 120.0), "{s:?}");

    let sales = row(&rows, "sales", "total")?;
    assert_eq!(
        (sales.offered, sales.answered, sales.transferred),
        (1, 0, 1)
    );
    assert_eq!(sales.service_level, None);
    assert_eq!(sales.asa_secs, None);
    assert!(close(sales.max_wait_secs, 10.0), "{sales:?}");

    let variant = |v| ReportQuery {
        queues: vec!["support".into()],
        sl_variant: v,
        ..window()
    };
    let offered = crm.queue_report(&variant(SlVariant::Offered)).await?;
    assert_eq!(offered.len(), 1);
    // 3 / (9 offered - 1 short).
    assert!(close(offered[0].service_level, 0.375), "{offered:?}");
    let answered = crm.queue_report(&variant(SlVariant::Answered)).await?;
    assert!(close(answered[0].service_level, 0.6), "{answered:?}");

    // A longer threshold and short-abandon limit move calls between the counts.
    let wider = ReportQuery {
        service_level: secs(30),
        short_abandon: secs(2),
        ..variant(SlVariant::AnsweredAndAbandoned)
    };
    let wider = crm.queue_report(&wider).await?;
    assert_eq!(
        (wider[0].answered_within_sl, wider[0].short_abandoned),
        (5, 0)
    );
    // 5 / (5 + 2 - 0).
    assert!(close(wider[0].service_level, 5.0 / 7.0), "{wider:?}");

    // Days: Saturday's calls and Monday's (K counts on Monday though answered on Tuesday).
    let days = crm
        .queue_report(&ReportQuery {
            interval: Interval::Day,
            ..variant(SlVariant::AnsweredAndAbandoned)
        })
        .await?;
    let labels: Vec<_> = days
        .iter()
        .map(|r| (r.bucket.as_str(), r.offered))
        .collect();
    assert_eq!(labels, [("2025-03-01", 7), ("2025-03-03", 2)]);
    let month = crm
        .queue_report(&ReportQuery {
            interval: Interval::Month,
            ..window()
        })
        .await?;
    assert_eq!(
        month.iter().map(|r| r.bucket.as_str()).collect::<Vec<_>>(),
        ["2025-03", "2025-03"]
    );
    Ok(())
}

async fn queue_report_quarter_hours_split_at_the_boundary(crm: &Crm) -> anyhow::Result<()> {
    day_of_calls(crm).await?;
    let q = ReportQuery {
        queues: vec!["support".into()],
        interval: Interval::Min15,
        ..window()
    };
    let rows = crm.queue_report(&q).await?;
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.bucket.as_str(), r.offered))
        .collect();
    assert_eq!(
        got,
        [
            ("2025-03-01T09:00:00+00:00", 1), // A at 09:14:59
            ("2025-03-01T09:15:00+00:00", 3), // B at 09:15:00, C, D
            ("2025-03-01T09:30:00+00:00", 1), // E
            ("2025-03-01T09:45:00+00:00", 1), // F (refused, not offered) and G
            ("2025-03-01T10:00:00+00:00", 1), // H, entering support at 10:05:10
            ("2025-03-03T08:00:00+00:00", 1), // I
            ("2025-03-03T23:45:00+00:00", 1), // K
        ]
    );
    let nine = row(&rows, "support", "2025-03-01T09:00:00+00:00")?;
    assert_eq!((nine.answered, nine.answered_within_sl), (1, 1));
    assert!(close(nine.service_level, 1.0));
    assert!(close(nine.aht_secs, 150.0), "{nine:?}");
    let quarter = row(&rows, "support", "2025-03-01T09:15:00+00:00")?;
    assert_eq!(
        (
            quarter.answered,
            quarter.abandoned,
            quarter.short_abandoned,
            quarter.answered_within_sl
        ),
        (1, 2, 1, 0)
    );
    // 0 / (1 + 2 - 1).
    assert!(close(quarter.service_level, 0.0), "{quarter:?}");
    assert!(close(quarter.max_wait_secs, 40.0), "{quarter:?}");
    let refused = row(&rows, "support", "2025-03-01T09:45:00+00:00")?;
    assert_eq!(
        (refused.offered, refused.overflowed, refused.exited),
        (1, 1, 1)
    );
    // Nothing answered or abandoned: the default variant has no denominator.
    assert_eq!(refused.service_level, None);
    Ok(())
}

async fn queue_report_weekdays_follow_the_offset(crm: &Crm) -> anyhow::Result<()> {
    day_of_calls(crm).await?;
    let q = |tz| ReportQuery {
        queues: vec!["support".into()],
        interval: Interval::Weekday,
        tz_offset_minutes: tz,
        ..window()
    };
    let utc = crm.queue_report(&q(0)).await?;
    let got: Vec<_> = utc
        .iter()
        .map(|r| (r.bucket.as_str(), r.offered, r.answered))
        .collect();
    assert_eq!(got, [("mon", 2, 2), ("sat", 7, 3)]);
    let mon = row(&utc, "support", "mon")?;
    // I within 5 s, K after 30 s.
    assert!(
        close(mon.service_level, 0.5) && close(mon.asa_secs, 17.5),
        "{mon:?}"
    );

    // In Seoul (+09:00) K entered on Tuesday morning.
    let seoul = crm.queue_report(&q(540)).await?;
    let got: Vec<_> = seoul
        .iter()
        .map(|r| (r.bucket.as_str(), r.offered))
        .collect();
    assert_eq!(got, [("mon", 1), ("tue", 1), ("sat", 7)]);
    let fifteen = crm
        .queue_report(&ReportQuery {
            interval: Interval::Min15,
            ..q(540)
        })
        .await?;
    assert_eq!(fifteen[0].bucket, "2025-03-01T18:00:00+09:00");
    assert!(crm.queue_report(&q(24 * 60)).await.is_err());
    Ok(())
}

/// The day of calls with CDRs: B and C came from the web, D has no CDR (yet), the others are
/// voice (L, before the window, too). H is a web call marked by its link after a voice start.
async fn queue_report_filters_queues_and_channels(crm: &Crm) -> anyhow::Result<()> {
    day_of_calls(crm).await?;
    let mut h = History::default();
    for call in ["L", "A", "E", "F", "G", "I", "K"] {
        h.cdr(t(1, 0, 0, 0), call, None);
    }
    h.cdr(t(1, 0, 0, 0), "B", Some(CallChannel::Web));
    h.cdr(t(1, 0, 0, 0), "C", Some(CallChannel::Web));
    h.cdr(t(1, 0, 0, 0), "H", Some(CallChannel::Voice));
    h.write(crm).await?;

    let channel = |c| ReportQuery {
        channel: Some(c),
        ..window()
    };
    let web = crm.queue_report(&channel(CallChannel::Web)).await?;
    assert_eq!(web.len(), 1, "{web:#?}");
    let s = row(&web, "support", "total")?;
    // B answered after 30 s, C a short abandon.
    assert_eq!(
        (s.offered, s.answered, s.abandoned, s.short_abandoned),
        (2, 1, 1, 1)
    );
    assert!(close(s.asa_secs, 30.0));
    assert!(close(s.service_level, 0.0), "{s:?}");

    // A E G H I K offered in support (F refused); H also in sales. D has no CDR.
    let voice = crm.queue_report(&channel(CallChannel::Voice)).await?;
    let s = row(&voice, "support", "total")?;
    assert_eq!((s.offered, s.answered, s.abandoned), (6, 4, 0));
    assert_eq!(s.overflowed, 2);
    assert_eq!(row(&voice, "sales", "total")?.offered, 1);

    // Every channel together is the unfiltered report.
    let all = crm.queue_report(&window()).await?;
    assert_eq!(row(&all, "support", "total")?.offered, 9);

    let queues = |qs: &[&str]| ReportQuery {
        queues: qs.iter().map(|q| q.to_string()).collect(),
        ..window()
    };
    let sales = crm.queue_report(&queues(&["sales"])).await?;
    assert_eq!(
        sales.iter().map(|r| r.queue.as_str()).collect::<Vec<_>>(),
        ["sales"]
    );
    let both = crm
        .queue_report(&queues(&["support", "nope", "sales"]))
        .await?;
    assert_eq!(both, all);
    let none = crm.queue_report(&queues(&["nope"])).await?;
    assert!(none.is_empty());
    // Both filters at once.
    // Combined: sales' H and support's nine visits in one row; ratios from the summed counts.
    let combined = crm
        .queue_report(&ReportQuery {
            combine_queues: true,
            ..queues(&["support", "sales"])
        })
        .await?;
    assert_eq!(combined.len(), 1, "{combined:#?}");
    let c = row(&combined, crm::ALL_QUEUES, "total")?;
    assert_eq!((c.offered, c.answered, c.transferred), (10, 5, 1));
    // 3 / (5 + 2 - 1) as in support alone: sales adds no answer or abandon.
    assert!(close(c.service_level, 0.5), "{c:?}");
    assert!(close(c.max_wait_secs, 120.0), "{c:?}");
    let web_sales = crm
        .queue_report(&ReportQuery {
            channel: Some(CallChannel::Web),
            ..queues(&["sales"])
        })
        .await?;
    assert!(web_sales.is_empty(), "{web_sales:?}");
    Ok(())
}
