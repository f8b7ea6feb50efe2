//! Calls over IPv6 (RFC 5118): the switch listens on `[::1]` (UDP and TCP), its relay binds
//! `::1`, and SIPp phones on `::1` register and call each other with RTP relayed and a CDR
//! written. A machine without `::1` on its loopback fails these tests unless
//! `SWITCHBOARD_SKIP=ipv6`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use switchboard_e2e::{free_media_port, password, scenario, wait_for_cdrs, Options, Sipp, Switch};

/// Whether `::1` is usable here (a UDP socket binds to it); else the test fails or, with
/// `SWITCHBOARD_SKIP=ipv6`, is skipped.
fn needs_ipv6_loopback() -> bool {
    match std::net::UdpSocket::bind("[::1]:0") {
        Ok(_) => true,
        Err(e) => {
            testkit::cannot_run(
                "ipv6",
                &format!("cannot bind [::1] (no IPv6 loopback?): {e}"),
            );
            false
        }
    }
}

/// A port free on `::1` for both UDP and TCP.
fn free_port6() -> u16 {
    for _ in 0..100 {
        let Ok(udp) = std::net::UdpSocket::bind("[::1]:0") else {
            continue;
        };
        let Ok(addr) = udp.local_addr() else { continue };
        if std::net::TcpListener::bind(("::1", addr.port())).is_ok() {
            return addr.port();
        }
    }
    panic!("no free port on [::1]");
}

/// A base for SIPp's `-mp` with four free UDP ports on `::1`.
fn free_media_port6() -> u16 {
    for _ in 0..200 {
        let base = free_media_port();
        let held: Vec<_> = (base..base + 4)
            .map_while(|p| std::net::UdpSocket::bind(("::1", p)).ok())
            .collect();
        if held.len() == 4 {
            return base;
        }
    }
    panic!("no four free consecutive ports on [::1]");
}

/// A test switch whose SIP listeners and relay are on `::1` only.
fn ipv6_switch() -> Switch {
    let mut switch = Switch::start(Options::default()).expect("switch starts");
    let port = free_port6();
    switch.sip_port = port;
    switch
        .restart_with_config(|text| {
            let listen = text
                .lines()
                .find(|l| l.starts_with("listen = [\"udp://"))
                .expect("listen line")
                .to_string();
            text.replace(
                &listen,
                &format!("listen = [\"udp://[::1]:{port}\", \"tcp://[::1]:{port}\"]"),
            )
            .replace("bind = \"127.0.0.1\"", "bind = \"::1\"")
        })
        .expect("switch restarts on [::1]");
    switch
}

/// SIPp on `::1` against the switch's `[::1]` listener.
fn sipp6(switch: &Switch, name: &str, scenario_file: &Path, args: &[&str]) -> Sipp {
    let dir = switch.dir.path().join(format!("sipp-{name}"));
    std::fs::create_dir_all(&dir).expect("sipp dir");
    let child = Command::new("sipp")
        .arg(format!("[::1]:{}", switch.sip_port))
        .arg("-sf")
        .arg(scenario_file)
        .args([
            "-i",
            "::1",
            "-mi",
            "::1",
            "-nostdin",
            "-trace_err",
            "-trace_msg",
            "-timeout",
            "30s",
            "-max_recv_loops",
            "1000",
        ])
        .args(args)
        .current_dir(&dir)
        .stdout(std::fs::File::create(dir.join("stdout.log")).expect("log"))
        .stderr(std::fs::File::create(dir.join("stderr.log")).expect("log"))
        .spawn()
        .expect("starting sipp");
    Sipp::from_child(child, name, dir)
}

fn fail(switch: &Switch) -> impl Fn(anyhow::Error) -> String + '_ {
    move |e| format!("{e}\n--- switch log ---\n{}", switch.log_text())
}

fn status_field(switch: &Switch, field: &str) -> u64 {
    let body = switch.http_get("/api/status").unwrap_or_default();
    let key = format!("\"{field}\":");
    body.split(&key)
        .nth(1)
        .and_then(|rest| rest.split([',', '}']).next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Register `ext` over IPv6 from `port` (transport per `extra`, e.g. `-t t1`).
fn register6(switch: &Switch, ext: &str, port: u16, extra: &[&str]) {
    let port_s = port.to_string();
    let mut args = vec![
        "-s",
        ext,
        "-au",
        ext,
        "-ap",
        password(ext),
        "-m",
        "1",
        "-p",
        &port_s,
    ];
    args.extend_from_slice(extra);
    sipp6(
        switch,
        &format!("register-{ext}"),
        &scenario("register.xml"),
        &args,
    )
    .wait(Duration::from_secs(20))
    .map_err(fail(switch))
    .unwrap_or_else(|e| panic!("{e}"));
}

/// An answered call between two SIPp phones on `::1`, caller transport per `caller_args`.
fn answered_call6(switch: &Switch, caller: &str, callee: &str, caller_args: &[&str]) {
    let callee_port = free_port6();
    register6(switch, callee, callee_port, &[]);
    let callee_port_s = callee_port.to_string();
    let callee_media = free_media_port6().to_string();
    let uas = sipp6(
        switch,
        &format!("callee-{callee}"),
        &scenario("uas_answer.xml"),
        &[
            "-p",
            &callee_port_s,
            "-m",
            "1",
            "-mp",
            &callee_media,
            "-rtp_echo",
        ],
    );
    std::thread::sleep(Duration::from_millis(500));
    let caller_port = free_port6().to_string();
    let caller_media = free_media_port6().to_string();
    let mut args = vec![
        "-s",
        callee,
        "-au",
        caller,
        "-ap",
        password(caller),
        "-key",
        "caller",
        caller,
        "-p",
        &caller_port,
        "-m",
        "1",
        "-mp",
        &caller_media,
    ];
    args.extend_from_slice(caller_args);
    let uac = sipp6(
        switch,
        &format!("caller-{caller}"),
        &scenario("uac_call.xml"),
        &args,
    );
    uac.wait(Duration::from_secs(30))
        .map_err(fail(switch))
        .unwrap_or_else(|e| panic!("{e}"));
    uas.wait(Duration::from_secs(10))
        .map_err(fail(switch))
        .unwrap_or_else(|e| panic!("{e}"));
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
    while status_field(switch, "rtp_packets_b_to_a") == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let a_to_b = status_field(switch, "rtp_packets_a_to_b");
    let b_to_a = status_field(switch, "rtp_packets_b_to_a");
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
    answered_call6(&switch, "2001", "2002", &[]);
    assert_relayed_and_recorded(&switch, "2001", "2002");
}

#[test]
fn caller_on_ipv6_tcp_reaches_a_callee_on_ipv6_udp() {
    if !switchboard_e2e::needs_sipp() || !needs_ipv6_loopback() {
        return;
    }
    let switch = ipv6_switch();
    answered_call6(&switch, "2004", "2003", &["-t", "t1"]);
    assert_relayed_and_recorded(&switch, "2004", "2003");
}

/// Regression: a `[::]` listener took the IPv4 port too (dual-stack socket), so a switch could
/// not listen on `[::]:P` and `127.0.0.1:P` together.
#[test]
fn ipv6_wildcard_listener_leaves_the_ipv4_port_free() {
    if !needs_ipv6_loopback() {
        return;
    }
    let mut switch = Switch::start(Options::default()).expect("switch starts");
    let port = switch.sip_port;
    switch
        .restart_with_config(|text| {
            text.replacen(
                "listen = [",
                &format!("listen = [\"udp://[::]:{port}\", \"tcp://[::]:{port}\", "),
                1,
            )
        })
        .unwrap_or_else(|e| panic!("switch starts with [::] and 127.0.0.1 on one port: {e}"));
    if !switchboard_e2e::needs_sipp() {
        return;
    }
    // Both families answer on the same port.
    switchboard_e2e::register(&switch, "2001", switchboard_e2e::free_port())
        .unwrap_or_else(|e| panic!("IPv4 REGISTER: {e}"));
    register6(&switch, "2002", free_port6(), &[]);
}
