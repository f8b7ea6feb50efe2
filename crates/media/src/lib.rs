//! Media for Switchboard: SDP parsing and rewriting for the relay ([`sdp`]), and the RTP/RTCP
//! relay ([`MediaRelay`]) that a B2BUA call puts between its two legs.
//!
//! Driving it: parse each leg's SDP with [`SessionDescription::parse`], [`MediaRelay::allocate`]
//! a [`RelaySession`] per call, tell it where each side receives with
//! [`RelaySession::set_remote`] (from [`SessionDescription::audio_target`]), and send each leg
//! the other leg's SDP rewritten with [`SessionDescription::rewrite_for_relay`] pointing at
//! [`RelaySession::advertise_ip`] and that leg's [`RelaySession::local_port`].
#![forbid(unsafe_code)]

mod error;
mod ports;
mod relay;
pub mod sdp;

pub use error::MediaError;
pub use relay::{
    DirectionStats, FlowStats, MediaEvent, MediaRelay, RelayConfig, RelaySession, RelayStats, Side,
    IDLE_CHECK_EVERY, RELATCH_AFTER,
};
pub use sdp::{Direction, MediaTarget, SdpError, SessionDescription};
