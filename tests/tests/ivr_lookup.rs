//! A dialplan looks the caller up in the CRM database of the real switch: a known premium
//! customer takes the priority path, an unknown caller the ordinary one.

use switchboard_e2e::{call, CallerPlan, Options, Switch};

/// Known premium callers are refused as "busy" (486), everyone else as unavailable (480), so the
/// caller's final response shows which branch the lookup chose.
const PLAN: &str = r#"
[[route]]
number = "7000"

[[step]]
id = "who"
type = "lookup"
timeout = "2s"

[[step]]
id = "grade"
type = "condition"
when = { var = "customer.grade", equals = "premium" }
then = "vip"
else = "others"

[[step]]
id = "vip"
type = "hangup"
cause = "busy"

[[step]]
id = "others"
type = "hangup"
cause = "unavailable"
"#;

#[test]
fn premium_customer_found_by_number_takes_the_priority_path() {
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    let plans = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(plans.path().join("prompts")).expect("prompts");
    std::fs::write(plans.path().join("lookup.toml"), PLAN).expect("plan");
    let switch = Switch::start(Options {
        extra_toml: format!("[ivr]\ndialplans = \"{}\"\n", plans.path().display()),
        ..Options::default()
    })
    .expect("switch");

    // The customer calling from 2001 is premium; 2003 is nobody the CRM knows.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let crm = crm::Crm::connect(&switch.database_url).await.expect("crm");
        crm.create_customer(
            &crm::NewCustomer {
                name: "Kim Premium".into(),
                grade: Some("premium".into()),
                segment: Some("private banking".into()),
                preferred_language: Some("ko".into()),
                notes: String::new(),
                phones: vec![crm::NewPhone::new("2001", crm::PhoneLabel::Mobile)],
            },
            chrono::Utc::now(),
        )
        .await
        .expect("create customer");
        crm.close().await;
    });

    let r = call(&switch, "2001", "7000", CallerPlan::ExpectFinal(486));
    r.unwrap_or_else(|e| panic!("premium path: {e}\n{}", switch.log_text()));
    let r = call(&switch, "2003", "7000", CallerPlan::ExpectFinal(480));
    r.unwrap_or_else(|e| panic!("unknown caller path: {e}\n{}", switch.log_text()));
}
