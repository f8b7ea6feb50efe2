//! Monitoring asked for over the HTTP API (`Switch::start_monitor`): the switch rings the
//! supervisor's phone (their account's `extension`) showing `*96<agent>` as the caller, offering
//! PCMU and telephone-event on the listener's port, so the phone's media goes straight to the
//! listener on the agent's call. The order is: checks (as for `*96`, plus a registered phone),
//! [`Action::AttachListener`], then the INVITE once the listener's port is known
//! (`listener_attached`), then on the phone's 2xx the listener learns where to send and the
//! monitoring starts. The phone's failure or the ring timeout ends it without a listener; from
//! then on the call is the same as a `*96` call (keys, hang-up, audit, `monitor.rs`).

use super::call::{CallerMedia, Party, Phase, RelayPorts, Route, Side};
use super::monitor::{MonitorError, MonitorEvent, MonitorMode, Monitoring};
use super::{sip_fields, Action, CallId, ClientPurpose, CoreTimer, Switch};
use crate::records::{CdrEvent, CdrStart, Disposition};
use rsip::{Header, Method, Response};
use sip::transaction::ClientTxId;
use std::net::IpAddr;
use std::time::Instant;

/// The offer a phone rung onto a listener gets: `codec` (PCMU for a supervisor, what the
/// listener sends; the call's own codec for a consultation's third party, whose RTP is relayed
/// as it comes) and RFC 4733 keys.
fn offer(ip: IpAddr, port: u16, session: u64, codec: media::g711::Codec) -> Vec<u8> {
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let (pt, name) = match codec {
        media::g711::Codec::Pcma => (8, "PCMA"),
        _ => (0, "PCMU"),
    };
    format!(
        "v=0\r\no=switchboard {session} {session} IN {family} {ip}\r\ns=switchboard\r\n\
         c=IN {family} {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {pt} 101\r\n\
         a=rtpmap:{pt} {name}/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n\
         a=sendrecv\r\n"
    )
    .into_bytes()
}

impl Switch {
    /// Monitor `agent`'s connected call for `account` (a supervisor or admin): ring the
    /// account's phone; the monitoring starts when it answers. Returns the supervisor's call.
    pub fn start_monitor(
        &mut self,
        now: Instant,
        account: &str,
        agent: &str,
        mode: MonitorMode,
    ) -> Result<CallId, MonitorError> {
        let checked = self.check_start(now, account, agent);
        let (ext, binding, monitored, side) = match checked {
            Ok(ok) => ok,
            Err(e) => {
                let call_id = self.monitored_call(agent).and_then(|c| self.cdr_id_of(c));
                let ext = self.phone_of(account).unwrap_or_default();
                let refused = MonitorEvent::Refused(e.clone());
                let account = Some(account.to_string());
                self.monitor_record(now, account, &ext, agent, call_id, refused);
                return Err(e);
            }
        };
        let id = self.next_call;
        self.next_call += 1;
        let domain = self.cfg.domain.clone();
        let local_tag = sip::message::new_tag();
        let code = format!("*96{agent}");
        let dialog = binding.dialog(
            sip::message::new_call_id(&domain),
            format!("\"Monitor {agent}\" <sip:{code}@{domain}>;tag={local_tag}"),
            format!("<sip:{ext}@{domain}>"),
            code.clone(),
        );
        let parties = (
            Party {
                number: ext.clone(),
                name: None,
            },
            Party {
                number: code.clone(),
                name: None,
            },
        );
        let route = Route::Monitor(agent.to_string());
        let call = self.originated_call(now, dialog, local_tag, parties, route);
        self.actions
            .push_back(Action::Cdr(CdrEvent::Start(CdrStart {
                call_id: call.cdr_id.clone(),
                caller: ext,
                caller_name: None,
                callee: code,
                callee_name: None,
                started_at: self.wall(now),
                channel: call.channel,
            })));
        self.store_originated(id, call);
        self.monitors.insert(
            id,
            Monitoring {
                monitored,
                agent: agent.to_string(),
                account: account.to_string(),
                mode,
                attached: false,
            },
        );
        self.actions.push_back(Action::AttachListener {
            call: monitored,
            listener: id,
            agent_side: side,
            mode,
            codec: media::g711::Codec::Pcmu,
            telephone_event_pt: Some(101),
        });
        tracing::info!(call = id, %agent, %account, "monitoring: ringing the supervisor");
        Ok(id)
    }

    /// The account's phone, as `[[accounts]] extension` or the API gives it.
    fn phone_of(&self, account: &str) -> Option<String> {
        self.cfg
            .supervisor_phones
            .iter()
            .filter(|(_, a)| a.as_str() == account)
            .map(|(e, _)| e.clone())
            .min()
    }

    fn monitored_call(&self, agent: &str) -> Option<CallId> {
        self.agent_call(agent).ok().map(|(c, _)| c)
    }

    fn check_start(
        &self,
        now: Instant,
        account: &str,
        agent: &str,
    ) -> Result<(String, super::route_set::BindingTarget, CallId, Side), MonitorError> {
        let ext = self
            .phone_of(account)
            .ok_or_else(|| MonitorError::NoPhone(account.to_string()))?;
        if !self.may_monitor(account, agent) {
            return Err(MonitorError::OutsideTeams {
                account: account.to_string(),
                agent: agent.to_string(),
            });
        }
        let (monitored, side) = self.agent_call(agent)?;
        if self.monitors.values().any(|m| m.monitored == monitored)
            || self.consults.on_call(monitored)
        {
            return Err(MonitorError::AlreadyMonitored(agent.to_string()));
        }
        let binding = self
            .agent_binding(now, &ext)
            .ok_or_else(|| MonitorError::PhoneOffline(ext.clone()))?;
        Ok((ext, binding, monitored, side))
    }

    /// The listener of a monitoring started over the API is ready: ring the phone.
    pub(super) fn monitor_invite(&mut self, now: Instant, id: CallId, ip: IpAddr, port: u16) {
        let (codec, purpose) = (media::g711::Codec::Pcmu, ClientPurpose::MonitorInvite);
        self.listener_invite(now, id, (ip, port), codec, purpose);
    }

    /// Ring originated call `id`'s phone with an offer of the listener at `ip:port`.
    pub(super) fn listener_invite(
        &mut self,
        now: Instant,
        id: CallId,
        (ip, port): (IpAddr, u16),
        codec: media::g711::Codec,
        purpose: ClientPurpose,
    ) {
        let me = self.cfg.me.clone();
        let ring_timeout = self.cfg.ring_timeout;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.relay = Some(RelayPorts {
            ip,
            a_port: port,
            b_port: port,
        });
        let session = u64::from(port) << 16 | (id & 0xffff);
        let sdp = offer(ip, port, session, codec);
        call.caller_media = CallerMedia::Switch {
            sdp: sdp.clone(),
            codec,
        };
        let mut invite = call
            .a
            .dialog
            .request(Method::Invite, &me, Some(("application/sdp", sdp)));
        invite
            .headers
            .push(Header::Allow(super::dialog::ALLOW.into()));
        // A consultation's third party over a trunk: the carrier gets our identity headers.
        if let Some(a) = call.trunk_out.as_ref().and_then(|d| d.attempt.as_ref()) {
            invite.headers.extend(a.identity.clone());
        }
        let peer = call.a.dialog.peer;
        call.a.invite = invite.clone();
        let tx = match self.tx.send_request(now, peer, invite) {
            Ok(tx) => tx,
            Err(e) => {
                tracing::warn!(call = id, error = %e, "INVITE to a listener's phone not sent");
                self.fail_call(now, id, 503, "Service Unavailable", "INVITE not sent");
                return;
            }
        };
        call.open_client_txs += 1;
        let deadline = now + ring_timeout;
        call.phase = Phase::Ringing {
            deadline: Some(deadline),
            best_failure: None,
        };
        self.arm(deadline, CoreTimer::RingTimeout(id));
        self.client_txs.insert(tx, (id, purpose));
    }

    /// The supervisor's phone answered the monitoring INVITE (`code`), or not.
    pub(super) fn on_monitor_invite_response(
        &mut self,
        now: Instant,
        id: CallId,
        tx: ClientTxId,
        code: u16,
        resp: Option<Response>,
    ) {
        let wanted = self.monitors.contains_key(&id);
        let who = "supervisor's phone";
        let Some(resp) = self.listener_phone_answered(now, (id, tx), code, resp, wanted, who)
        else {
            return;
        };
        let ext = self
            .calls
            .get(&id)
            .map(|c| c.caller.number.clone())
            .unwrap_or_default();
        let target = super::sdp::parse_sdp(&resp.body)
            .ok()
            .and_then(|s| s.audio_target());
        let Some(m) = self.monitors.get_mut(&id) else {
            return;
        };
        m.attached = true;
        let m = m.clone();
        match target {
            Some(t) => self.actions.push_back(Action::ListenerRemote {
                call: m.monitored,
                rtp: t.rtp,
                rtcp: t.rtcp,
            }),
            None => {
                self.hang_up(now, id, None, "supervisor's phone answered without media");
                return;
            }
        }
        self.note_monitoring(m.monitored, &m.account, m.mode);
        let call_id = self.cdr_id_of(m.monitored);
        self.monitor_record(
            now,
            Some(m.account.clone()),
            &ext,
            &m.agent,
            call_id,
            MonitorEvent::Started(m.mode),
        );
    }

    /// A phone rung onto a listener (a supervisor's, a consultation's third party) answered
    /// `code`: a failure ends its call unanswered (`who` did not answer); a 2xx is ACKed and
    /// the call answered, or hung up when it rang out meanwhile or is no longer `wanted`.
    /// The answer, when the call goes on.
    pub(super) fn listener_phone_answered(
        &mut self,
        now: Instant,
        (id, tx): (CallId, ClientTxId),
        code: u16,
        resp: Option<Response>,
        wanted: bool,
        who: &str,
    ) -> Option<Response> {
        if !(200..300).contains(&code) {
            let disposition = match code {
                486 | 600 => Disposition::Busy,
                603 => Disposition::Declined,
                408 | 480 | 487 => Disposition::NoAnswer,
                _ => Disposition::Failed,
            };
            let cause = format!("{who} did not answer");
            self.finish_unanswered(now, id, code, "", disposition, &cause, None);
            return None;
        }
        let resp = resp?;
        let me = self.cfg.me.clone();
        let call = self.calls.get_mut(&id)?;
        super::invite::learn_remote(&mut call.a.dialog, &resp);
        let seq = sip_fields::cseq(&call.a.invite).map_or(1, |(s, _)| s);
        let ack = call.a.dialog.request_with_cseq(Method::Ack, seq, &me, None);
        let peer = call.a.dialog.peer;
        let _ = self.tx.ack_2xx(now, tx, peer, ack);
        if call.phase == Phase::Ended {
            // It rang out meanwhile: take the late answer and hang it up.
            let bye = call.a.dialog.request(Method::Bye, &me, None);
            if let Ok(btx) = self.tx.send_request(now, peer, bye) {
                call.open_client_txs += 1;
                self.client_txs.insert(btx, (id, ClientPurpose::Bye));
            }
            return None;
        }
        call.a.final_sent = true;
        call.answered = Some(now);
        call.phase = Phase::Answered;
        let cdr_id = call.cdr_id.clone();
        self.stats.calls_answered += 1;
        self.actions.push_back(Action::Cdr(CdrEvent::Answer {
            call_id: cdr_id,
            at: self.wall(now),
        }));
        if !wanted {
            // Stopped while ringing: hang the answer up.
            self.hang_up(now, id, None, "no longer wanted");
            return None;
        }
        Some(resp)
    }

    /// The supervisor's phone rang out: cancel the INVITE, end the call.
    pub(super) fn monitor_ring_timeout(&mut self, now: Instant, id: CallId) -> bool {
        let ringing = self.calls.get(&id).is_some_and(|c| {
            matches!(c.route, Route::Monitor(_))
                && c.a.invite_tx.is_none()
                && matches!(c.phase, Phase::Ringing { deadline: Some(d), .. } if d <= now)
        });
        if !ringing {
            return false;
        }
        let pending: Vec<ClientTxId> = self
            .client_txs
            .iter()
            .filter(|(_, (c, p))| {
                *c == id
                    && matches!(
                        p,
                        ClientPurpose::MonitorInvite | ClientPurpose::ConsultInvite
                    )
            })
            .map(|(tx, _)| *tx)
            .collect();
        for tx in pending {
            let _ = self.tx.cancel(now, tx);
        }
        self.finish_unanswered(
            now,
            id,
            408,
            "Request Timeout",
            Disposition::NoAnswer,
            "the phone did not answer",
            None,
        );
        true
    }
}
