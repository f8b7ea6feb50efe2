//! `TestSwitch`: the switch core under a virtual clock, with a wire that routes what it
//! transmits to per-phone inboxes (optionally losing messages) and a log of its actions.

use super::phone::{Dlg, Msg, Phone, DOMAIN};
use sip::auth::Algorithm;
use sip::registrar::RegistrarConfig;
use sip::transaction::TimerConfig;
use sip::Peer;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use switch::{Action, CallId, Me, Switch, SwitchConfig};

/// The relay address and ports every call gets (A side, B side).
pub const RELAY_IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
pub const RELAY_A: u16 = 40000;
pub const RELAY_B: u16 = 40002;

/// Decides whether a transmit is lost on the wire.
type Loss = Box<dyn FnMut(Peer, &Msg) -> bool>;

pub fn config() -> SwitchConfig {
    let users = (1001..=1004)
        .map(|n| (n.to_string(), (format!("pw{n}"), Some(format!("User {n}")))))
        .collect();
    SwitchConfig {
        domain: DOMAIN.into(),
        me: Me {
            udp: Some(SocketAddr::from(([127, 0, 0, 1], 5060))),
            tcp: Some(SocketAddr::from(([127, 0, 0, 1], 5060))),
            udp6: None,
            tcp6: None,
            user_agent: "Switchboard/test".into(),
        },
        timers: TimerConfig {
            t1: Duration::from_millis(500),
            ..TimerConfig::default()
        },
        ring_timeout: Duration::from_secs(30),
        registrar: RegistrarConfig::default(),
        nonce_lifetime: Duration::from_secs(300),
        nonce_secret: [7; 32],
        auth_algorithms: vec![Algorithm::Md5, Algorithm::Sha256],
        auth_throttle: Default::default(),
        users,
        media_timeout: true,
        acd: Default::default(),
        recording: Default::default(),
        limits: Default::default(),
        nat: Default::default(),
        trunks: Default::default(),
        supervisor_phones: Default::default(),
    }
}

/// A phone for extension `n` (1001..=1004 are configured) on UDP port `5000 + n`.
pub fn phone(n: u16) -> Phone {
    let media = SocketAddr::from(([10, 0, 0, (n % 100) as u8], 20000 + 2 * (n % 100)));
    Phone::udp(&n.to_string(), &format!("pw{n}"), 5000 + n, media)
}

pub struct TestSwitch {
    pub sw: Switch,
    pub now: Instant,
    inbox: HashMap<Peer, VecDeque<Msg>>,
    /// Every action the switch asked for, in order; tests take them with `take_actions`.
    actions: Vec<Action>,
    /// ACD events, kept apart from the actions (`take_acd_events`).
    acd_events: Vec<switch::AcdEvent>,
    loss: Option<Loss>,
    /// Answer `AllocateMedia` at once with the relay ports above.
    pub auto_media: bool,
}

impl TestSwitch {
    pub fn new() -> TestSwitch {
        TestSwitch::with(config())
    }

    pub fn with(cfg: SwitchConfig) -> TestSwitch {
        TestSwitch::with_plans(cfg, None)
    }

    /// A switch that routes through `plans` (see `load_plans`).
    pub fn with_plans(cfg: SwitchConfig, plans: Option<ivr::Dialplans>) -> TestSwitch {
        #[allow(clippy::disallowed_methods)] // an arbitrary origin for the virtual clock
        let now = Instant::now();
        let wall = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .expect("fixed date")
            .with_timezone(&chrono::Utc);
        TestSwitch {
            sw: Switch::new(cfg, plans, now, wall),
            now,
            inbox: HashMap::new(),
            actions: Vec::new(),
            acd_events: Vec::new(),
            loss: None,
            auto_media: true,
        }
    }

    /// Lose every transmit for which `f` says true (until `clear_loss`).
    pub fn set_loss(&mut self, f: impl FnMut(Peer, &Msg) -> bool + 'static) {
        self.loss = Some(Box::new(f));
    }

    pub fn clear_loss(&mut self) {
        self.loss = None;
    }

    /// Bytes from `from` arrive at the switch.
    pub fn send(&mut self, from: Peer, text: &str) {
        self.sw.handle_datagram(self.now, from, text.as_bytes());
        self.pump();
    }

    /// Drain transmits into inboxes and actions into the log, answering media allocation.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.sw.poll_transmit() {
                progressed = true;
                let msg = Msg::from_wire(&t.bytes);
                if self.loss.as_mut().is_some_and(|f| f(t.to, &msg)) {
                    continue;
                }
                self.inbox.entry(t.to).or_default().push_back(msg);
            }
            while let Some(a) = self.sw.poll_action() {
                progressed = true;
                if let (Action::AllocateMedia { call }, true) = (&a, self.auto_media) {
                    let call = *call;
                    self.actions.push(a);
                    self.sw
                        .media_allocated(self.now, call, Ok((RELAY_IP, RELAY_A, RELAY_B)));
                    continue;
                }
                if let Action::Acd(record) = a {
                    self.acd_events.push(record.event);
                    continue;
                }
                self.actions.push(a);
            }
            if !progressed {
                break;
            }
        }
    }

    /// Move the clock forward by `d`, firing every timer due on the way in order.
    pub fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        for _ in 0..100_000 {
            match self.sw.poll_timeout() {
                Some(at) if at <= target => {
                    self.now = self.now.max(at);
                    self.sw.handle_timeout(self.now);
                    self.pump();
                }
                _ => {
                    self.now = target;
                    self.sw.handle_timeout(self.now);
                    self.pump();
                    return;
                }
            }
        }
        panic!("timers keep firing without the clock moving");
    }

    /// The next message for `p`, if any.
    pub fn recv(&mut self, p: &Phone) -> Option<Msg> {
        self.inbox.get_mut(&p.peer).and_then(VecDeque::pop_front)
    }

    /// Everything waiting for `p`.
    pub fn drain(&mut self, p: &Phone) -> Vec<Msg> {
        self.inbox
            .get_mut(&p.peer)
            .map(|q| q.drain(..).collect())
            .unwrap_or_default()
    }

    /// The next message for `p`, which must be a response with `code`. 100 Trying is skipped.
    pub fn expect_status(&mut self, p: &Phone, code: u16) -> Msg {
        loop {
            let m = self
                .recv(p)
                .unwrap_or_else(|| panic!("{} expected {code}, got nothing", p.user));
            if m.status() == 100 && code != 100 {
                continue;
            }
            assert_eq!(
                m.status(),
                code,
                "{} expected {code}, got:\n{}",
                p.user,
                m.text
            );
            return m;
        }
    }

    /// The next message for `p`, which must be a `method` request.
    pub fn expect_request(&mut self, p: &Phone, method: &str) -> Msg {
        let m = self
            .recv(p)
            .unwrap_or_else(|| panic!("{} expected {method}, got nothing", p.user));
        assert!(
            !m.is_response() && m.method() == method,
            "{} expected {method}, got:\n{}",
            p.user,
            m.text
        );
        m
    }

    /// Nothing is waiting for `p`.
    pub fn assert_quiet(&mut self, p: &Phone) {
        let left = self.drain(p);
        assert!(
            left.is_empty(),
            "{} got unexpected messages:\n{}",
            p.user,
            left.iter()
                .map(|m| m.text.as_str())
                .collect::<Vec<_>>()
                .join("\n---\n")
        );
    }

    /// The actions logged so far, left in the log.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    pub fn take_acd_events(&mut self) -> Vec<switch::AcdEvent> {
        std::mem::take(&mut self.acd_events)
    }

    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    /// CDR events among the actions taken so far (the actions are consumed).
    pub fn take_cdrs(&mut self) -> Vec<switch::CdrEvent> {
        self.take_actions()
            .into_iter()
            .filter_map(|a| match a {
                Action::Cdr(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    /// Register `p` with a digest handshake; returns the 200.
    pub fn register(&mut self, p: &mut Phone, expires: u32) -> Msg {
        let mut d = p.registration();
        let req = p.register(&mut d, expires, None);
        self.send(p.peer, &req);
        let challenge = self.expect_status(p, 401);
        let auth = p.authorization(&challenge, "REGISTER", &d.target, 1);
        let req = p.register(&mut d, expires, Some(auth));
        self.send(p.peer, &req);
        self.expect_status(p, 200)
    }

    /// Send an INVITE from `a` to `callee`, answer the 407 and return the dialog plus the
    /// challenge-free second INVITE's first reply beyond 100 (left in the inbox).
    pub fn invite(&mut self, a: &mut Phone, callee: &str, sdp: Option<&str>) -> Dlg {
        let mut d = a.new_dialog(callee, &format!("sip:{callee}@{DOMAIN}"));
        let body = sdp.map(|s| ("application/sdp", s));
        let req = a.invite(&mut d, &[], body);
        self.send(a.peer, &req);
        let challenge = self.expect_status(a, 407);
        self.send(a.peer, &a.ack_non2xx(&d, &challenge));
        let auth = a.authorization(&challenge, "INVITE", &d.target, 1);
        let req = a.invite(&mut d, &[auth], body);
        self.send(a.peer, &req);
        d
    }

    /// Advance ~40 s (every transaction ends) and check that no call is left.
    pub fn finish(&mut self) {
        self.advance(Duration::from_secs(40));
        assert_eq!(
            self.sw.stats().calls_active,
            0,
            "calls left after the scenario"
        );
    }
}

/// An answered call between two registered phones, with each side's dialog.
pub struct Answered {
    pub call: CallId,
    /// A's dialog (UAC towards the switch).
    pub a: Dlg,
    /// B's dialog (UAS towards the switch).
    pub b: Dlg,
    /// The INVITE B received.
    pub b_invite: Msg,
}

/// Register `a` and `b`, call from `a` to `b`, `b` answers, `a` ACKs; all messages consumed and
/// actions cleared.
pub fn answered_call(ts: &mut TestSwitch, a: &mut Phone, b: &mut Phone) -> Answered {
    ts.register(a, 3600);
    ts.register(b, 3600);
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, &b.user.clone(), Some(&sdp));
    ts.expect_status(a, 100);
    let b_invite = ts.expect_request(b, "INVITE");
    let tag = "btag1";
    ts.send(b.peer, &b.respond(&b_invite, 100, "Trying", None, None));
    let b_sdp = b.sdp("sendrecv");
    ts.send(
        b.peer,
        &b.respond(&b_invite, 200, "OK", Some(tag), Some(&b_sdp)),
    );
    ts.expect_request(b, "ACK");
    let ok = ts.expect_status(a, 200);
    ad.learn(&ok);
    ts.send(a.peer, &a.ack_2xx(&ad));
    ts.assert_quiet(a);
    ts.assert_quiet(b);
    let call = ts
        .take_actions()
        .iter()
        .find_map(|x| match x {
            Action::AllocateMedia { call } => Some(*call),
            _ => None,
        })
        .expect("AllocateMedia");
    Answered {
        call,
        a: ad,
        b: Dlg::uas(&b_invite, tag),
        b_invite,
    }
}

/// Register `a` and `b`, call from `a` to `b` and let `b` ring (180 with To-tag `btag`); the
/// 100 and 180 to A are consumed (A's dialog learns our tag), actions cleared. Returns A's
/// dialog and B's INVITE.
pub fn ringing_call(ts: &mut TestSwitch, a: &mut Phone, b: &mut Phone) -> (Dlg, Msg) {
    ts.register(a, 3600);
    ts.register(b, 3600);
    let sdp = a.sdp("sendrecv");
    let mut ad = ts.invite(a, &b.user.clone(), Some(&sdp));
    ts.expect_status(a, 100);
    let inv = ts.expect_request(b, "INVITE");
    ts.send(b.peer, &b.respond(&inv, 180, "Ringing", Some("btag"), None));
    let ringing = ts.expect_status(a, 180);
    ad.learn(&ringing);
    ts.take_actions();
    (ad, inv)
}

/// The single CDR end among `events`.
pub fn cdr_end(events: &[switch::CdrEvent]) -> switch::CdrEnd {
    let ends: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            switch::CdrEvent::End(end) => Some(end.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 1, "exactly one CDR end: {events:?}");
    ends.into_iter().next().expect("one end")
}

/// Compile dialplans from `(file name, TOML)` pairs, the way the server loads its directory:
/// written to a fresh temporary directory, loaded with `ivr::load_dir`, then removed (a loaded
/// set no longer needs its files). Prompts should be `tone:`/`silence:` built-ins.
pub fn load_plans(files: &[(&str, &str)]) -> ivr::Dialplans {
    let dir = std::env::temp_dir().join(format!("switchboard-plans-{}", uuid::Uuid::new_v4()));
    let prompts = dir.join("prompts");
    std::fs::create_dir_all(&prompts).expect("temp plan dir");
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("write plan");
    }
    let loaded = ivr::load_dir(&dir, &prompts);
    let _ = std::fs::remove_dir_all(&dir);
    match loaded {
        Ok(plans) => plans,
        Err(diags) => panic!(
            "test plans do not load:\n{}",
            diags
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}
