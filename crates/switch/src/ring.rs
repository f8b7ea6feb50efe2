//! Ringing a callee: once media is ready a direct call rings the dialled extension (a dialplan
//! call starts its plan instead), and `ring` sends an INVITE to each registered contact.

use super::call::{Branch, Phase, RelayPorts, Route, Side};
use super::route_set::BindingTarget;
use super::sdp::parse_sdp;
use super::{sip_fields, Action, CallId, ClientPurpose, CoreTimer, Switch};
use rsip::{Header, Method};
use std::time::Instant;

impl Switch {
    /// Media is ready: a dialplan call starts its plan, a direct call rings the callee.
    pub(super) fn media_ready(&mut self, now: Instant, id: CallId, ports: RelayPorts) {
        let Some(call) = self.calls.get_mut(&id) else {
            self.actions.push_back(Action::ReleaseMedia { call: id });
            return;
        };
        if call.phase != Phase::AwaitingMedia {
            self.actions.push_back(Action::ReleaseMedia { call: id });
            return;
        }
        call.relay = Some(ports);
        if call.offers == super::record::OfferPolicy::AsIs {
            self.actions.push_back(Action::PassZrtp { call: id });
        }
        if self.is_callback(id) {
            self.callback_media_ready(now, id);
            return;
        }
        // The relay has one address, written into both legs' SDP: a caller whose media is of
        // the other family (IPv4 phone, IPv6 relay, or the reverse) could never reach it.
        let target = self
            .calls
            .get(&id)
            .and_then(|c| c.a_sdp.as_ref())
            .and_then(|s| s.audio_target());
        if target.is_some_and(|t| t.rtp.is_ipv4() != ports.ip.is_ipv4()) {
            tracing::info!(call = id, relay = %ports.ip, "caller's media of another address family than the relay's: 488");
            self.fail_call(
                now,
                id,
                488,
                "Not Acceptable Here (Media Address Family)",
                "media address family",
            );
            return;
        }
        self.maybe_record(id, super::record::Moment::Start);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(t) = call.a_sdp.as_ref().and_then(|s| s.audio_target()) {
            self.actions.push_back(Action::SetRemote {
                call: id,
                side: Side::A,
                rtp: t.rtp,
                rtcp: t.rtcp,
            });
            self.actions.push_back(Action::SignalSource {
                call: id,
                side: Side::A,
                ip: super::sdp::signalling_ip(call, Side::A),
            });
        }
        match &call.route {
            Route::Dialplan(_) => {
                call.phase = Phase::Held;
                self.drive_ivr(now, id);
                return;
            }
            Route::Feature(code) => {
                let code = code.clone();
                call.phase = Phase::Held;
                self.feature_call(now, id, code);
                return;
            }
            Route::QueueNumber(queue) => {
                let queue = queue.clone();
                call.phase = Phase::Held;
                self.enqueue(now, id, &queue, 0, &[], Default::default());
                return;
            }
            // Only set once media is ready (feature.rs); never seen here.
            Route::Extension | Route::AgentPin(_) | Route::Monitor(_) | Route::Consult(_) => {}
        }
        let callee = call.callee.number.clone();
        let ring_timeout = self.cfg.ring_timeout;
        if let Err((status, reason, cause)) = self.ring(now, id, &callee, ring_timeout) {
            self.fail_call(now, id, status, reason, cause);
        }
    }

    /// Send an INVITE to every registered contact of `extension` for call `id`, and arm the ring
    /// timeout. On failure: the status, reason and CDR cause for the caller.
    pub(super) fn ring(
        &mut self,
        now: Instant,
        id: CallId,
        extension: &str,
        ring_timeout: std::time::Duration,
    ) -> Result<(), (u16, &'static str, &'static str)> {
        if !self.cfg.users.contains_key(extension) {
            return Err((404, "Not Found", "no such extension"));
        }
        let bindings: Vec<BindingTarget> = self
            .registrar
            .lookup(now, extension)
            .into_iter()
            .map(|b| BindingTarget::of(self.cfg.nat, b))
            .collect();
        if bindings.is_empty() {
            return Err((
                480,
                "Temporarily Unavailable (Not Registered)",
                "callee not registered",
            ));
        }
        let presented = self.callback_presented(id);
        let Some(call) = self.calls.get_mut(&id) else {
            return Err((500, "Server Internal Error", "call vanished"));
        };
        // A callback's customer sees the contact center calling, not their own number.
        let from_user = presented.unwrap_or_else(|| call.caller.number.clone());
        let Some(ports) = call.relay else {
            return Err((500, "Server Internal Error", "no media"));
        };
        // Once the switch gave the caller SDP of its own (IVR), the callee is offered exactly
        // that, so the caller's codec needs no change when the two are bridged.
        let offer = match call.caller_media.sdp() {
            Some(ours) => parse_sdp(ours).ok(),
            None => call.a_sdp.clone(),
        };
        let body = offer.map(|s| s.rewrite_for_relay(ports.ip, ports.b_port).into_bytes());
        let max_forwards = sip_fields::max_forwards(&call.a.invite)
            .unwrap_or(70)
            .clamp(1, 70)
            - 1;
        let caller_display = call
            .caller
            .name
            .as_deref()
            .map(sip_fields::quoted_display_name)
            .unwrap_or_default();
        let mut sent = 0;
        for target in bindings {
            let local_tag = sip::message::new_tag();
            let b_call_id = sip::message::new_call_id(&self.cfg.domain);
            let peer = target.peer;
            let mut dialog = target.dialog(
                b_call_id.clone(),
                format!(
                    "{caller_display}<sip:{from_user}@{}>;tag={local_tag}",
                    self.cfg.domain
                ),
                format!("<sip:{extension}@{}>", self.cfg.domain),
                from_user.clone(),
            );
            let mut invite = dialog.request(
                Method::Invite,
                &self.cfg.me,
                body.clone().map(|b| ("application/sdp", b)),
            );
            invite
                .headers
                .retain(|h| !matches!(h, Header::MaxForwards(_)));
            invite
                .headers
                .push(Header::MaxForwards(max_forwards.to_string().into()));
            invite
                .headers
                .push(Header::Allow(super::dialog::ALLOW.into()));
            let tx = match self.tx.send_request(now, peer, invite) {
                Ok(tx) => tx,
                Err(e) => {
                    tracing::warn!(call = id, error = %e, "INVITE to callee not sent");
                    continue;
                }
            };
            let index = call.branches.len();
            call.branches
                .push(Branch::trying(tx, dialog, now, extension.to_string()));
            call.open_client_txs += 1;
            self.client_txs
                .insert(tx, (id, ClientPurpose::BranchInvite(index)));
            self.dialogs.insert((b_call_id, local_tag), (id, Side::B));
            sent += 1;
        }
        if sent == 0 {
            return Err((500, "Server Internal Error", "no INVITE could be sent"));
        }
        let deadline = now + ring_timeout;
        call.phase = Phase::Ringing {
            deadline: Some(deadline),
            best_failure: None,
        };
        self.arm(deadline, CoreTimer::RingTimeout(id));
        Ok(())
    }
}
