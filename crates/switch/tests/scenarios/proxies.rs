//! Dialogs through record-routing proxies (issue 16): the caller's Record-Route comes back in
//! our 18x/2xx, our in-dialog requests follow each leg's route set (loose and strict routers),
//! a binding registered with Path is called through it, and one leg's route never reaches the
//! other leg.

use super::harness::{phone, TestSwitch};
use super::phone::{Dlg, Msg, Phone};
use sip::Peer;

/// Where the proxy in front of the phones sends from.
const PROXY: &str = "127.0.0.1:5070";
/// The caller's route as the switch sees it: the hop nearest the switch first, at another
/// address than the proxy's source, so "sent to the first route" is told from "sent back".
const A_ROUTE: [&str; 2] = ["<sip:192.0.2.50:5080;lr;ftag=x1>", "<sip:192.0.2.60;lr>"];

fn udp(addr: &str) -> Peer {
    Peer::udp(addr.parse().expect("addr"))
}

/// Something at `addr` that receives what the switch sends there (a proxy's hop).
fn hop(addr: &str) -> Phone {
    let mut p = phone(1004);
    p.peer = udp(addr);
    p
}

/// A proxy on the way: it adds its Via (with `branch`) on top of a phone's request, and any
/// `Record-Route` lines, before passing it on.
fn via_proxy(request: &str, branch: &str, record_route: &[&str]) -> String {
    let (start, rest) = request.split_once("\r\n").expect("start line");
    let mut out = format!("{start}\r\nVia: SIP/2.0/UDP {PROXY};branch={branch}\r\n");
    for rr in record_route {
        out.push_str(&format!("Record-Route: {rr}\r\n"));
    }
    out.push_str(rest);
    out
}

/// `extra` header lines added to a message (a callee's answer through its own proxy).
fn with_headers(message: &str, extra: &[String]) -> String {
    let (start, rest) = message.split_once("\r\n").expect("start line");
    let mut out = format!("{start}\r\n");
    for line in extra {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(rest);
    out
}

/// The `Route` values of a message, in order.
fn routes(m: &Msg) -> Vec<String> {
    m.headers("Route")
}

/// 1001 calls 1002 through the proxy (which record-routes `A_ROUTE`); both registered
/// directly. Returns A's dialog and the INVITE 1002 got; the 100 is consumed.
fn call_through_proxy(ts: &mut TestSwitch, a: &mut Phone, b: &mut Phone) -> (Dlg, Msg) {
    ts.register(a, 3600);
    ts.register(b, 3600);
    let proxy = hop(PROXY);
    let sdp = a.sdp("sendrecv");
    let mut ad = a.new_dialog("1002", "sip:1002@switch.test");
    let invite = a.invite(&mut ad, &[], Some(("application/sdp", &sdp)));
    ts.send(proxy.peer, &via_proxy(&invite, "z9hG4bKpx1", &A_ROUTE));
    let challenge = ts.expect_status(&proxy, 407);
    let ack = via_proxy(&a.ack_non2xx(&ad, &challenge), "z9hG4bKpx1", &[]);
    ts.send(proxy.peer, &ack);
    let auth = a.authorization(&challenge, "INVITE", &ad.target, 1);
    let invite = a.invite(&mut ad, &[auth], Some(("application/sdp", &sdp)));
    ts.send(proxy.peer, &via_proxy(&invite, "z9hG4bKpx2", &A_ROUTE));
    ts.expect_status(&proxy, 100);
    let b_invite = ts.expect_request(b, "INVITE");
    (ad, b_invite)
}

/// Regression (issue 16): the switch's 200 carried no Record-Route, so a caller behind a
/// record-routing proxy could not follow the route set, and our BYE ignored it.
#[test]
fn a_caller_behind_a_proxy_gets_its_route_back_and_our_requests_follow_it() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (mut ad, b_invite) = call_through_proxy(&mut ts, &mut a, &mut b);
    let proxy = hop(PROXY);
    // The callee's leg knows nothing of the caller's proxies.
    assert!(
        b_invite.headers("Record-Route").is_empty(),
        "{}",
        b_invite.text
    );
    assert!(routes(&b_invite).is_empty(), "{}", b_invite.text);

    // B rings and answers through a proxy of its own: none of its route reaches A.
    let b_rr = ["Record-Route: <sip:192.0.2.70;lr>".to_string()];
    let ringing = b.respond(&b_invite, 180, "Ringing", Some("bt"), None);
    ts.send(b.peer, &with_headers(&ringing, &b_rr));
    let r180 = ts.expect_status(&proxy, 180);
    assert_eq!(r180.headers("Record-Route"), A_ROUTE, "{}", r180.text);
    let b_sdp = b.sdp("sendrecv");
    let ok = b.respond(&b_invite, 200, "OK", Some("bt"), Some(&b_sdp));
    ts.send(b.peer, &with_headers(&ok, &b_rr));
    let ok = ts.expect_status(&proxy, 200);
    assert_eq!(ok.headers("Record-Route"), A_ROUTE, "{}", ok.text);
    ad.learn(&ok);
    ts.send(proxy.peer, &via_proxy(&a.ack_2xx(&ad), "z9hG4bKpx3", &[]));
    let first_hop = hop("192.0.2.50:5080");
    ts.drain(&b);

    // B re-INVITEs (a session refresh): it goes to A's first route, with the route set as Route.
    let mut bd = Dlg::uas(&b_invite, "bt");
    let hold = b.sdp("sendrecv");
    let reinvite = b.request(&mut bd, "INVITE", &[], Some(("application/sdp", &hold)));
    ts.send(b.peer, &reinvite);
    let fwd = ts.expect_request(&first_hop, "INVITE");
    assert_eq!(fwd.request_uri(), format!("sip:1001@{}", a.peer.addr));
    assert_eq!(routes(&fwd), A_ROUTE);
    ts.assert_quiet(&proxy);
    ts.assert_quiet(&a);
    let answer = a.sdp("sendrecv");
    ts.send(
        first_hop.peer,
        &a.respond(&fwd, 200, "OK", None, Some(&answer)),
    );
    let ack = ts.expect_request(&first_hop, "ACK");
    assert_eq!(routes(&ack), A_ROUTE);
    assert_eq!(ack.request_uri(), format!("sip:1001@{}", a.peer.addr));
    let ok = ts.expect_status(&b, 200);
    assert!(ok.headers("Record-Route").is_empty(), "{}", ok.text);
    ts.send(b.peer, &b.ack_2xx(&bd));

    // B hangs up: the BYE to A follows A's route too.
    let bye = b.request(&mut bd, "BYE", &[], None);
    ts.send(b.peer, &bye);
    ts.expect_status(&b, 200);
    let bye = ts.expect_request(&first_hop, "BYE");
    assert_eq!(routes(&bye), A_ROUTE);
    assert_eq!(bye.request_uri(), format!("sip:1001@{}", a.peer.addr));
    ts.send(first_hop.peer, &a.respond(&bye, 200, "OK", None, None));
    ts.assert_quiet(&a);
    ts.finish();
}

/// B's Record-Route as B's UAS sees it (top: the proxy nearest B); the switch's route set is
/// the reverse, so its requests go to 192.0.2.71:5090 first.
const B_RR: [&str; 2] = ["<sip:192.0.2.70;lr>", "<sip:192.0.2.71:5090;lr;did=7>"];

/// 1001 calls 1002 directly; 1002 answers through a record-routing proxy (`rr`), and the
/// caller ACKs. Returns A's dialog, B's INVITE and the first hop of B's route.
fn callee_behind_proxy(
    ts: &mut TestSwitch,
    a: &mut Phone,
    b: &mut Phone,
    rr: &[&str],
) -> (Dlg, Msg) {
    ts.register(a, 3600);
    ts.register(b, 3600);
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, "1002", Some(&sdp));
    ts.expect_status(a, 100);
    let b_invite = ts.expect_request(b, "INVITE");
    let rr: Vec<String> = rr.iter().map(|r| format!("Record-Route: {r}")).collect();
    let b_sdp = b.sdp("sendrecv");
    let ok = b.respond(&b_invite, 200, "OK", Some("bt"), Some(&b_sdp));
    ts.send(b.peer, &with_headers(&ok, &rr));
    let ok = ts.expect_status(a, 200);
    assert!(
        ok.headers("Record-Route").is_empty(),
        "B's route leaked to A:\n{}",
        ok.text
    );
    ad.learn(&ok);
    (ad, b_invite)
}

#[test]
fn a_callee_answering_with_record_route_gets_ack_reinvite_and_bye_through_it() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (mut ad, b_invite) = callee_behind_proxy(&mut ts, &mut a, &mut b, &B_RR);
    let first_hop = hop("192.0.2.71:5090");
    let reversed = [B_RR[1], B_RR[0]];
    let ack = ts.expect_request(&first_hop, "ACK");
    assert_eq!(routes(&ack), reversed);
    assert_eq!(ack.request_uri(), format!("sip:1002@{}", b.peer.addr));
    ts.assert_quiet(&b);
    ts.send(a.peer, &a.ack_2xx(&ad));

    // A re-INVITE from A goes to B through B's route; B's 200 is ACKed the same way.
    let hold = a.sdp("sendonly");
    let req = a.request(&mut ad, "INVITE", &[], Some(("application/sdp", &hold)));
    ts.send(a.peer, &req);
    let fwd = ts.expect_request(&first_hop, "INVITE");
    assert_eq!(routes(&fwd), reversed);
    assert_eq!(fwd.request_uri(), format!("sip:1002@{}", b.peer.addr));
    assert_eq!(fwd.call_id(), b_invite.call_id());
    let answer = b.sdp("recvonly");
    ts.send(
        first_hop.peer,
        &b.respond(&fwd, 200, "OK", None, Some(&answer)),
    );
    assert_eq!(routes(&ts.expect_request(&first_hop, "ACK")), reversed);
    ts.expect_status(&a, 200);
    ts.send(a.peer, &a.ack_2xx(&ad));

    // A hangs up: BYE to B through its route.
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let bye = ts.expect_request(&first_hop, "BYE");
    assert_eq!(routes(&bye), reversed);
    ts.send(first_hop.peer, &b.respond(&bye, 200, "OK", None, None));
    ts.assert_quiet(&b);
    ts.finish();
}

/// A first hop without `lr` is a strict router (RFC 2543): it gets the Request-URI, and the
/// remote target goes last in Route (RFC 3261 §12.2.1.1).
#[test]
fn a_strict_router_gets_the_request_uri_and_the_target_goes_last() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let strict = ["<sip:192.0.2.70;lr>", "<sip:192.0.2.80:5070;ftag=s>"];
    let (mut ad, _) = callee_behind_proxy(&mut ts, &mut a, &mut b, &strict);
    let first_hop = hop("192.0.2.80:5070");
    let ack = ts.expect_request(&first_hop, "ACK");
    assert_eq!(ack.request_uri(), "sip:192.0.2.80:5070;ftag=s");
    assert_eq!(
        routes(&ack),
        [
            "<sip:192.0.2.70;lr>".to_string(),
            format!("<sip:1002@{}>", b.peer.addr)
        ]
    );
    ts.send(a.peer, &a.ack_2xx(&ad));
    let bye = a.request(&mut ad, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let bye = ts.expect_request(&first_hop, "BYE");
    assert_eq!(bye.request_uri(), "sip:192.0.2.80:5070;ftag=s");
    ts.send(first_hop.peer, &b.respond(&bye, 200, "OK", None, None));
    ts.finish();
}

/// 1002 registers through the proxy, which adds `Path`; returns the 200.
fn register_with_path(ts: &mut TestSwitch, b: &mut Phone, path: &str) -> Msg {
    let proxy = hop(PROXY);
    let mut d = b.registration();
    let path_line = [format!("Path: {path}")];
    let req = b.register(&mut d, 3600, None);
    ts.send(
        proxy.peer,
        &with_headers(&via_proxy(&req, "z9hG4bKr1", &[]), &path_line),
    );
    let challenge = ts.expect_status(&proxy, 401);
    let auth = b.authorization(&challenge, "REGISTER", &d.target, 1);
    let req = b.register(&mut d, 3600, Some(auth));
    ts.send(
        proxy.peer,
        &with_headers(&via_proxy(&req, "z9hG4bKr2", &[]), &path_line),
    );
    ts.expect_status(&proxy, 200)
}

#[test]
fn a_binding_registered_with_path_is_called_through_the_path() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let path = "<sip:192.0.2.90:5070;lr;received=sip:127.0.0.1:5002>";
    let ok = register_with_path(&mut ts, &mut b, path);
    assert_eq!(ok.headers("Path"), [path]);
    assert_eq!(ok.header("Supported").as_deref(), Some("path"));
    ts.register(&mut a, 3600);

    let sdp = a.sdp("sendrecv");
    let ad = ts.invite(&mut a, "1002", Some(&sdp));
    ts.expect_status(&a, 100);
    let path_hop = hop("192.0.2.90:5070");
    let invite = ts.expect_request(&path_hop, "INVITE");
    assert_eq!(routes(&invite), [path]);
    assert_eq!(invite.request_uri(), format!("sip:1002@{}", b.peer.addr));
    ts.assert_quiet(&hop(PROXY));
    ts.assert_quiet(&b);

    // The caller gives up while B rings: the CANCEL takes the INVITE's route.
    ts.send(
        path_hop.peer,
        &b.respond(&invite, 180, "Ringing", Some("bt"), None),
    );
    ts.expect_status(&a, 180);
    ts.send(a.peer, &a.cancel(&ad));
    let cancel = ts.expect_request(&path_hop, "CANCEL");
    assert_eq!(routes(&cancel), [path]);
    ts.send(path_hop.peer, &b.respond(&cancel, 200, "OK", None, None));
    ts.send(
        path_hop.peer,
        &b.respond(&invite, 487, "Request Terminated", Some("bt"), None),
    );
    ts.expect_request(&path_hop, "ACK");
    ts.drain(&a);
    ts.finish();
}

#[test]
fn a_refresh_without_path_calls_the_phone_directly_again() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    register_with_path(&mut ts, &mut b, "<sip:192.0.2.90:5070;lr>");
    ts.register(&mut b, 3600);
    ts.register(&mut a, 3600);
    let sdp = a.sdp("sendrecv");
    ts.invite(&mut a, "1002", Some(&sdp));
    let invite = ts.expect_request(&b, "INVITE");
    assert!(routes(&invite).is_empty(), "{}", invite.text);
}

/// A proxy's Route naming the switch (its address or domain) is ours to remove; Route headers
/// never make the switch refuse a request, inside a dialog or not.
#[test]
fn requests_with_routes_naming_us_are_served() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.register(&mut a, 3600);
    ts.register(&mut b, 3600);
    let ours = [
        "Route: <sip:127.0.0.1:5060;lr>".to_string(),
        "Route: <sip:switch.test;lr>".to_string(),
    ];
    let sdp = a.sdp("sendrecv");
    let mut ad = a.new_dialog("1002", "sip:1002@switch.test");
    let req = a.invite(&mut ad, &ours, Some(("application/sdp", &sdp)));
    ts.send(a.peer, &req);
    let challenge = ts.expect_status(&a, 407);
    ts.send(a.peer, &a.ack_non2xx(&ad, &challenge));
    let auth = a.authorization(&challenge, "INVITE", &ad.target, 1);
    let mut extra = ours.to_vec();
    extra.push(auth);
    let req = a.invite(&mut ad, &extra, Some(("application/sdp", &sdp)));
    ts.send(a.peer, &req);
    ts.expect_status(&a, 100);
    let b_invite = ts.expect_request(&b, "INVITE");
    assert!(routes(&b_invite).is_empty(), "{}", b_invite.text);
    let b_sdp = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&b_invite, 200, "OK", Some("bt"), Some(&b_sdp)),
    );
    ts.expect_request(&b, "ACK");
    let ok = ts.expect_status(&a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    // An in-dialog BYE with our Route and one to a proxy beyond us is still ours to serve.
    let mut extra = ours.to_vec();
    extra.push("Route: <sip:192.0.2.99;lr>".into());
    let bye = a.request(&mut ad, "BYE", &extra, None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let bye = ts.expect_request(&b, "BYE");
    assert!(routes(&bye).is_empty(), "{}", bye.text);
    ts.send(b.peer, &b.respond(&bye, 200, "OK", None, None));
    ts.finish();
}

/// A first hop with `transport=tcp` is reached over TCP, with a TCP Via.
#[test]
fn a_route_over_tcp_is_followed_over_tcp() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    let (ad, _) = callee_behind_proxy(
        &mut ts,
        &mut a,
        &mut b,
        &["<sip:192.0.2.72:5090;transport=tcp;lr>"],
    );
    let mut first_hop = hop("192.0.2.72:5090");
    first_hop.peer = Peer::tcp("192.0.2.72:5090".parse().expect("addr"));
    let ack = ts.expect_request(&first_hop, "ACK");
    assert!(ack.hdr("Via").starts_with("SIP/2.0/TCP "), "{}", ack.text);
    assert_eq!(routes(&ack), ["<sip:192.0.2.72:5090;transport=tcp;lr>"]);
    ts.assert_quiet(&hop("192.0.2.72:5090"));
    ts.send(a.peer, &a.ack_2xx(&ad));
}

/// A callback's agent leg is the one call the switch places as UAC to a phone first: an agent
/// registered through a proxy is rung along its Path, and the leg then keeps the route its
/// answer record-routed.
#[test]
fn a_callback_rings_an_agent_through_its_path_and_hangs_up_through_its_route() {
    let mut ts = super::callback::callback_switch();
    let (mut a, mut agent) = (phone(1001), phone(1003));
    ts.register(&mut a, 3600);
    let path = "<sip:192.0.2.90:5070;lr>";
    register_with_path(&mut ts, &mut agent, path);
    let (call, _, _) = super::callback::waiting(&mut ts, &mut a);
    ts.take_acd_events();
    super::callback::request_callback(&mut ts, &a, call);
    super::callback::login(&mut ts, "a1003");
    let path_hop = hop("192.0.2.90:5070");
    let invite = ts.expect_request(&path_hop, "INVITE");
    assert_eq!(routes(&invite), [path]);
    assert_eq!(
        invite.request_uri(),
        format!("sip:1003@{}", agent.peer.addr)
    );
    ts.assert_quiet(&agent);

    let rr = "<sip:192.0.2.90:5070;lr;did=cb>";
    let ok = agent.respond(
        &invite,
        200,
        "OK",
        Some("agtag"),
        Some(&agent.sdp("sendrecv")),
    );
    ts.send(
        path_hop.peer,
        &with_headers(&ok, &[format!("Record-Route: {rr}")]),
    );
    assert_eq!(routes(&ts.expect_request(&path_hop, "ACK")), [rr]);
    // The customer, registered directly, is rung directly.
    let customer_invite = ts.expect_request(&a, "INVITE");
    assert!(
        routes(&customer_invite).is_empty(),
        "{}",
        customer_invite.text
    );
    ts.send(
        a.peer,
        &a.respond(
            &customer_invite,
            200,
            "OK",
            Some("ctag"),
            Some(&a.sdp("sendrecv")),
        ),
    );
    ts.expect_request(&a, "ACK");

    // The customer hangs up: the agent's BYE follows the agent's route.
    let mut customer = Dlg::uas(&customer_invite, "ctag");
    let bye = a.request(&mut customer, "BYE", &[], None);
    ts.send(a.peer, &bye);
    ts.expect_status(&a, 200);
    let bye = ts.expect_request(&path_hop, "BYE");
    assert_eq!(routes(&bye), [rr]);
    ts.send(path_hop.peer, &agent.respond(&bye, 200, "OK", None, None));
    ts.assert_quiet(&agent);
    ts.finish();
}

/// Through a proxy the packets' source is the proxy, which says nothing about where the
/// phone's media comes from: the relay is told the caller's signalling source is unknown
/// (issue 14), so a private SDP address keeps the open NAT rule instead of waiting for media
/// from the proxy's IP.
#[test]
fn a_caller_behind_a_proxy_gives_the_relay_no_signalling_source() {
    let mut ts = TestSwitch::new();
    let (mut a, mut b) = (phone(1001), phone(1002));
    ts.take_actions();
    call_through_proxy(&mut ts, &mut a, &mut b);
    let sources: Vec<_> = ts
        .take_actions()
        .into_iter()
        .filter_map(|x| match x {
            switch::Action::SignalSource { side, ip, .. } => Some((side, ip)),
            _ => None,
        })
        .collect();
    assert_eq!(sources, [(switch::Side::A, None)]);
}
