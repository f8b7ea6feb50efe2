//! What the monitoring tests share (`monitor.rs`, `monitor_api_phone.rs`): the tones, the
//! SIPp calls between customer and agent (the tone phones are `switchboard_e2e::tone_phone`'s,
//! shared with the consult tests), and the audit log. Each test binary uses a part of it.
#![allow(dead_code)]

use serde_json::Value;
use std::path::Path;
pub use switchboard_e2e::tone_phone::*;
use switchboard_e2e::{
    callee_with, caller_running, caller_scenario, scenario, CallerPlan, Sipp, Switch,
};

pub const CUSTOMER_HZ: f64 = 1000.0;
pub const AGENT_HZ: f64 = 440.0;
pub const SUPERVISOR_HZ: f64 = 770.0;

pub fn caller(switch: &Switch, ext: &str, number: &str, file: &Path, extra: &[&str]) -> Sipp {
    caller_running(switch, ext, number, file, extra).expect("sipp starts")
}

pub fn audit(switch: &Switch) -> Vec<Value> {
    let body = switch.http_get("/api/audit").expect("audit");
    serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

/// Bob's phone answering at `agent`'s socket, and the customer 2001 calling him at
/// `customer`'s; both phones' relay addresses learnt. Bob hangs up after `talk_ms`.
pub fn connected_call(
    switch: &Switch,
    customer: &mut Phone,
    agent: &mut Phone,
    talk_ms: u64,
) -> (Sipp, Sipp) {
    let uas = scenario_at(
        switch,
        &scenario("uas_answer_bye.xml"),
        "agent.xml",
        "m=audio [media_port] RTP/AVP 8 101\na=rtpmap:8 PCMA/8000",
        &format!(
            "m=audio {} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000",
            agent.port()
        ),
    );
    let talk = talk_ms.to_string();
    let bob = callee_with(switch, "2002", &uas, &["-d", &talk]).expect("bob's phone");
    let uac = caller_scenario(switch.dir.path(), CallerPlan::AnswerThenExpectBye).expect("uac");
    let uac = scenario_at(
        switch,
        &uac,
        "customer.xml",
        "m=audio [media_port] RTP/AVP 0",
        &format!("m=audio {} RTP/AVP 0", customer.port()),
    );
    let customer_sipp = caller(switch, "2001", "2002", &uac, &[]);
    customer.relay = Some(relay_port(&customer_sipp, customer.port(), switch));
    agent.relay = Some(relay_port(&bob, agent.port(), switch));
    (customer_sipp, bob)
}
