//! The same call and CDR assertions with the CRM database on PostgreSQL (schema per test).

use std::time::Duration;
use switchboard_e2e::postgres::PgSchema;
use switchboard_e2e::{
    answered_call, call, callee_rejecting, wait_for_cdrs, CallerPlan, Options, Switch,
};

#[test]
fn cdrs_land_in_postgresql() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let Some(db) = PgSchema::create("cdr_postgres") else {
        return;
    };
    let url = db.url.clone();
    let switch = Switch::start(Options {
        database_url: Some(url.clone()),
        ..Options::default()
    })
    .expect("switch on PostgreSQL");
    answered_call(&switch, "2001", "2002", &[]).unwrap_or_else(|e| panic!("{e}"));
    let busy = callee_rejecting(&switch, "2003", "486 Busy Here").expect("busy callee");
    call(&switch, "2001", "2003", CallerPlan::ExpectFinal(486)).expect("busy call");
    busy.wait(Duration::from_secs(10))
        .expect("busy callee done");

    let cdrs = wait_for_cdrs(&url, |c| {
        c.len() == 2 && c.iter().all(|c| c.ended_at.is_some())
    })
    .expect("read CDRs");
    drop(switch);
    drop(db);
    assert_eq!(cdrs.len(), 2, "{cdrs:#?}");
    let answered = cdrs
        .iter()
        .find(|c| c.callee == "2002")
        .expect("answered CDR");
    assert_eq!(answered.disposition, Some(crm::Disposition::Answered));
    assert_eq!(answered.hangup_side, Some(crm::Side::Caller));
    assert!(answered.billable_s.unwrap_or(0) >= 1);
    assert_eq!(answered.legs.len(), 2);
    let busy = cdrs.iter().find(|c| c.callee == "2003").expect("busy CDR");
    assert_eq!(busy.disposition, Some(crm::Disposition::Busy));
    assert_eq!(busy.sip_status, Some(486));
}
