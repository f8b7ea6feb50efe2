//! The CDR repository through the direct API, on both backends.

mod common;

use common::{answered_end, at, leg, start};
use crm::{Cdr, CdrEnd, CdrStart, Crm, CrmError, Disposition, LegRole, Side};

on_both_backends!(
    start_answer_end_reads_back_with_durations,
    recovery_closes_only_open_cdrs,
    recovery_never_ends_before_start,
    recovery_keeps_answered_calls_ending_when_last_alive,
    end_without_start_inserts_full_row,
    answer_for_unknown_call_is_an_error,
    replayed_end_does_not_duplicate_legs,
    strings_are_stored_verbatim,
    recent_is_newest_first_and_limited,
    a_declined_call_keeps_its_rows_legs_and_disposition,
);

async fn must_get(crm: &Crm, call_id: &str) -> anyhow::Result<Cdr> {
    crm.cdr(call_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no CDR for {call_id}"))
}

async fn start_answer_end_reads_back_with_durations(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("call-1", 0)).await?;
    let open = must_get(crm, "call-1").await?;
    assert_eq!(open.ended_at, None);
    assert_eq!((open.duration_s, open.billable_s), (None, None));
    assert_eq!(open.caller_name.as_deref(), Some("Alice"));

    crm.cdr_answer("call-1", at(5_250)).await?;
    // A second answer (another fork) must not move the billing start.
    crm.cdr_answer("call-1", at(9_000)).await?;
    crm.cdr_end(&answered_end("call-1", 5_250, 65_000)).await?;

    let cdr = must_get(crm, "call-1").await?;
    assert_eq!(cdr.started_at, at(0));
    assert_eq!(cdr.answered_at, Some(at(5_250)));
    assert_eq!(cdr.ended_at, Some(at(65_000)));
    assert_eq!(cdr.duration_s, Some(65));
    // 59.75 s answered: per-second billing rounds up.
    assert_eq!(cdr.billable_s, Some(60));
    assert_eq!(cdr.disposition, Some(Disposition::Answered));
    assert_eq!(cdr.sip_status, Some(200));
    assert_eq!(cdr.hangup_cause.as_deref(), Some("caller hung up"));
    assert_eq!(cdr.hangup_side, Some(Side::Caller));
    assert!(!cdr.recovered);
    assert_eq!(cdr.legs, answered_end("call-1", 5_250, 65_000).legs);
    assert_eq!(crm.cdr("no-such-call").await?, None);

    crm.cdr_start(&start("call-2", 1_000)).await?;
    crm.cdr_end(&CdrEnd {
        call_id: "call-2".into(),
        ended_at: at(31_000),
        disposition: Disposition::NoAnswer,
        sip_status: 480,
        hangup_cause: "no answer".into(),
        hangup_side: Some(Side::Switch),
        legs: vec![leg(LegRole::Callee, "2001", 1_100, None, 31_000)],
        vars: Default::default(),
    })
    .await?;
    let unanswered = must_get(crm, "call-2").await?;
    assert_eq!(
        (unanswered.duration_s, unanswered.billable_s),
        (Some(30), Some(0))
    );
    assert_eq!(unanswered.answered_at, None);
    assert_eq!(unanswered.legs[0].final_status, Some(487));
    Ok(())
}

async fn recovery_closes_only_open_cdrs(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("open-ringing", 0)).await?;
    crm.cdr_start(&start("open-talking", 0)).await?;
    crm.cdr_answer("open-talking", at(2_000)).await?;
    crm.cdr_start(&start("closed", 0)).await?;
    crm.cdr_end(&answered_end("closed", 1_000, 4_000)).await?;

    // Never marked alive (a database from before the mark): they end at the restart.
    assert_eq!(crm.recover_open_cdrs(at(600_000)).await?, 2);
    for id in ["open-ringing", "open-talking"] {
        let cdr = must_get(crm, id).await?;
        assert!(cdr.recovered, "{id}");
        assert_eq!(cdr.ended_at, Some(at(600_000)));
        assert_eq!(cdr.hangup_cause.as_deref(), Some("switch restarted"));
        assert_eq!(cdr.hangup_side, Some(Side::Switch));
        assert_eq!(cdr.sip_status, None);
        assert_eq!(cdr.duration_s, Some(600));
    }
    let talking = must_get(crm, "open-talking").await?;
    assert_eq!(talking.disposition, Some(Disposition::Answered));
    assert_eq!(talking.billable_s, Some(598));
    let ringing = must_get(crm, "open-ringing").await?;
    assert_eq!(ringing.disposition, Some(Disposition::Failed));
    assert_eq!(ringing.billable_s, Some(0));

    let closed = must_get(crm, "closed").await?;
    assert!(!closed.recovered);
    assert_eq!(closed.ended_at, Some(at(4_000)));
    assert_eq!(crm.recover_open_cdrs(at(700_000)).await?, 0);
    Ok(())
}

/// Regression: a call answered and talking when the switch was killed came back `failed`,
/// ended at the restart (billing counted the downtime, reports lost the answered call).
async fn recovery_keeps_answered_calls_ending_when_last_alive(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("talking", 0)).await?;
    crm.cdr_answer("talking", at(2_000)).await?;
    crm.cdr_start(&start("ringing", 10_000)).await?;
    crm.cdr_start(&start("after-last-mark", 64_000)).await?;
    crm.mark_alive(at(30_000)).await?;
    crm.mark_alive(at(60_000)).await?;
    // Killed at ~62 s, back at 600 s.
    assert_eq!(crm.recover_open_cdrs(at(600_000)).await?, 3);
    let talking = must_get(crm, "talking").await?;
    assert_eq!(talking.disposition, Some(Disposition::Answered));
    assert_eq!(talking.ended_at, Some(at(60_000)));
    assert_eq!(
        (talking.duration_s, talking.billable_s),
        (Some(60), Some(58))
    );
    assert!(talking.recovered);
    let ringing = must_get(crm, "ringing").await?;
    assert_eq!(ringing.disposition, Some(Disposition::Failed));
    assert_eq!(ringing.ended_at, Some(at(60_000)));
    // Started after the last mark: ends at its start, never before.
    let late = must_get(crm, "after-last-mark").await?;
    assert_eq!(late.ended_at, Some(at(64_000)));
    Ok(())
}

async fn recovery_never_ends_before_start(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("future", 50_000)).await?;
    crm.cdr_answer("future", at(80_000)).await?;
    // The clock stepped back across the restart.
    assert_eq!(crm.recover_open_cdrs(at(10_000)).await?, 1);
    let cdr = must_get(crm, "future").await?;
    assert_eq!(cdr.ended_at, Some(at(80_000)));
    assert_eq!((cdr.duration_s, cdr.billable_s), (Some(30), Some(0)));
    Ok(())
}

async fn end_without_start_inserts_full_row(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_end(&answered_end("orphan", 3_000, 20_000)).await?;
    let cdr = must_get(crm, "orphan").await?;
    assert_eq!(cdr.caller, "+4930123456");
    assert_eq!(cdr.callee, "2001");
    assert_eq!(cdr.started_at, at(0));
    assert_eq!(cdr.answered_at, Some(at(3_000)));
    assert_eq!((cdr.duration_s, cdr.billable_s), (Some(20), Some(17)));
    assert_eq!(cdr.legs.len(), 2);

    // The start arriving late is the authority on numbers, names and start time.
    let late = CdrStart {
        callee_name: Some("Sales".into()),
        ..start("orphan", 500)
    };
    crm.cdr_start(&late).await?;
    let cdr = must_get(crm, "orphan").await?;
    assert_eq!(cdr.callee_name.as_deref(), Some("Sales"));
    assert_eq!(cdr.started_at, at(500));
    assert_eq!(cdr.ended_at, Some(at(20_000)));
    assert_eq!(cdr.duration_s, Some(20));

    // An end with no legs at all still makes a row, started when it ended.
    crm.cdr_end(&CdrEnd {
        legs: vec![],
        ..answered_end("bare", 0, 7_000)
    })
    .await?;
    let bare = must_get(crm, "bare").await?;
    assert_eq!((bare.caller.as_str(), bare.started_at), ("", at(7_000)));
    assert_eq!((bare.duration_s, bare.billable_s), (Some(0), Some(0)));
    Ok(())
}

async fn answer_for_unknown_call_is_an_error(crm: &Crm) -> anyhow::Result<()> {
    let err = crm.cdr_answer("ghost", at(0)).await;
    assert!(
        matches!(err, Err(CrmError::UnknownCall(ref id)) if id == "ghost"),
        "{err:?}"
    );
    assert_eq!(crm.cdr("ghost").await?, None);
    Ok(())
}

async fn replayed_end_does_not_duplicate_legs(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("twice", 0)).await?;
    let end = answered_end("twice", 1_000, 9_000);
    crm.cdr_end(&end).await?;
    crm.cdr_end(&end).await?;
    let cdr = must_get(crm, "twice").await?;
    assert_eq!(cdr.legs, end.legs);
    Ok(())
}

async fn strings_are_stored_verbatim(crm: &Crm) -> anyhow::Result<()> {
    let nasty = [
        "Zoë Ångström 張偉 📞",
        "'; DROP TABLE cdrs; --",
        "Robert'); DELETE FROM cdr_legs WHERE ('1'='1",
        "back\\slash \"quoted\" 100% _under_ $1 ?1",
        "line\nbreak\ttab",
    ];
    for (i, s) in nasty.iter().enumerate() {
        let call_id = format!("{s}#{i}");
        crm.cdr_start(&CdrStart {
            call_id: call_id.clone(),
            caller: (*s).to_owned(),
            caller_name: Some((*s).to_owned()),
            callee: (*s).to_owned(),
            callee_name: Some((*s).to_owned()),
            started_at: at(0),
        })
        .await?;
        let mut end = answered_end(&call_id, 1_000, 2_000);
        end.hangup_cause = (*s).to_owned();
        end.legs[0].peer = (*s).to_owned();
        end.legs[0].sip_call_id = (*s).to_owned();
        crm.cdr_end(&end).await?;

        let cdr = must_get(crm, &call_id).await?;
        assert_eq!(cdr.call_id, call_id);
        assert_eq!((cdr.caller.as_str(), cdr.callee.as_str()), (*s, *s));
        assert_eq!(cdr.caller_name.as_deref(), Some(*s));
        assert_eq!(cdr.callee_name.as_deref(), Some(*s));
        assert_eq!(cdr.hangup_cause.as_deref(), Some(*s));
        assert_eq!(cdr.legs, end.legs);
    }
    assert_eq!(crm.recent_cdrs(100).await?.len(), nasty.len());
    Ok(())
}

async fn recent_is_newest_first_and_limited(crm: &Crm) -> anyhow::Result<()> {
    for i in 0..5 {
        let id = format!("r{i}");
        crm.cdr_start(&start(&id, i * 1_000)).await?;
        if i % 2 == 0 {
            crm.cdr_end(&answered_end(&id, i * 1_000 + 200, i * 1_000 + 900))
                .await?;
        }
    }
    let recent = crm.recent_cdrs(3).await?;
    let ids: Vec<&str> = recent.iter().map(|c| c.call_id.as_str()).collect();
    assert_eq!(ids, ["r4", "r3", "r2"]);
    // Legs travel with their own CDR, and open calls have none yet.
    assert_eq!(recent[0].legs.len(), 2);
    assert!(recent[1].legs.is_empty());
    assert!(recent[0].legs.iter().all(|l| l.ended_at == Some(at(4_900))));
    assert!(crm.recent_cdrs(0).await?.is_empty());
    Ok(())
}

/// Issue #15: 'declined' is a disposition of its own (migration 0012 widened the CHECK; on
/// SQLite by rebuilding the table), and other calls keep their legs.
async fn a_declined_call_keeps_its_rows_legs_and_disposition(crm: &Crm) -> anyhow::Result<()> {
    crm.cdr_start(&start("before", 0)).await?;
    crm.cdr_end(&answered_end("before", 1_000, 2_000)).await?;
    crm.cdr_start(&start("declined", 3_000)).await?;
    crm.cdr_end(&CdrEnd {
        call_id: "declined".into(),
        ended_at: at(5_000),
        disposition: Disposition::Declined,
        sip_status: 603,
        hangup_cause: "callee declined".into(),
        hangup_side: Some(Side::Callee),
        legs: vec![leg(LegRole::Callee, "2002", 3_100, None, 5_000)],
        vars: Default::default(),
    })
    .await?;
    let cdr = must_get(crm, "declined").await?;
    assert_eq!(cdr.disposition, Some(Disposition::Declined));
    assert_eq!(cdr.hangup_side, Some(Side::Callee));
    assert_eq!(cdr.sip_status, Some(603));
    assert_eq!(must_get(crm, "before").await?.legs.len(), 2);
    Ok(())
}
