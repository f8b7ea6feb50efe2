//! The relay hand-off of the SIP driver: sessions are allocated off the driver task and handed
//! back through the control channel, keyed by call id (their label); the core's media actions
//! steer them, and their events (no RTP, digits, prompts played) go back to the core.

use super::{Control, Driver};
use crate::switch::{Action, CallId, Side};
use std::sync::atomic::Ordering;
use std::time::Instant;

impl Driver {
    pub(super) fn media_allocated(
        &mut self,
        call: CallId,
        result: Result<media::RelaySession, media::MediaError>,
    ) {
        let result = match result {
            Ok(session) => {
                session.set_media_timeout(None);
                let ports = (
                    session.advertise_ip(),
                    session.local_port(media::Side::A),
                    session.local_port(media::Side::B),
                );
                self.sessions.insert(call, session);
                Ok(ports)
            }
            Err(e) => Err(e.to_string()),
        };
        self.switch.media_allocated(Instant::now(), call, result);
    }

    pub(super) fn on_media_event(&mut self, ev: media::MediaEvent) {
        let now = Instant::now();
        match ev {
            // Sessions are allocated with the call id as their label.
            media::MediaEvent::Timeout { label: call, idle } => {
                tracing::info!(call, ?idle, "no RTP: ending call (media timeout)");
                self.switch.media_timeout(now, call);
            }
            media::MediaEvent::Dtmf {
                label: call,
                digit,
                source,
            } => {
                tracing::debug!(call, %digit, ?source, "DTMF");
                self.switch.dtmf(now, call, digit, false);
            }
            media::MediaEvent::PlaybackDone { label: call } => {
                self.switch.playback_done(now, call);
            }
            media::MediaEvent::ListenerDtmf { label: call, digit } => {
                tracing::debug!(call, %digit, "supervisor's DTMF");
                self.switch.listener_dtmf(now, call, digit);
            }
            _ => {}
        }
    }

    /// Carry out one of the core's media actions (the others are `act`'s).
    pub(super) async fn relay_action(&mut self, action: Action) {
        match action {
            Action::AllocateMedia { call } => {
                // Binding four sockets is the slowest step of a call's setup: do it on another
                // task so the core keeps serving SIP meanwhile.
                let relay = self.relay.clone();
                let events = self.media_tx.clone();
                let reply = self.control_tx.clone();
                tokio::spawn(async move {
                    let result = relay.allocate(call, events).await;
                    let _ = reply.send(Control::Media { call, result }).await;
                });
            }
            Action::SetRemote {
                call,
                side,
                rtp,
                rtcp,
            } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.set_remote(media_side(side), rtp, rtcp);
                }
            }
            Action::SignalSource { call, side, ip } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.set_signalling_source(media_side(side), ip);
                }
            }
            Action::MediaTimeout { call, enabled } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.set_media_timeout(if enabled { self.media_timeout } else { None });
                }
            }
            Action::ReleaseMedia { call } => {
                if let Some(s) = self.sessions.remove(&call) {
                    let totals = self.media_totals.clone();
                    let recording = self.recordings.remove(&call);
                    let consult = self.consult_recordings.remove(&call);
                    let crm = self.crm.clone();
                    tokio::spawn(async move {
                        for active in consult.into_iter().chain(recording) {
                            crate::driver::recording::finish(&crm, &s, active).await;
                        }
                        let stats = s.close().await;
                        totals
                            .a_to_b
                            .fetch_add(stats.a_to_b.rtp.packets, Ordering::Relaxed);
                        totals
                            .b_to_a
                            .fetch_add(stats.b_to_a.rtp.packets, Ordering::Relaxed);
                        tracing::debug!(call, ?stats, "relay closed");
                    });
                }
            }
            Action::PassZrtp { call } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.pass_zrtp(true);
                }
            }
            Action::Endpoint {
                call,
                telephone_event_pt,
            } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.set_telephone_event_pt(telephone_event_pt);
                    s.listen();
                }
            }
            Action::EndpointSide { call, side } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.endpoint_side(media_side(side));
                }
            }
            Action::Play {
                call,
                prompts,
                codec,
                looping,
            } => {
                if let Some(s) = self.sessions.get(&call) {
                    let prompts = crate::config::dialplans::resolve(&self.prompts, &prompts);
                    if looping {
                        s.play_looping(prompts, codec);
                    } else {
                        s.play(prompts, codec);
                    }
                }
            }
            Action::StopPlayback { call } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.stop_playback();
                }
            }
            Action::Bridge { call } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.bridge();
                }
            }
            Action::StartRecording { call, cdr_id } => {
                if let Some(s) = self.sessions.get(&call) {
                    let dir = self.recordings_dir.clone();
                    if let Some(active) =
                        crate::driver::recording::start(&self.crm, &dir, s, cdr_id).await
                    {
                        self.recordings.insert(call, active);
                    }
                }
            }
            Action::StartConsultRecording { call, cdr_id } => {
                if let Some(s) = self.sessions.get(&call) {
                    let dir = self.recordings_dir.clone();
                    let started =
                        crate::driver::recording::start_consult(&self.crm, &dir, s, cdr_id).await;
                    if let Some(active) = started {
                        self.consult_recordings.insert(call, active);
                    }
                }
            }
            Action::StopConsultRecording { call } => {
                let active = self.consult_recordings.remove(&call);
                if let (Some(s), Some(active)) = (self.sessions.get(&call), active) {
                    let stopped = s.stop_consult_recording();
                    let crm = self.crm.clone();
                    tokio::spawn(async move {
                        crate::driver::recording::complete(&crm, active, stopped.await).await;
                    });
                }
            }
            Action::RecordMessage { call, message } => {
                if let Some(s) = self.sessions.get(&call) {
                    let dir = self.recordings_dir.clone();
                    let running = self.recordings.remove(&call);
                    let started = crate::driver::recording::start_message(
                        &self.crm, &dir, s, running, message,
                    )
                    .await;
                    if let Some(active) = started {
                        self.recordings.insert(call, active);
                    }
                }
            }
            Action::PauseRecording { call, paused } => {
                if let Some(s) = self.sessions.get(&call) {
                    if paused {
                        s.pause_recording();
                    } else {
                        s.resume_recording();
                    }
                }
            }
            _ => {}
        }
    }
}

pub(super) fn media_side(side: Side) -> media::Side {
    match side {
        Side::A => media::Side::A,
        Side::B => media::Side::B,
    }
}
