//! Calls run by a dialplan: the switch answers (or gives early media), plays prompts through the
//! relay's endpoint mode, feeds digits, playback ends, CRM answers and timeouts to the plan's
//! `ivr::Session`, and carries out its Dial/Enqueue/Hangup by ringing extensions or ending the call.

use super::call::{BranchState, CallerMedia, Phase, Route};
use super::dialog::set_body;
use super::sdp::endpoint_sdp;
use super::{Action, CallId, CoreTimer, Switch};
use crate::records::{CdrEvent, Disposition, HangupSide};
use std::time::Instant;

/// How close the same key from INFO and from the media must be to count as one press.
const DTMF_DUPLICATE_WINDOW: std::time::Duration = std::time::Duration::from_millis(800);

impl Switch {
    /// A DTMF digit from the caller: `via_info` for SIP INFO, else from the media (RFC 4733 or
    /// in-band, already deduplicated by the relay). A phone that signals one key press both in
    /// INFO and in the media gives the same digit twice within moments: the second is dropped.
    pub fn dtmf(&mut self, now: Instant, call: CallId, digit: char, via_info: bool) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        if let Some((last, at, last_info)) = c.last_dtmf {
            if last == digit
                && last_info != via_info
                && now.saturating_duration_since(at) < DTMF_DUPLICATE_WINDOW
            {
                tracing::debug!(call, %digit, "same key from INFO and media: counted once");
                return;
            }
        }
        c.last_dtmf = Some((digit, now, via_info));
        super::call_log::digit(c, digit, via_info);
        if self.monitor_digit(now, call, digit) || self.pin_digit(now, call, digit) {
            self.process(now);
            return;
        }
        // A caller waiting in a queue (or leaving a message) talks to the queue, not the plan.
        if self.queue_digit(now, call, digit) {
            self.process(now);
            return;
        }
        let wall = self.wall(now);
        self.ivr_input(now, call, ivr::Input::Digit { now, wall, digit });
    }

    /// The relay finished playing what the plan asked for.
    pub fn playback_done(&mut self, now: Instant, call: CallId) {
        if self.calls.get(&call).is_some_and(|c| c.route.is_feature()) {
            self.hang_up(now, call, None, "feature code done");
            self.process(now);
            return;
        }
        if self
            .calls
            .get(&call)
            .is_some_and(|c| matches!(c.route, Route::AgentPin(_)))
        {
            return; // the PIN prompt ended: the caller types now
        }
        if self.exit_playback_done(now, call) {
            self.process(now);
            return;
        }
        if self.announcement_done(call) {
            return;
        }
        let wall = self.wall(now);
        self.ivr_input(now, call, ivr::Input::PlaybackDone { now, wall });
    }

    /// The CRM answered a `LookupCaller`.
    pub fn lookup_result(&mut self, now: Instant, call: CallId, customer: Option<ivr::Customer>) {
        let wall = self.wall(now);
        self.ivr_input(
            now,
            call,
            ivr::Input::LookupResult {
                now,
                wall,
                customer,
            },
        );
    }

    /// Replace the dialplans; calls in progress keep the plan they started with.
    pub fn reload_dialplans(&mut self, plans: Option<ivr::Dialplans>) {
        self.dialplans = plans;
    }

    fn ivr_input(&mut self, now: Instant, call: CallId, input: ivr::Input) {
        let Some(session) = self.calls.get_mut(&call).and_then(|c| c.route.plan_mut()) else {
            return;
        };
        session.handle(input);
        self.drive_ivr(now, call);
        self.process(now);
    }

    /// The plan's timer fired (menu input, digit timeouts, lookup timeout).
    pub(super) fn ivr_timeout(&mut self, now: Instant, call: CallId) {
        let due = self
            .calls
            .get(&call)
            .and_then(|c| c.route.plan())
            .and_then(|s| s.poll_timeout())
            .is_some_and(|at| at <= now);
        if due {
            let wall = self.wall(now);
            if let Some(s) = self.calls.get_mut(&call).and_then(|c| c.route.plan_mut()) {
                s.handle(ivr::Input::Timeout { now, wall });
            }
            self.drive_ivr(now, call);
        }
    }

    /// Carry out the plan's actions until it waits for input.
    pub(super) fn drive_ivr(&mut self, now: Instant, id: CallId) {
        loop {
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            if call.phase == Phase::Ended {
                return;
            }
            let Some(action) = call.route.plan_mut().and_then(|s| s.poll_action()) else {
                break;
            };
            super::call_log::ivr_step(call, &action);
            match action {
                ivr::Action::Answer => self.ivr_answer(now, id),
                ivr::Action::Play { prompts, .. } => {
                    self.ivr_early_media(now, id);
                    let codec = self
                        .calls
                        .get(&id)
                        .map(|c| c.caller_media.codec())
                        .unwrap_or(media::g711::Codec::Pcmu);
                    self.actions.push_back(Action::Play {
                        call: id,
                        prompts,
                        codec,
                        looping: false,
                    });
                }
                ivr::Action::StopPlayback => {
                    self.actions.push_back(Action::StopPlayback { call: id })
                }
                ivr::Action::LookupCaller { number } => self
                    .actions
                    .push_back(Action::LookupCaller { call: id, number }),
                ivr::Action::Dial {
                    extension,
                    ring_timeout,
                } => self.ivr_dial(now, id, &extension, ring_timeout),
                ivr::Action::Enqueue {
                    queue,
                    priority,
                    skills,
                    vars,
                } => {
                    self.enqueue(now, id, &queue, priority, &skills, vars);
                    return;
                }
                ivr::Action::MusicOnHold { source } => {
                    let moh = self.dialplans.as_ref().and_then(|d| d.prompt(&source));
                    if moh.is_none() {
                        tracing::warn!(call = id, %source, "unusable music-on-hold source");
                    }
                    if let Some(call) = self.calls.get_mut(&id) {
                        call.moh = moh;
                    }
                }
                ivr::Action::Recording { pause }
                    if self.calls.get(&id).is_some_and(|c| c.recording) =>
                {
                    self.actions.push_back(Action::PauseRecording {
                        call: id,
                        paused: pause,
                    });
                }
                ivr::Action::SetVar { name, value } => {
                    if let Some(call) = self.calls.get_mut(&id) {
                        call.vars.insert(name, value);
                    }
                }
                ivr::Action::Hangup { cause } => {
                    self.ivr_hangup(now, id, &cause);
                    return;
                }
                _ => {}
            }
        }
        if let Some(at) = self
            .calls
            .get(&id)
            .and_then(|c| c.route.plan())
            .and_then(|s| s.poll_timeout())
        {
            self.arm(at, CoreTimer::Ivr(id));
        }
    }

    pub(super) fn ivr_dial(
        &mut self,
        now: Instant,
        id: CallId,
        extension: &str,
        timeout: std::time::Duration,
    ) {
        if let Some(call) = self.calls.get_mut(&id) {
            self.extension_calls.set_callee(call, extension.to_string());
            call.callee.name = self.cfg.users.get(extension).and_then(|(_, n)| n.clone());
            super::call_log::plan_dials(call, extension);
        }
        let rung = match super::trunk_out::DialTarget::parse(extension) {
            None => self.ring(now, id, extension, timeout),
            Some(Some(target)) => self.dial_trunks(now, id, target, timeout),
            Some(None) => Err((404, "Not Found", "malformed trunk dial target")),
        };
        if let Err((_, _, cause)) = rung {
            tracing::info!(call = id, %extension, %cause, "dial from the dialplan failed");
            // Nothing rang (unknown or unregistered extension): a failure, not "no answer",
            // so the plan's on_failure step runs (ivr::DialOutcome::Failed).
            self.feed_dial_result(now, id, ivr::DialOutcome::Failed);
            return;
        }
        // A caller the switch answered would hear silence while the extension rings: give it the
        // plan's music on hold, or ringback.
        if let Some(call) = self
            .calls
            .get(&id)
            .filter(|c| c.a.final_sent || c.caller_media.is_switch())
        {
            let moh = call.moh.clone();
            self.play_waiting(id, moh);
        }
    }

    /// Every branch of a dial from the plan failed (or rang out).
    pub(super) fn ivr_dial_result(&mut self, now: Instant, id: CallId, outcome: ivr::DialOutcome) {
        self.feed_dial_result(now, id, outcome);
        self.drive_ivr(now, id);
    }

    fn feed_dial_result(&mut self, now: Instant, id: CallId, outcome: ivr::DialOutcome) {
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.phase = Phase::Held;
        let finished = call.route.plan().is_none_or(|s| s.is_finished());
        if finished {
            // The plan already let go (a queue's extension failed): nobody is left to ask.
            let cause = match outcome {
                ivr::DialOutcome::Busy => "busy",
                ivr::DialOutcome::NoAnswer => "no answer",
                _ => "unavailable",
            };
            self.ivr_hangup(now, id, cause);
            return;
        }
        if let Some(s) = call.route.plan_mut() {
            s.handle(ivr::Input::DialResult { now, wall, outcome });
        }
    }

    /// The plan answers the call: 200 OK with the switch's own SDP; the relay plays to the caller.
    pub(super) fn ivr_answer(&mut self, now: Instant, id: CallId) {
        let wall = self.wall(now);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.a.final_sent {
            return;
        }
        let Some((sdp, codec, te)) = endpoint_sdp(call) else {
            self.fail_call(
                now,
                id,
                488,
                "Not Acceptable Here (No G.711)",
                "no common codec",
            );
            return;
        };
        let fresh = !call.caller_media.is_switch();
        call.caller_media = CallerMedia::Switch {
            sdp: sdp.clone(),
            codec,
        };
        call.a.final_sent = true;
        call.answered = Some(now);
        let ok = call.caller_ok(&self.cfg.me, 200, Some(sdp));
        let stx = call.a.invite_tx;
        let cdr_id = call.cdr_id.clone();
        if fresh {
            self.actions.push_back(Action::Endpoint {
                call: id,
                telephone_event_pt: te,
            });
        }
        if let Some(stx) = stx {
            self.respond(now, stx, ok);
        }
        self.stats.calls_answered += 1;
        self.actions.push_back(Action::Cdr(CdrEvent::Answer {
            call_id: cdr_id,
            at: wall,
        }));
    }

    /// Prompts before an answer go out as early media (183 with the switch's SDP).
    fn ivr_early_media(&mut self, now: Instant, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.a.final_sent || call.caller_media.is_switch() {
            return;
        }
        let Some((sdp, codec, te)) = endpoint_sdp(call) else {
            return;
        };
        call.caller_media = CallerMedia::Switch {
            sdp: sdp.clone(),
            codec,
        };
        let mut progress = sip::message::make_response(
            &call.a.invite,
            183,
            Some("Session Progress"),
            Some(&call.a.local_tag),
        );
        progress
            .headers
            .push(self.cfg.me.contact(&call.callee.number, call.a.dialog.peer));
        set_body(
            &mut progress.headers,
            &mut progress.body,
            Some(("application/sdp", sdp)),
        );
        let stx = call.a.invite_tx;
        self.actions.push_back(Action::Endpoint {
            call: id,
            telephone_event_pt: te,
        });
        if let Some(stx) = stx {
            self.respond(now, stx, progress);
        }
    }

    /// The plan hangs up: BYE if the caller was answered, else the final response its cause names.
    pub(super) fn ivr_hangup(&mut self, now: Instant, id: CallId, cause: &str) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.a.final_sent {
            self.hang_up(now, id, None, cause);
            return;
        }
        let (status, reason, disposition) = match cause {
            "busy" => (486, "Busy Here", Disposition::Busy),
            "no answer" | "no_answer" => (480, "No Answer", Disposition::NoAnswer),
            _ => (480, "Temporarily Unavailable", Disposition::Failed),
        };
        self.finish_unanswered(
            now,
            id,
            status,
            reason,
            disposition,
            cause,
            Some(HangupSide::Switch),
        );
    }

    /// CANCEL every branch still ringing.
    pub(super) fn cancel_branches(&mut self, now: Instant, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut txs = Vec::new();
        for b in call.branches.iter_mut() {
            if matches!(b.state, BranchState::Trying | BranchState::Early) {
                b.state = BranchState::Cancelled;
                b.ended = Some(now);
                txs.push(b.tx);
            }
        }
        for t in txs {
            let _ = self.tx.cancel(now, t);
        }
    }
}
