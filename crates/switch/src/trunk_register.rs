//! The switch's own requests to carriers outside calls: REGISTER for trunks that register
//! (the timing is `trunk::Registrar`'s; here the messages: one Call-ID and From tag per
//! registration, CSeq counting up, a 401/407 answered with the trunk's credentials), the
//! un-REGISTER of a removed trunk, and OPTIONS pings whose answers feed `trunk::HealthCheck`.

use super::trunk_state::{Removed, TrunkTx, Trunks};
use super::Switch;
use rsip::headers::UntypedHeader;
use rsip::{Header, Method, Request, Response};
use sip::auth::client::Challenge;
use sip::transaction::ClientTxId;
use std::time::{Duration, Instant};
use trunk::{TrunkSetup, Verdict};

/// A registration's dialog with the carrier (RFC 3261 §10.2.4: refreshes keep the Call-ID
/// and raise the CSeq).
#[derive(Debug, Default, Clone)]
pub(crate) struct RegDialog {
    pub call_id: String,
    pub from_tag: String,
    pub cseq: u32,
    /// The challenge last answered and how many requests answered it (the nonce count).
    pub challenge: Option<(Challenge, u32)>,
}

impl Switch {
    /// Send every REGISTER and OPTIONS that is due.
    pub(super) fn trunk_timers(&mut self, now: Instant) {
        let names: Vec<String> = self
            .trunks
            .plan
            .trunks
            .iter()
            .map(|t| t.name.clone())
            .collect();
        for name in names {
            let due_register = self
                .trunks
                .state
                .get_mut(&name)
                .and_then(|r| r.registrar.as_mut())
                .is_some_and(|g| g.due(now));
            if due_register {
                self.send_register(now, &name, None);
            }
            let due_ping = self
                .trunks
                .state
                .get_mut(&name)
                .and_then(|r| r.health.as_mut())
                .is_some_and(|h| h.ping_due(now));
            if due_ping {
                self.send_ping(now, &name);
            }
        }
    }

    /// A REGISTER for trunk `name` (with credentials answering `challenge`, if given).
    fn send_register(&mut self, now: Instant, name: &str, challenge: Option<Challenge>) {
        let Some(setup) = self.trunks.plan.trunk(name).cloned() else {
            return;
        };
        let peer = self.trunks.peer(&setup);
        let Some(runtime) = self.trunks.state.get_mut(name) else {
            return;
        };
        let Some(peer) = peer else {
            // A host name not resolved yet: a failure, retried with backoff (or at once when
            // the addresses come).
            if let Some(g) = runtime.registrar.as_mut() {
                g.not_sent(now, 503);
            }
            return;
        };
        let expiry = runtime
            .registrar
            .as_ref()
            .map_or(Duration::from_secs(3600), |g| g.expiry());
        if let Some(c) = challenge {
            runtime.reg.challenge = Some((c, 0));
        }
        let req = register_request(&self.cfg.me, &setup, &mut runtime.reg, peer, expiry);
        match self.tx.send_request(now, peer, req) {
            Ok(tx) => {
                self.trunks.txs.insert(
                    tx,
                    TrunkTx::Register {
                        trunk: name.to_string(),
                    },
                );
            }
            Err(e) => {
                tracing::warn!(trunk = name, error = %e, "REGISTER not sent");
                if let Some(g) = self
                    .trunks
                    .state
                    .get_mut(name)
                    .and_then(|r| r.registrar.as_mut())
                {
                    g.not_sent(now, 503);
                }
            }
        }
    }

    /// Release the registration of a removed trunk (Expires: 0), if one is held.
    pub(super) fn unregister(&mut self, now: Instant, removed: Removed) {
        let Removed {
            setup,
            mut runtime,
            peer,
        } = removed;
        let held = runtime
            .registrar
            .as_ref()
            .is_some_and(|g| g.registered(now));
        let Some(peer) = peer.filter(|_| held) else {
            return;
        };
        let req = register_request(&self.cfg.me, &setup, &mut runtime.reg, peer, Duration::ZERO);
        if let Ok(tx) = self.tx.send_request(now, peer, req) {
            self.trunks
                .txs
                .insert(tx, TrunkTx::Unregister { trunk: setup.name });
        }
    }

    fn send_ping(&mut self, now: Instant, name: &str) {
        let Some(setup) = self.trunks.plan.trunk(name).cloned() else {
            return;
        };
        let Some(peer) = self.trunks.peer(&setup) else {
            // No address: as good as no answer.
            self.ping_result(name, None);
            return;
        };
        let host = Trunks::host_port(&setup);
        let uri = format!("sip:{host}");
        let headers: Vec<Header> = vec![
            self.cfg.me.via(peer, &sip::message::new_branch()),
            Header::MaxForwards("70".into()),
            Header::From(
                format!(
                    "<sip:ping@{}>;tag={}",
                    self.cfg.domain,
                    sip::message::new_tag()
                )
                .into(),
            ),
            Header::To(format!("<{uri}>").into()),
            Header::CallId(sip::message::new_call_id(&self.cfg.domain).into()),
            Header::CSeq("1 OPTIONS".into()),
            Header::UserAgent(self.cfg.me.user_agent.clone().into()),
            Header::ContentLength("0".into()),
        ];
        let req = Request {
            method: Method::Options,
            uri: rsip::Uri::try_from(uri.as_str()).unwrap_or_default(),
            version: rsip::Version::V2,
            headers: headers.into(),
            body: Vec::new(),
        };
        match self.tx.send_request(now, peer, req) {
            Ok(tx) => {
                self.trunks.txs.insert(
                    tx,
                    TrunkTx::Ping {
                        trunk: name.to_string(),
                    },
                );
            }
            Err(_) => self.ping_result(name, None),
        }
    }

    fn ping_result(&mut self, name: &str, status: Option<u16>) {
        let changed = self
            .trunks
            .state
            .get_mut(name)
            .and_then(|r| r.health.as_mut())
            .and_then(|h| h.ping_result(status));
        if let Some(h) = changed {
            tracing::info!(trunk = name, health = h.as_str(), "trunk health changed");
        }
    }

    /// A final response (or `Err(408)`) to one of the trunks' own requests. False: not ours.
    pub(super) fn trunk_response(
        &mut self,
        now: Instant,
        tx: ClientTxId,
        resp: &Result<Response, u16>,
    ) -> bool {
        let Some(purpose) = self.trunks.txs.remove(&tx) else {
            return false;
        };
        let code = match resp {
            Ok(r) => r.status_code.code(),
            Err(c) => *c,
        };
        match purpose {
            TrunkTx::Ping { trunk } => self.ping_result(&trunk, resp.is_ok().then_some(code)),
            TrunkTx::Unregister { trunk } => {
                tracing::info!(%trunk, status = code, "un-REGISTER of a removed trunk answered");
            }
            TrunkTx::Register { trunk } => {
                self.register_answered(now, &trunk, code, resp.as_ref().ok())
            }
        }
        true
    }

    fn register_answered(&mut self, now: Instant, name: &str, code: u16, resp: Option<&Response>) {
        let realm = self
            .trunks
            .plan
            .trunk(name)
            .and_then(|t| t.credentials.as_ref())
            .and_then(|c| c.realm.clone());
        let challenge = resp
            .filter(|_| matches!(code, 401 | 407))
            .and_then(|r| Challenge::from_response(r, realm.as_deref()).ok());
        let granted = resp.and_then(granted_expiry);
        let Some(g) = self
            .trunks
            .state
            .get_mut(name)
            .and_then(|r| r.registrar.as_mut())
        else {
            return;
        };
        let stale = challenge.as_ref().is_some_and(|c| c.stale);
        // A challenge we cannot read is a failure like a wrong password.
        let code = if matches!(code, 401 | 407) && challenge.is_none() {
            403
        } else {
            code
        };
        match g.on_response(now, code, granted, stale) {
            Verdict::AnswerChallenge => self.send_register(now, name, challenge),
            Verdict::Registered(d) => {
                tracing::info!(
                    trunk = name,
                    expires = d.as_secs(),
                    "registered with the carrier"
                )
            }
            Verdict::Retry(d) => {
                tracing::warn!(
                    trunk = name,
                    status = code,
                    retry_in = d.as_secs(),
                    "registration with the carrier failed"
                )
            }
        }
    }
}

/// The expiry a 2xx to REGISTER granted: our Contact's `expires` parameter, else the Expires
/// header.
fn granted_expiry(resp: &Response) -> Option<Duration> {
    let from_contact = resp.headers.iter().find_map(|h| match h {
        Header::Contact(c) => c
            .value()
            .split(';')
            .find_map(|p| p.trim().strip_prefix("expires="))
            .and_then(|v| v.trim().parse::<u64>().ok()),
        _ => None,
    });
    from_contact
        .or_else(|| sip::message::expires(resp).map(u64::from))
        .map(Duration::from_secs)
}

/// A REGISTER on the registration dialog `reg` (a fresh one is started when it has none).
fn register_request(
    me: &super::Me,
    setup: &TrunkSetup,
    reg: &mut RegDialog,
    peer: sip::Peer,
    expiry: Duration,
) -> Request {
    if reg.call_id.is_empty() {
        reg.call_id = sip::message::new_call_id(&setup.host);
        reg.from_tag = sip::message::new_tag();
    }
    reg.cseq += 1;
    let creds = setup.credentials.as_ref();
    let user = creds.map_or("switchboard", |c| c.username.as_str());
    let contact_user = setup
        .register
        .as_ref()
        .and_then(|r| r.contact_user.as_deref())
        .unwrap_or(user);
    let domain = creds
        .and_then(|c| c.realm.clone())
        .unwrap_or_else(|| Trunks::host_port(setup));
    let uri = format!("sip:{}", Trunks::host_port(setup));
    let aor = format!("<sip:{user}@{domain}>");
    let mut headers: Vec<Header> = vec![
        me.via(peer, &sip::message::new_branch()),
        Header::MaxForwards("70".into()),
        Header::From(format!("{aor};tag={}", reg.from_tag).into()),
        Header::To(aor.into()),
        Header::CallId(reg.call_id.clone().into()),
        Header::CSeq(format!("{} REGISTER", reg.cseq).into()),
        me.contact(contact_user, peer),
        Header::Expires(expiry.as_secs().to_string().into()),
        Header::UserAgent(me.user_agent.clone().into()),
    ];
    if let (Some(c), Some((challenge, nc))) = (creds, reg.challenge.as_mut()) {
        *nc += 1;
        let cnonce = sip::message::new_tag();
        headers.push(challenge.answer(&c.username, &c.password, "REGISTER", &uri, &cnonce, *nc));
    }
    headers.push(Header::ContentLength("0".into()));
    Request {
        method: Method::Register,
        uri: rsip::Uri::try_from(uri.as_str()).unwrap_or_default(),
        version: rsip::Version::V2,
        headers: headers.into(),
        body: Vec::new(),
    }
}
