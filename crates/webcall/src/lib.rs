//! The WebRTC gateway's media core: a browser's call audio as one more plain RTP leg.
//!
//! A browser sends an SDP offer (over the switch's signalling, not part of this crate);
//! [`WebLeg::answer`] answers it as an ICE-lite, DTLS-SRTP endpoint that takes PCMU (payload
//! type 0) and telephone-event/8000 only, so nothing is transcoded. From then on the leg's task
//! forwards the browser's audio as plain RTP to a relay address it was given and sends what
//! arrives from that address on the leg's own UDP socket ([`WebLeg::rtp_addr`]) to the browser.
//! To the relay, recorder and DTMF detector the leg looks like a SIP phone.
//!
//! Driving it: `answer`, hand the answer to the browser, then read [`WebLeg::next_event`]:
//! [`LegEvent::Connected`] once ICE and DTLS are up, [`LegEvent::Ended`] with an [`EndReason`]
//! when it is over (connect timeout, browser silent or gone, closed). [`WebLeg::close`] ends
//! it and waits until its sockets and tasks are freed.
//!
//! Beside the media: [`signal`], the JSON messages a visitor's page and the switch exchange
//! and the check of a site's signed customer id; [`admission`], the cap on web calls and the
//! per-address rate; [`phone_signal`], the agent's browser phone's messages. All are plain values with the clock passed in.
//!
//! The WebRTC stack is `webrtc` 0.21.1 with the settings DESIGN.md records as proven against
//! Chromium: ICE-lite, mDNS off, loopback candidates when bound to loopback, and the offer's
//! telephone-event/48000 removed before the stack reads it ([`sdp`]).
#![forbid(unsafe_code)]

pub mod admission;
mod config;
mod error;
mod leg;
mod packets;
pub mod phone_signal;
mod ports;
pub mod sdp;
pub mod signal;
mod task;

pub use config::WebCallConfig;
pub use error::{EndReason, WebCallError};
pub use leg::{LegEvent, WebLeg};
