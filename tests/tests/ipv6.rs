//! Calls over IPv6 (RFC 5118): the switch listens on `[::1]` (UDP and TCP), its relay binds
//! `::1`, and SIPp phones on `::1` (`-i ::1 -mi ::1`, IP6 in their SDP through SIPp's
//! `[local_ip_type]`/`[media_ip_type]`) register and call each other with RTP relayed and a CDR
//! written. A machine without `::1` on its loopback fails these tests unless
//! `SWITCHBOARD_SKIP=ipv6`.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;
use switchboard_e2e::{answered_call, register, wait_for_cdrs, Options, Switch};

const LOOPBACK6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// Whether `::1` is usable here (a UDP socket binds to it); else the test fails or, with
/// `SWITCHBOARD_SKIP=ipv6`, is skipped.
fn needs_ipv6_loopback() -> bool {
    match std::net::UdpSocket::bind("[::1]:0") {
        Ok(_) => true,
        Err(e) => {
            testkit::cannot_run(
                "ipv6",
                &format!("cannot bind [::1] (no IPv6 loopback? see `ip -6 addr show lo`): {e}"),
            );
            false
        }
    }
}

/// A test switch whose SIP listeners (UDP and TCP) and relay are on `::1` only; the harness's
/// SIPp peers then run on `::1` too.
fn ipv6_switch() -> Switch {
    let mut switch = Switch::start(Options::default()).expect("switch starts");
    switch
        .move_to_ipv6_loopback()
        .expect("switch restarts on [::1]");
    switch
}

fn assert_relayed_and_recorded(switch: &Switch, caller: &str, callee: &str) {
    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })
    .expect("read CDRs");
    assert_eq!(cdrs.len(), 1, "{cdrs:#?}");
    let cdr = &cdrs[0];
    assert_eq!(cdr.caller, caller);
    assert_eq!(cdr.callee, callee);
    assert_eq!(cdr.disposition, Some(crm::Disposition::Answered), "{cdr:?}");
    assert_eq!(cdr.sip_status, Some(200));
    assert!(
        cdr.legs.iter().all(|l| l.peer.contains("[::1]")),
        "both legs over IPv6: {:?}",
        cdr.legs
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while switch.status_field("rtp_packets_b_to_a") == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let a_to_b = switch.status_field("rtp_packets_a_to_b");
    let b_to_a = switch.status_field("rtp_packets_b_to_a");
    assert!(
        a_to_b > 20,
        "caller's RTP relayed to callee over IPv6: {a_to_b}"
    );
    assert!(
        b_to_a > 20,
        "callee's echo relayed back over IPv6: {b_to_a}"
    );
}

#[test]
fn call_over_ipv6_udp_relays_rtp_and_writes_a_cdr() {
    if !switchboard_e2e::needs_sipp() || !needs_ipv6_loopback() {
        return;
    }
    let switch = ipv6_switch();
    answered_call(&switch, "2001", "2002", &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_relayed_and_recorded(&switch, "2001", "2002");
}

#[test]
fn caller_on_ipv6_tcp_reaches_a_callee_on_ipv6_udp() {
    if !switchboard_e2e::needs_sipp() || !needs_ipv6_loopback() {
        return;
    }
    let switch = ipv6_switch();
    answered_call(&switch, "2004", "2003", &["-t", "t1"]).unwrap_or_else(|e| panic!("{e}"));
    assert_relayed_and_recorded(&switch, "2004", "2003");
}

/// Regression: a `[::]` listener took the IPv4 port too (a dual-stack socket), so a switch
/// could not listen on `[::]:P` and `127.0.0.1:P` together.
#[test]
fn ipv6_wildcard_listener_leaves_the_ipv4_port_free() {
    if !needs_ipv6_loopback() {
        return;
    }
    let mut switch = Switch::start(Options::default()).expect("switch starts");
    let port = switch.sip_port;
    switch
        .restart_with_config(|text| {
            // A wildcard listener needs the address phones reach (config refuses it otherwise).
            text.replacen(
                "listen = [",
                &format!(
                    "public_address = \"::1\"\nlisten = [\"udp://[::]:{port}\", \"tcp://[::]:{port}\", "
                ),
                1,
            )
        })
        .unwrap_or_else(|e| panic!("switch starts with [::] and 127.0.0.1 on one port: {e}"));
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    // Both families register on the same port.
    register(&switch, "2001", switchboard_e2e::free_port())
        .unwrap_or_else(|e| panic!("IPv4 REGISTER: {e}"));
    switch.sip_ip = LOOPBACK6;
    register(&switch, "2002", switchboard_e2e::free_port())
        .unwrap_or_else(|e| panic!("IPv6 REGISTER: {e}"));
}
