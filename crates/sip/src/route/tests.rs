use super::*;

fn request(extra: &str) -> rsip::Request {
    let text = format!(
        "INVITE sip:1002@switch.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
         From: <sip:1001@switch.test>;tag=1\r\nTo: <sip:1002@switch.test>\r\nCall-ID: c\r\n\
         CSeq: 1 INVITE\r\n{extra}Content-Length: 0\r\n\r\n"
    );
    match crate::parse::parse(text.as_bytes()).expect("parses") {
        rsip::SipMessage::Request(r) => r,
        rsip::SipMessage::Response(_) => unreachable!(),
    }
}

fn udp(s: &str) -> Peer {
    Peer::udp(s.parse().expect("addr"))
}

#[test]
fn record_route_values_are_kept_in_order_even_comma_joined() {
    let req = request(
        "Record-Route: <sip:10.0.0.2;lr;ftag=a>, <sip:10.0.0.1:5070;lr>\r\n\
         Record-Route: <sip:10.0.0.9;lr>\r\n",
    );
    assert_eq!(
        record_route(&req.headers),
        [
            "<sip:10.0.0.2;lr;ftag=a>",
            "<sip:10.0.0.1:5070;lr>",
            "<sip:10.0.0.9;lr>"
        ]
    );
}

#[test]
fn path_values_are_read_and_split() {
    let req = request("Path: <sip:10.0.0.1:5070;lr>, <sip:10.0.0.2;lr>\r\n");
    assert_eq!(
        path(&req.headers),
        ["<sip:10.0.0.1:5070;lr>", "<sip:10.0.0.2;lr>"]
    );
}

#[test]
fn lr_marks_a_loose_router_in_either_spelling() {
    assert!(is_loose("<sip:10.0.0.1;lr>"));
    assert!(is_loose("<sip:10.0.0.1;lr=on;ftag=x>"));
    assert!(!is_loose("<sip:10.0.0.1;ftag=x>"));
    assert!(!is_loose("not a uri"));
}

#[test]
fn the_next_hop_honours_port_transport_and_maddr() {
    let hop = |v: &str| entry_uri(v).and_then(|u| next_hop(&u));
    assert_eq!(hop("<sip:10.0.0.1;lr>"), Some(udp("10.0.0.1:5060")));
    assert_eq!(
        hop("<sip:10.0.0.1:5070;transport=tcp;lr>"),
        Some(Peer::tcp("10.0.0.1:5070".parse().expect("addr")))
    );
    assert_eq!(
        hop("<sip:proxy.example.com:5070;maddr=10.0.0.7;lr>"),
        Some(udp("10.0.0.7:5070"))
    );
    assert_eq!(hop("<sip:proxy.example.com;lr>"), None);
}

#[test]
fn an_ipv6_route_from_the_wire_is_an_address() {
    let req = request("Record-Route: <sip:[2001:db8::1]:5070;lr>\r\n");
    let rr = record_route(&req.headers);
    let uri = rr.first().and_then(|v| entry_uri(v)).expect("uri");
    assert_eq!(next_hop(&uri), Some(udp("[2001:db8::1]:5070")));
}

#[test]
fn loose_routing_keeps_the_target_and_sends_to_the_first_route() {
    let set = vec![
        "<sip:10.0.0.1:5070;lr>".to_owned(),
        "<sip:10.0.0.2;lr>".to_owned(),
    ];
    let p = plan("sip:1001@192.168.1.5:5062", &set).expect("plan");
    assert_eq!(p.uri.to_string(), "sip:1001@192.168.1.5:5062");
    assert_eq!(p.routes, set);
    assert_eq!(p.next_hop, Some(udp("10.0.0.1:5070")));
}

#[test]
fn strict_routing_puts_the_first_route_in_the_request_uri() {
    let set = vec![
        "<sip:10.0.0.1:5070;method=INVITE>".to_owned(),
        "<sip:10.0.0.2;lr>".to_owned(),
    ];
    let p = plan("sip:1001@192.168.1.5:5062", &set).expect("plan");
    assert_eq!(p.uri.to_string(), "sip:10.0.0.1:5070");
    assert_eq!(
        p.routes,
        ["<sip:10.0.0.2;lr>", "<sip:1001@192.168.1.5:5062>"]
    );
    assert_eq!(p.next_hop, Some(udp("10.0.0.1:5070")));
}

#[test]
fn without_routes_the_request_goes_to_the_target() {
    let p = plan("sip:1001@192.168.1.5:5062;transport=tcp", &[]).expect("plan");
    assert!(p.routes.is_empty());
    assert_eq!(
        p.next_hop,
        Some(Peer::tcp("192.168.1.5:5062".parse().expect("addr")))
    );
}

#[test]
fn only_our_own_top_routes_are_stripped() {
    let mut req = request(
        "Route: <sip:127.0.0.1:5060;lr>\r\nRoute: <sip:switch.test;lr>\r\n\
         Route: <sip:10.0.0.9;lr>\r\nRoute: <sip:127.0.0.1:5060;lr>\r\n",
    );
    let us = |u: &rsip::Uri| {
        let host = u.host_with_port.host.to_string();
        host == "switch.test" || host == "127.0.0.1"
    };
    assert_eq!(strip_own_routes(&mut req.headers, us), 2);
    let left: Vec<String> = req
        .headers
        .iter()
        .filter_map(|h| match h {
            Header::Route(r) => Some(r.value().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(left, ["<sip:10.0.0.9;lr>", "<sip:127.0.0.1:5060;lr>"]);
    assert_eq!(strip_own_routes(&mut req.headers, us), 0);
}
