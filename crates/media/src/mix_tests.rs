use super::*;
use crate::goertzel;
use crate::tone;

const CUSTOMER_HZ: f64 = 1000.0;
const AGENT_HZ: f64 = 440.0;
const SUPERVISOR_HZ: f64 = 770.0;

/// A stream of 20 ms PCMU packets of one tone, as a phone sends it.
struct Phone {
    samples: Vec<i16>,
    header: RtpHeader,
    at: usize,
}

impl Phone {
    fn new(freq: f64, ssrc: u32) -> Self {
        Self {
            samples: tone::sine(freq, 6000.0, 8000),
            header: RtpHeader {
                marker: false,
                payload_type: 0,
                sequence: 1,
                timestamp: 0,
                ssrc,
            },
            at: 0,
        }
    }

    fn packet(&mut self) -> Vec<u8> {
        let frame: Vec<u8> = self.samples[self.at..self.at + 160]
            .iter()
            .map(|&s| Codec::Pcmu.encode(s))
            .collect();
        self.at = (self.at + 160) % (self.samples.len() - 160);
        let mut out = vec![0; HEADER_LEN + 160];
        self.header.write(&frame, &mut out).unwrap();
        self.header.sequence += 1;
        self.header.timestamp += 160;
        out
    }
}

fn linear(packets: &[Vec<u8>]) -> Vec<i16> {
    packets
        .iter()
        .flat_map(|p| {
            let packet = RtpPacket::parse(p).unwrap();
            let codec = Codec::from_payload_type(packet.payload_type()).unwrap();
            packet
                .payload()
                .iter()
                .map(move |&c| codec.decode(c))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Real energy at `freq` (a 6000-peak sine has 1.8e7).
fn hears(samples: &[i16], freq: f64) -> bool {
    goertzel::power(freq, samples) > 1e6
}

/// What each of the three heard over `rounds` 20 ms rounds in which all three speak.
struct Heard {
    customer: Vec<i16>,
    agent: Vec<i16>,
    supervisor: Vec<i16>,
}

fn run(mixer: &mut Mixer, rounds: usize) -> Heard {
    let (mut c, mut a, mut s) = (
        Phone::new(CUSTOMER_HZ, 1),
        Phone::new(AGENT_HZ, 2),
        Phone::new(SUPERVISOR_HZ, 3),
    );
    let (mut to_c, mut to_a, mut to_s) = (vec![], vec![], vec![]);
    let mut out = [0u8; MAX_OUT_PACKET];
    for _ in 0..rounds {
        mixer.on_supervisor_packet(&s.packet());
        let mut p = c.packet();
        if let Some(n) = mixer.on_call_packet(Party::Customer, &mut p, &mut out) {
            to_s.push(out[..n].to_vec());
        }
        to_a.push(p);
        let mut p = a.packet();
        if let Some(n) = mixer.on_call_packet(Party::Agent, &mut p, &mut out) {
            to_s.push(out[..n].to_vec());
        }
        to_c.push(p);
    }
    Heard {
        customer: linear(&to_c),
        agent: linear(&to_a),
        supervisor: linear(&to_s),
    }
}

#[test]
fn listen_hears_both_and_is_heard_by_nobody() {
    let mut m = Mixer::new(MonitorMode::Listen, Codec::Pcmu, 9, 100, 1000);
    let h = run(&mut m, 25);
    assert!(hears(&h.supervisor, CUSTOMER_HZ) && hears(&h.supervisor, AGENT_HZ));
    assert!(!hears(&h.supervisor, SUPERVISOR_HZ));
    assert!(!hears(&h.agent, SUPERVISOR_HZ) && !hears(&h.customer, SUPERVISOR_HZ));
    assert!(hears(&h.agent, CUSTOMER_HZ) && hears(&h.customer, AGENT_HZ));
    // One packet per pair of call frames.
    assert_eq!(m.stats().to_supervisor, 25);
    assert_eq!(m.stats().mixed_into_call, 0);
}

#[test]
fn whisper_reaches_the_agent_only() {
    let mut m = Mixer::new(MonitorMode::Whisper, Codec::Pcmu, 9, 100, 1000);
    let h = run(&mut m, 25);
    assert!(hears(&h.agent, SUPERVISOR_HZ) && hears(&h.agent, CUSTOMER_HZ));
    assert!(!hears(&h.customer, SUPERVISOR_HZ) && hears(&h.customer, AGENT_HZ));
    assert!(!hears(&h.supervisor, SUPERVISOR_HZ));
    assert_eq!(m.stats().mixed_into_call, 25);
}

#[test]
fn barge_is_a_three_way_call() {
    let mut m = Mixer::new(MonitorMode::Barge, Codec::Pcmu, 9, 100, 1000);
    let h = run(&mut m, 25);
    assert!(hears(&h.agent, SUPERVISOR_HZ) && hears(&h.agent, CUSTOMER_HZ));
    assert!(hears(&h.customer, SUPERVISOR_HZ) && hears(&h.customer, AGENT_HZ));
    assert!(hears(&h.supervisor, CUSTOMER_HZ) && hears(&h.supervisor, AGENT_HZ));
    assert!(!hears(&h.supervisor, SUPERVISOR_HZ));
}

#[test]
fn mode_changes_apply_at_once() {
    let mut m = Mixer::new(MonitorMode::Barge, Codec::Pcmu, 9, 100, 1000);
    // A supervisor frame waits for the customer; switching to whisper must not deliver it.
    let mut s = Phone::new(SUPERVISOR_HZ, 3);
    m.on_supervisor_packet(&s.packet());
    m.set_mode(MonitorMode::Whisper);
    let h = run(&mut m, 10);
    assert!(!hears(&h.customer, SUPERVISOR_HZ));
    assert!(hears(&h.agent, SUPERVISOR_HZ));
    m.set_mode(MonitorMode::Listen);
    let h = run(&mut m, 10);
    assert!(!hears(&h.agent, SUPERVISOR_HZ));
    assert!(hears(&h.supervisor, CUSTOMER_HZ));
}

#[test]
fn supervisor_stream_has_its_own_continuous_header() {
    let mut m = Mixer::new(MonitorMode::Listen, Codec::Pcma, 0xABCD, 65535, 4000);
    let mut c = Phone::new(CUSTOMER_HZ, 1);
    let mut out = [0u8; MAX_OUT_PACKET];
    let mut got = vec![];
    // The agent is silent: each customer frame goes alone, PAIR_DEPTH frames late.
    for _ in 0..PAIR_DEPTH + 3 {
        if let Some(n) = m.on_call_packet(Party::Customer, &mut c.packet(), &mut out) {
            got.push(out[..n].to_vec());
        }
    }
    assert_eq!(got.len(), 3);
    for (i, p) in got.iter().enumerate() {
        let p = RtpPacket::parse(p).unwrap();
        assert_eq!(p.ssrc(), 0xABCD);
        assert_eq!(p.payload_type(), 8, "encoded for the supervisor's codec");
        assert_eq!(p.sequence(), 65535u16.wrapping_add(i as u16));
        assert_eq!(p.timestamp(), 4000 + 160 * i as u32);
        assert_eq!(p.marker(), i == 0);
        assert_eq!(p.payload().len(), 160);
    }
    assert!(hears(&linear(&got), CUSTOMER_HZ));
}

#[test]
fn other_payloads_pass_untouched() {
    let mut m = Mixer::new(MonitorMode::Barge, Codec::Pcmu, 9, 1, 1);
    m.on_supervisor_packet(&Phone::new(SUPERVISOR_HZ, 3).packet());
    // A telephone-event packet (PT 101) and garbage.
    let mut event = vec![0x80, 101, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 1, 0x0A, 0, 160];
    let before = event.clone();
    let mut out = [0u8; MAX_OUT_PACKET];
    assert_eq!(
        m.on_call_packet(Party::Customer, &mut event, &mut out),
        None
    );
    assert_eq!(event, before);
    assert_eq!(
        m.on_call_packet(Party::Agent, &mut [1, 2, 3], &mut out),
        None
    );
    assert_eq!(m.stats(), MixStats::default());
}

#[test]
fn sums_saturate_and_silence_is_neutral() {
    let mut loud = [Codec::Pcmu.encode(30000); 4];
    mix_into_payload(Codec::Pcmu, &mut loud, &[30000; 4]);
    assert_eq!(
        Codec::Pcmu.decode(loud[0]),
        Codec::Pcmu.decode(Codec::Pcmu.encode(i16::MAX))
    );
    for codec in [Codec::Pcmu, Codec::Pcma] {
        for code in 0..=255u8 {
            let mut p = [code];
            mix_into_payload(codec, &mut p, &[0]);
            assert_eq!(codec.decode(p[0]), codec.decode(code), "{codec:?} {code}");
        }
    }
    let mut out = [0u8; 3];
    assert_eq!(encode_sum(Codec::Pcma, &[100, 200], &[1000], &mut out), 2);
    assert_eq!(out[1], Codec::Pcma.encode(200));
}

#[test]
fn oversized_payloads_are_mixed_over_max_frame() {
    let mut m = Mixer::new(MonitorMode::Whisper, Codec::Pcmu, 9, 1, 1);
    m.on_supervisor_packet(&Phone::new(SUPERVISOR_HZ, 3).packet());
    let mut big = vec![0u8; HEADER_LEN + 1000];
    RtpHeader {
        marker: false,
        payload_type: 0,
        sequence: 1,
        timestamp: 1,
        ssrc: 1,
    }
    .write(&[0xFF; 1000], &mut big)
    .unwrap();
    let mut out = [0u8; MAX_OUT_PACKET];
    assert_eq!(m.on_call_packet(Party::Customer, &mut big, &mut out), None);
    assert_eq!(m.stats().mixed_into_call, 1);
    assert!(big[HEADER_LEN + 200..].iter().all(|&c| c == 0xFF));
    // Once the queue is full, the first goes alone: MAX_FRAME samples of it.
    for _ in 1..PAIR_DEPTH {
        assert_eq!(
            m.on_call_packet(Party::Customer, &mut big.clone(), &mut out),
            None
        );
    }
    let n = m.on_call_packet(Party::Customer, &mut big.clone(), &mut out);
    assert_eq!(n, Some(MAX_OUT_PACKET));
}

#[test]
fn modes_parse_and_print() {
    for mode in MonitorMode::ALL {
        assert_eq!(mode.as_str().parse::<MonitorMode>(), Ok(mode));
    }
    assert!("spy".parse::<MonitorMode>().is_err());
}

#[test]
fn bursts_pair_in_order_and_keep_real_time() {
    // Customer frames arrive two at a time, then the agent's two: still one packet per pair.
    let mut m = Mixer::new(MonitorMode::Listen, Codec::Pcmu, 9, 0, 0);
    let (mut c, mut a) = (Phone::new(CUSTOMER_HZ, 1), Phone::new(AGENT_HZ, 2));
    let mut out = [0u8; MAX_OUT_PACKET];
    let mut sent = vec![];
    for _ in 0..20 {
        for party in [Party::Customer, Party::Customer, Party::Agent, Party::Agent] {
            let phone = if party == Party::Customer {
                &mut c
            } else {
                &mut a
            };
            if let Some(n) = m.on_call_packet(party, &mut phone.packet(), &mut out) {
                sent.push(out[..n].to_vec());
            }
        }
    }
    assert_eq!(sent.len(), 40, "one packet per pair of frames");
    let heard = linear(&sent);
    assert!(hears(&heard, CUSTOMER_HZ) && hears(&heard, AGENT_HZ));
}
