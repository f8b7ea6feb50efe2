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
