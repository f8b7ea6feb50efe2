//! Media for Switchboard: SDP parsing and rewriting for the relay ([`sdp`]), the RTP/RTCP
//! relay ([`MediaRelay`]) that a B2BUA call puts between its two legs, and the IVR's media:
//! G.711 ([`g711`]), RTP packets ([`rtp`]), prompts ([`Prompt`]) and their sans-IO
//! [`Player`], and DTMF detection from all sources ([`dtmf`]).
//!
//! Driving the relay: parse each leg's SDP with [`SessionDescription::parse`],
//! [`MediaRelay::allocate`] a [`RelaySession`] per call, tell it where each side receives with
//! [`RelaySession::set_remote`] (from [`SessionDescription::audio_target`]), and send each leg
//! the other leg's SDP rewritten with [`SessionDescription::rewrite_for_relay`] pointing at
//! [`RelaySession::advertise_ip`] and that leg's [`RelaySession::local_port`].
//!
//! For the IVR, the session becomes the far end of side A: [`RelaySession::play`] sends
//! prompts to the caller and reports [`MediaEvent::Dtmf`] / [`MediaEvent::PlaybackDone`];
//! [`RelaySession::bridge`] goes back to relaying A⇄B.
//!
//! Calls are recorded to stereo WAV (caller left, what the caller hears right) with
//! [`RelaySession::start_recording`]; see [`record`].
//!
//! The relay, its ports and the recorder (tokio) are the default feature `relay`; without it
//! the crate is SDP, RTP, G.711, prompts, the player and DTMF only, for sans-IO users.
#![forbid(unsafe_code)]

pub mod dtmf;
#[cfg(feature = "relay")]
mod error;
pub mod g711;
pub mod mix;
pub mod player;
#[cfg(feature = "relay")]
mod ports;
pub mod prompt;
#[cfg(feature = "relay")]
pub mod record;
#[cfg(feature = "relay")]
mod relay;
mod resample;
pub mod rtp;
pub mod sdp;
pub mod tone;

pub use dtmf::goertzel;
pub use dtmf::{DtmfEvent, DtmfSource};
#[cfg(feature = "relay")]
pub use error::MediaError;
pub use g711::Codec;
pub use mix::{BadMonitorMode, Mixer, MonitorMode, Party};
pub use player::{Packet, Player, PlayerEvent};
pub use prompt::{Prompt, PromptError};
#[cfg(feature = "relay")]
pub use record::{PausedSpan, RecordError, RecordingOptions, RecordingSummary, RepairOutcome};
#[cfg(feature = "relay")]
#[doc(hidden)]
pub use relay::judge_datagrams;
#[cfg(feature = "relay")]
pub use relay::{
    BadStrictSource, DirectionStats, FlowStats, ListenerStats, MediaEvent, MediaRelay, RelayConfig,
    RelaySession, RelayStats, SessionLabel, Side, StrictSource, IDLE_CHECK_EVERY, PROBATION_RTCP,
    PROBATION_RTP,
};
pub use rtp::{RtpError, RtpHeader, RtpPacket};
pub use sdp::{Direction, MediaTarget, SdpError, SessionDescription};
