//! Errors of the relay side of the crate (SDP errors live with the parser in `sdp`).

/// Why the relay could not be configured or could not give a call its ports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    #[error("bad RTP port range {min}-{max}: {reason}")]
    BadPortRange {
        min: u16,
        max: u16,
        reason: &'static str,
    },
    #[error("no free RTP/RTCP port pair left in {min}-{max}")]
    PortsExhausted { min: u16, max: u16 },
    #[error("media socket setup failed: {0}")]
    Io(#[from] std::io::Error),
}
