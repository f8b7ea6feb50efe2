//! Switchboard behind Kamailio 5.6 as a record-routing proxy (issue 16, "Dialogs through
//! proxies"): SIPp phones register through it (Kamailio adds Path) and call each other through
//! it; the proxy stays in both legs' dialogs, so the ACKs, a hold re-INVITE and the BYE from
//! either side must follow the route sets. The proxy answers 404 to an in-dialog request that
//! does not carry its Route, and marks what it relays by route with `X-Proxied`, which the
//! phones' scenarios check (tests/kamailio/proxy.cfg, tests/sipp/proxy_*.xml).

use std::time::Duration;
use switchboard_e2e::kamailio::{needs_kamailio, Kamailio};
use switchboard_e2e::{
    free_media_port, free_port, needs_sipp, password, register_to, scenario, sipp_to, wait_until,
    Options, Sipp, Switch,
};

/// Register `ext` from local port `port` through the proxy.
fn register_via(switch: &Switch, proxy: &Kamailio, ext: &str, port: u16) {
    register_to(switch, &proxy.target(), ext, port)
        .unwrap_or_else(|e| panic!("{e}\n{}", proxy.log_text()));
}

/// A phone on `port` running `file` once against the proxy; `caller` places the call to
/// `callee` (digest as `caller`), else it waits for a call.
fn phone(
    switch: &Switch,
    proxy: &Kamailio,
    file: &str,
    port: u16,
    call: Option<(&str, &str)>,
) -> Sipp {
    let port_s = port.to_string();
    let media = free_media_port().to_string();
    let mut args = vec!["-p", port_s.as_str(), "-m", "1", "-mp", media.as_str()];
    if let Some((caller, callee)) = call {
        args.extend(["-s", callee, "-au", caller, "-ap", password(caller)]);
        args.extend(["-key", "caller", caller]);
    }
    sipp_to(
        switch,
        &proxy.target(),
        &format!("{file}-{port}"),
        &scenario(file),
        &args,
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Wait for `first` (30 s), then `second` (10 s); a failure shows both phones' logs, the
/// switch's and the proxy's.
fn both_succeed(switch: &Switch, proxy: &Kamailio, first: Sipp, second: Sipp) {
    let second_logs = second.dir.clone();
    let result = first
        .wait(Duration::from_secs(30))
        .and_then(|()| second.wait(Duration::from_secs(10)));
    if let Err(e) = result {
        let other = std::fs::read_dir(&second_logs)
            .into_iter()
            .flatten()
            .flatten()
            .map(|f| {
                let text = std::fs::read_to_string(f.path()).unwrap_or_default();
                format!("--- {}\n{text}", f.path().display())
            })
            .collect::<String>();
        panic!(
            "{e}\n{other}\n--- switch:\n{}\n--- kamailio:\n{}",
            switch.log_text(),
            proxy.log_text()
        );
    }
}

/// The CDRs through the HTTP API once `count` of them have ended.
fn ended_cdrs(switch: &Switch, count: usize) -> Vec<serde_json::Value> {
    wait_until(Duration::from_secs(10), "CDRs closed", || {
        let body = switch.http_get("/api/cdrs").ok()?;
        let list: Vec<serde_json::Value> = serde_json::from_str(&body).ok()?;
        let ended = list.iter().filter(|c| !c["ended_at"].is_null()).count();
        (ended >= count).then_some(list)
    })
    .unwrap_or_else(|e| panic!("{e}\n{}", switch.log_text()))
}

#[test]
fn calls_through_kamailio_follow_its_route_from_either_side() {
    if !needs_sipp() || !needs_kamailio() {
        return;
    }
    let switch = Switch::start(Options::default()).expect("switch starts");
    let proxy = Kamailio::start(&switch).unwrap_or_else(|e| panic!("{e}"));
    let (a_port, b_port) = (free_port(), free_port());
    register_via(&switch, &proxy, "2001", a_port);
    register_via(&switch, &proxy, "2002", b_port);
    // The caller holds the callee, then hangs up.
    let callee = phone(&switch, &proxy, "proxy_uas_hold.xml", b_port, None);
    let caller = phone(
        &switch,
        &proxy,
        "proxy_uac_hold.xml",
        a_port,
        Some(("2001", "2002")),
    );
    both_succeed(&switch, &proxy, caller, callee);

    // The callee hangs up this time.
    let callee = phone(&switch, &proxy, "proxy_uas_bye.xml", b_port, None);
    let caller = phone(
        &switch,
        &proxy,
        "proxy_uac_await_bye.xml",
        a_port,
        Some(("2001", "2002")),
    );
    both_succeed(&switch, &proxy, callee, caller);

    let cdrs = ended_cdrs(&switch, 2);
    assert_eq!(cdrs.len(), 2, "{cdrs:#?}");
    // Newest first: the callee's hang-up, then the caller's.
    for (cdr, side) in cdrs.iter().zip(["callee", "caller"]) {
        assert_eq!(cdr["caller"], "2001", "{cdr:#}");
        assert_eq!(cdr["callee"], "2002", "{cdr:#}");
        assert_eq!(cdr["disposition"], "answered", "{cdr:#}");
        assert_eq!(cdr["sip_status"], 200, "{cdr:#}");
        assert_eq!(cdr["hangup_side"], side, "{cdr:#}");
        assert!(!cdr["answered_at"].is_null(), "{cdr:#}");
        let legs = cdr["legs"].as_array().expect("legs");
        assert_eq!(legs.len(), 2, "{cdr:#}");
        // Both legs ran through the proxy.
        let proxy_peer = format!("UDP:{}", proxy.target());
        assert!(
            legs.iter().all(|l| l["peer"] == proxy_peer.as_str()),
            "{cdr:#}"
        );
    }
}
