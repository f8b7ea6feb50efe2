//! What can go wrong with a web leg: refused before it starts ([`WebCallError`]) or ended
//! after ([`EndReason`], also reported as an event).

use std::fmt;
use std::io;

/// Why a leg could not be set up, or why it ended before it connected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebCallError {
    /// The offer is not SDP the leg can read.
    #[error("bad SDP offer: {0}")]
    BadSdp(String),
    /// The offer's audio has no PCMU on payload type 0: bridging it would need transcoding.
    #[error("the offer has no PCMU audio (payload type 0)")]
    NoPcmu,
    /// The gateway's settings are unusable.
    #[error("bad web call configuration: {0}")]
    Config(String),
    /// Every port of the range is taken.
    #[error("no free UDP port in {min}-{max} on {ip}")]
    NoPort {
        ip: std::net::IpAddr,
        min: u16,
        max: u16,
    },
    /// The WebRTC stack refused a step of the answer.
    #[error("WebRTC {step}: {source}")]
    Rtc {
        step: &'static str,
        #[source]
        source: webrtc::error::Error,
    },
    /// The leg's own sockets.
    #[error("web leg socket: {0}")]
    Io(#[from] io::Error),
    /// The leg ended (before connecting, when waiting for it to connect).
    #[error("the web leg ended: {0}")]
    Ended(EndReason),
}

impl WebCallError {
    pub(crate) fn rtc(step: &'static str) -> impl FnOnce(webrtc::error::Error) -> Self {
        move |source| Self::Rtc { step, source }
    }
}

/// Why a leg ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// [`WebLeg::close`](crate::WebLeg::close) was called or the leg was dropped.
    Closed,
    /// The browser sent no ICE connectivity check that succeeded within the connect timeout.
    IceTimeout,
    /// ICE connected but the DTLS handshake did not finish within the connect timeout.
    DtlsTimeout,
    /// The browser stopped answering (no media, no consent checks) after it had connected:
    /// tab closed without a goodbye, network lost.
    ConsentLost,
    /// The browser closed the connection (DTLS close_notify).
    RemoteClosed,
    /// The WebRTC stack failed the connection before it connected (say, a DTLS error).
    Failed(String),
}

impl fmt::Display for EndReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("closed by the switch"),
            Self::IceTimeout => f.write_str("ICE did not connect in time"),
            Self::DtlsTimeout => f.write_str("DTLS handshake did not finish in time"),
            Self::ConsentLost => f.write_str("the browser stopped answering"),
            Self::RemoteClosed => f.write_str("the browser closed the connection"),
            Self::Failed(why) => write!(f, "connection failed: {why}"),
        }
    }
}
