//! Calls a carrier delivers. A new INVITE from a trunk's address (and with its match header,
//! if it names one) needs no extension credentials: the carrier is known by where it sends
//! from. The caller is the `P-Asserted-Identity` user, else the From user, and the DID the
//! Request-URI user, both in E.164 form as the CRM files numbers. The DID's target routes the
//! call: a dialplan route (the plan sees the caller's number), a queue or an extension. An
//! unknown DID gets 404, a trunk at its channel limit 503 with Retry-After; from then on the
//! call is a customer's like any other (CRM lookup, recording, contact row), and its CDR
//! carries a `Trunk` event with the trunk and the DID.

use super::call::Route;
use super::{sip_fields, Action, Switch};
use crate::records::{CdrEvent, CdrTrunk, Direction};
use rsip::{Header, Request};
use sip::transaction::ServerTxId;
use sip::Peer;
use std::time::Instant;
use trunk::DidTarget;

/// What a caller refused for a full trunk is asked to wait (seconds).
const FULL_RETRY_AFTER: u32 = 5;

impl Switch {
    /// The trunk a request from `from` comes from, if any.
    pub(super) fn trunk_of(&self, from: Peer, req: &Request) -> Option<String> {
        let resolved = &self.trunks.resolved_ips;
        self.trunks
            .plan
            .recognise(
                from.addr.ip(),
                |name| resolved.get(name).map_or(&[][..], Vec::as_slice),
                req,
            )
            .map(|t| t.name.clone())
    }

    /// A new INVITE from trunk `name`.
    pub(super) fn on_trunk_invite(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        from: Peer,
        req: Request,
        name: String,
    ) {
        let Some(setup) = self.trunks.plan.trunk(&name) else {
            return;
        };
        let cc = self.trunks.plan.country_code.clone();
        let format = setup.number_format;
        let caller = trunk::caller_number(&req)
            .map(|n| trunk::to_e164(&n, format, &cc))
            .unwrap_or_else(|| "anonymous".to_string());
        let Some(did) = sip_fields::request_user(&req).map(|u| trunk::to_e164(&u, format, &cc))
        else {
            self.reply(now, tx, &req, 404, "No Number In Request-URI");
            return;
        };
        let Some(target) = self.trunks.plan.did(&did).map(|d| d.target.clone()) else {
            tracing::info!(trunk = %name, %did, %caller, "unknown DID: 404");
            self.reply(now, tx, &req, 404, "Not Found");
            return;
        };
        let full = self
            .trunks
            .state
            .get(&name)
            .is_some_and(|r| !r.limits.has_channel());
        if full {
            if let Some(r) = self.trunks.state.get_mut(&name) {
                r.refused_full += 1;
            }
            tracing::info!(trunk = %name, %did, "trunk at its channel limit: 503");
            let mut resp = sip::message::make_response(
                &req,
                503,
                Some("Service Unavailable (Trunk Full)"),
                Some(&sip::message::new_tag()),
            );
            resp.headers.push(Header::Other(
                "Retry-After".into(),
                FULL_RETRY_AFTER.to_string(),
            ));
            self.respond(now, tx, resp);
            return;
        }
        let (callee, route) = match target {
            DidTarget::Extension(e) => (e, Route::Extension),
            DidTarget::Queue(q) => (did.clone(), Route::QueueNumber(q)),
            DidTarget::Route(number) => {
                let name = sip_fields::from_display_name(&req).unwrap_or_default();
                let session = self.plan_session(now, &caller, &name, &number);
                let Some(session) = session else {
                    tracing::warn!(trunk = %name, %did, route = %number, "DID's route matches no dialplan: 404");
                    self.reply(now, tx, &req, 404, "Not Found (No Route)");
                    return;
                };
                (number, Route::Dialplan(Box::new(session)))
            }
        };
        let Some(id) = self.admit(now, tx, from, req, (caller.clone(), callee), route) else {
            return;
        };
        let Some(runtime) = self.trunks.state.get_mut(&name) else {
            return;
        };
        runtime.limits.take_inbound();
        runtime.calls_in += 1;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.trunk_in = Some(name.clone());
        let cdr = CdrTrunk {
            call_id: call.cdr_id.clone(),
            direction: Direction::Inbound,
            trunk: name,
            did: Some(did),
            caller_id: (caller != "anonymous").then_some(caller),
            dialled: None,
        };
        self.actions.push_back(Action::Cdr(CdrEvent::Trunk(cdr)));
    }
}
