//! `WebLeg::answer` without a browser: offers it must refuse, and a leg nobody connects to,
//! which must end on its own after the connect timeout and free its ports.

use std::net::UdpSocket;
use std::time::Duration;

mod common;
use common::{relay, OFFER};
use webcall::{EndReason, LegEvent, WebCallConfig, WebCallError, WebLeg};

/// The switch answers from its HTTP handlers, whose futures move between threads.
#[test]
fn answering_is_a_future_that_can_move_between_threads() {
    fn assert_send<T: Send>(_: T) {}
    let (_s, relay) = relay();
    assert_send(WebLeg::answer(OFFER, &WebCallConfig::default(), relay));
}

#[tokio::test]
async fn offers_the_leg_cannot_take_are_refused_with_typed_errors() {
    let (_s, relay) = relay();
    let cfg = WebCallConfig::default();
    let no_pcmu = OFFER
        .replace(" 111 0 8 110 126", " 111 8 110 126")
        .replace("a=rtpmap:0 PCMU/8000\r\n", "");
    assert!(matches!(
        WebLeg::answer(&no_pcmu, &cfg, relay).await,
        Err(WebCallError::NoPcmu)
    ));
    assert!(matches!(
        WebLeg::answer("{\"type\":\"offer\"}", &cfg, relay).await,
        Err(WebCallError::BadSdp(_))
    ));
    let bad_cfg = WebCallConfig {
        connect_timeout: Duration::ZERO,
        ..WebCallConfig::default()
    };
    assert!(matches!(
        WebLeg::answer(OFFER, &bad_cfg, relay).await,
        Err(WebCallError::Config(_))
    ));
}

#[tokio::test]
async fn a_leg_nobody_connects_to_ends_after_the_connect_timeout_and_frees_its_port() {
    let (_s, relay) = relay();
    let cfg = WebCallConfig {
        ports: 46000..=46999,
        connect_timeout: Duration::from_millis(500),
        ..WebCallConfig::default()
    };
    let (mut leg, answer) = WebLeg::answer(OFFER, &cfg, relay).await.expect("answered");
    let ice = leg.ice_addr();
    assert!(cfg.ports.contains(&ice.port()), "{ice}");
    // ICE-lite, PCMU on 0 and the browser's telephone-event/8000 only.
    assert!(answer.contains("a=ice-lite"), "{answer}");
    let m = answer
        .lines()
        .find(|l| l.starts_with("m=audio"))
        .expect("m=audio");
    assert!(m.ends_with(" 0 126"), "{m}");
    assert!(!answer.contains("telephone-event/48000"), "{answer}");
    assert!(
        answer.contains(&format!("127.0.0.1 {} typ host", ice.port())),
        "{answer}"
    );
    assert!(UdpSocket::bind(ice).is_err(), "the leg holds its port");

    let event = tokio::time::timeout(Duration::from_secs(5), leg.next_event())
        .await
        .expect("the leg ends on its own");
    assert_eq!(event, Some(LegEvent::Ended(EndReason::IceTimeout)));
    UdpSocket::bind(ice).expect("the ICE port is free again");
    UdpSocket::bind(leg.rtp_addr()).expect("the RTP port is free again");
}

#[tokio::test]
async fn closing_a_leg_frees_its_ports_at_once() {
    let (_s, relay) = relay();
    let (leg, _) = WebLeg::answer(OFFER, &WebCallConfig::default(), relay)
        .await
        .expect("answered");
    let (ice, rtp) = (leg.ice_addr(), leg.rtp_addr());
    leg.close().await;
    UdpSocket::bind(ice).expect("the ICE port is free");
    UdpSocket::bind(rtp).expect("the RTP port is free");
}

/// A browser that passes ICE but never answers DTLS, built from STUN messages: the leg must
/// end with `DtlsTimeout`, not `IceTimeout`, and free its port.
mod ice_only {
    use std::net::SocketAddr;

    use rtc::ice::attributes::control::AttrControlling;
    use rtc::ice::attributes::priority::PriorityAttr;
    use rtc::ice::attributes::use_candidate::UseCandidateAttr;
    use rtc::stun::attributes::ATTR_USERNAME;
    use rtc::stun::fingerprint::FINGERPRINT;
    use rtc::stun::integrity::MessageIntegrity;
    use rtc::stun::message::{
        Message, Setter, TransactionId, BINDING_REQUEST, BINDING_SUCCESS, CLASS_REQUEST,
    };
    use rtc::stun::textattrs::Username;
    use rtc::stun::xoraddr::XorMappedAddress;

    /// The browser's ICE password in [`super::OFFER`].
    const OFFER_PWD: &str = "q0NgTgQW8Qx6Yx1cZ4e7QbS4";

    /// The value of `a=<name>:` in `sdp`.
    fn attribute<'a>(sdp: &'a str, name: &str) -> &'a str {
        let prefix = format!("a={name}:");
        sdp.lines()
            .find_map(|l| l.trim_end().strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no a={name} in {sdp}"))
    }

    fn signed(setters: Vec<Box<dyn Setter + '_>>, password: &str) -> Vec<u8> {
        let provider = rtc::crypto::default_provider().expect("crypto");
        let mut all = setters;
        all.push(Box::new(
            MessageIntegrity::new_short_term_integrity_with_provider(
                password.to_owned(),
                provider.crypto(),
            ),
        ));
        all.push(Box::new(FINGERPRINT));
        let mut msg = Message::new();
        msg.build(&all).expect("STUN message");
        msg.raw
    }

    /// A connectivity check as a controlling browser sends it, signed with the leg's password.
    pub fn check(answer: &str, nominate: bool) -> Vec<u8> {
        let username = format!("{}:Zs7k", attribute(answer, "ice-ufrag"));
        let mut setters: Vec<Box<dyn Setter>> = vec![
            Box::new(BINDING_REQUEST),
            Box::new(TransactionId::new()),
            Box::new(Username::new(ATTR_USERNAME, username)),
            Box::new(AttrControlling(7)),
            Box::new(PriorityAttr(2_130_706_431)),
        ];
        if nominate {
            setters.push(Box::<UseCandidateAttr>::default());
        }
        signed(setters, attribute(answer, "ice-pwd"))
    }

    /// What the browser says to `datagram` from `from`: a success for the leg's own checks
    /// (webrtc's lite agent still sends triggered checks and nominates only a pair whose check
    /// succeeded); whether it was a success for one of ours.
    pub fn reply(datagram: &[u8], from: SocketAddr) -> (Option<Vec<u8>>, bool) {
        let mut m = Message::new();
        if m.unmarshal_binary(datagram).is_err() {
            return (None, false); // DTLS from the leg: ignored on purpose
        }
        if m.typ.class != CLASS_REQUEST {
            return (None, m.typ == BINDING_SUCCESS);
        }
        let success = signed(
            vec![
                Box::new(m.clone()),
                Box::new(BINDING_SUCCESS),
                Box::new(XorMappedAddress {
                    ip: from.ip(),
                    port: from.port(),
                }),
            ],
            OFFER_PWD,
        );
        (Some(success), false)
    }
}

#[tokio::test]
async fn ice_without_dtls_ends_the_leg_with_a_dtls_timeout() {
    let (_s, relay) = relay();
    let cfg = WebCallConfig {
        ports: 46000..=46999,
        connect_timeout: Duration::from_millis(1500),
        ..WebCallConfig::default()
    };
    let (mut leg, answer) = WebLeg::answer(OFFER, &cfg, relay).await.expect("answered");
    let browser = tokio::net::UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let mut buf = [0u8; 1500];
    let mut successes = 0;
    let end = loop {
        let check = ice_only::check(&answer, successes > 0);
        browser
            .send_to(&check, leg.ice_addr())
            .await
            .expect("check");
        tokio::select! {
            event = leg.next_event() => break event,
            got = browser.recv_from(&mut buf) => {
                let (n, from) = got.expect("recv");
                let (reply, success) = ice_only::reply(&buf[..n], from);
                if let Some(reply) = reply {
                    browser.send_to(&reply, from).await.expect("reply");
                }
                successes += usize::from(success);
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    };
    assert!(successes > 0, "the leg answered the browser's checks");
    assert_eq!(end, Some(LegEvent::Ended(EndReason::DtlsTimeout)));
    UdpSocket::bind(leg.ice_addr()).expect("the ICE port is free again");
}
