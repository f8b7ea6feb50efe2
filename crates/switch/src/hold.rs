//! Hold with music from the switch, as PBXs do it: when the callee's phone (an agent's, or any
//! answered extension's) puts the call on hold with a re-INVITE (`sendonly`, `inactive`,
//! `recvonly` or a `0.0.0.0` address), the switch answers that re-INVITE itself instead of
//! passing the hold on, and plays the caller the queue's music (the plan's `moh`, else a
//! chime). The caller's phone is never re-INVITEd: its media stays `sendrecv` towards the
//! relay, so whatever comes next (resume, an attended transfer joining a colleague on the
//! relay's held side, `attended.rs`) needs no renegotiation with it. The resume re-INVITE
//! (`sendrecv`) is answered by the switch too; the music stops and the relay bridges again.
//!
//! The callee side is held this way, and the caller's side of a click-to-dial call (the agent's
//! phone, side A; the customer on B hears the music, the relay's endpoint mode turned to B).
//! Any other hold from the caller's side is passed through as before.

use super::call::{Phase, Side};
use super::dialog::set_body;
use super::sdp::{codec_of, OwnSdp};
use super::{Action, CallId, Switch};
use media::sdp::{Direction, SessionDescription};
use rsip::Request;
use sip::transaction::ServerTxId;
use std::collections::HashSet;
use std::time::Duration;

/// Calls whose callee has them on hold, with the switch playing the caller music.
#[derive(Debug, Default)]
pub(super) struct SwitchHolds(HashSet<CallId>);

impl SwitchHolds {
    pub(super) fn contains(&self, call: CallId) -> bool {
        self.0.contains(&call)
    }

    pub(super) fn forget(&mut self, call: CallId) -> bool {
        self.0.remove(&call)
    }
}

/// Whether an offer puts the call on hold (no address, or not sending and receiving both).
pub(super) fn is_hold(offer: &SessionDescription) -> bool {
    offer
        .audio_target()
        .is_none_or(|t| t.direction != Direction::SendRecv)
}

/// What the switch plays while the callee holds and no music is configured: a chime
/// (C5, E5, G5, then a pause), so the caller knows the line is alive.
fn chime() -> Vec<ivr::Prompt> {
    let note = |hz| ivr::Prompt::Tone {
        freqs: vec![hz],
        duration: Duration::from_millis(400),
    };
    vec![
        note(523),
        note(659),
        note(784),
        ivr::Prompt::Silence(Duration::from_millis(1800)),
    ]
}

impl Switch {
    /// A re-INVITE with SDP from `side` of call `id` (B, or A on a click-to-dial call): a hold
    /// (or a resume of a hold the switch is playing music for) is answered here and true
    /// returned; anything else is left to be passed on (false).
    pub(super) fn hold_by_switch(
        &mut self,
        id: CallId,
        side: Side,
        tx: ServerTxId,
        req: &Request,
        offer: &SessionDescription,
        now: std::time::Instant,
    ) -> bool {
        let held = is_hold(offer);
        let holding = self.holds.contains(id);
        if !held && !holding {
            return false;
        }
        let Some(call) = self.calls.get(&id).filter(|c| c.phase == Phase::Answered) else {
            return false;
        };
        let (Some(relay), Some((codec, te))) = (call.relay, codec_of(offer)) else {
            return false;
        };
        let dialog = match side {
            Side::A => &call.a.dialog,
            Side::B => match call.answered_branch.and_then(|i| call.branches.get(i)) {
                Some(branch) => &branch.dialog,
                None => return false,
            },
        };
        let direction = match offer.audio_target().map(|t| t.direction) {
            Some(Direction::SendOnly) => "recvonly",
            Some(Direction::RecvOnly) => "sendonly",
            Some(Direction::SendRecv) => "sendrecv",
            _ => "inactive",
        };
        let answer = OwnSdp {
            port: relay.port(side),
            codec,
            telephone_event: te,
            both_laws: false,
            direction,
        }
        .render(call);
        let mut ok = sip::message::make_response(req, 200, None, None);
        ok.headers
            .push(self.cfg.me.contact(&dialog.contact_user, dialog.peer));
        set_body(
            &mut ok.headers,
            &mut ok.body,
            answer.map(|b| ("application/sdp", b)),
        );
        // The caller's codec: the switch's own answer to it, else what the holder offers
        // (the relay passed the two phones' agreed law through).
        // A click-to-dial's customer (B) talks the law the agent's phone just offered.
        let play_codec = match (&call.caller_media, side) {
            (super::call::CallerMedia::Switch { codec, .. }, Side::B) => *codec,
            _ => codec,
        };
        let caller_te = match side {
            Side::B => call.a_sdp.as_ref().and_then(codec_of).and_then(|(_, t)| t),
            Side::A => None,
        };
        let signal = super::sdp::signalling_ip(call, side);
        let music = match call.queue.as_ref() {
            Some(q) => self.queue_music(id, &q.queue),
            None => call.moh.clone(),
        };
        self.respond(now, tx, ok);
        if let Some(t) = offer.audio_target() {
            self.point_relay(id, side, t, signal);
        }
        match (held, holding) {
            (true, false) => {
                self.holds.0.insert(id);
                tracing::info!(call = id, ?side, "held: music to the other side");
                if side == Side::A {
                    self.actions.push_back(Action::EndpointSide {
                        call: id,
                        side: Side::B,
                    });
                }
                self.actions.push_back(Action::Endpoint {
                    call: id,
                    telephone_event_pt: caller_te,
                });
                self.actions.push_back(Action::Play {
                    call: id,
                    prompts: music.map_or_else(chime, |m| vec![m]),
                    codec: play_codec,
                    looping: true,
                });
            }
            (false, true) => self.resume_from_hold(id),
            // A hold repeated (a session refresh, or sendonly then inactive): still held.
            _ => {}
        }
        true
    }

    /// The switch stops the caller's music and relays the two sides again.
    pub(super) fn resume_from_hold(&mut self, id: CallId) {
        if self.holds.forget(id) {
            self.actions.push_back(Action::StopPlayback { call: id });
            self.actions.push_back(Action::Bridge { call: id });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdp(direction: &str, addr: &str) -> SessionDescription {
        let text = format!(
            "v=0\r\no=- 1 1 IN IP4 {addr}\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\n\
             m=audio 4000 RTP/AVP 0\r\na={direction}\r\n"
        );
        SessionDescription::parse(&text).expect("sdp")
    }

    #[test]
    fn hold_offers_are_told_from_talking_ones() {
        assert!(is_hold(&sdp("sendonly", "10.0.0.1")));
        assert!(is_hold(&sdp("inactive", "10.0.0.1")));
        assert!(is_hold(&sdp("recvonly", "10.0.0.1")));
        assert!(is_hold(&sdp("sendrecv", "0.0.0.0")), "RFC 2543 hold");
        assert!(!is_hold(&sdp("sendrecv", "10.0.0.1")));
    }
}
