//! SDP parsing (RFC 8866, with RFC 3605 `a=rtcp` and RFC 5761 `a=rtcp-mux`): the typed view the
//! B2BUA needs to find where a phone wants its audio, plus the original lines so that
//! [`SessionDescription::rewrite_for_relay`] (in `rewrite.rs`) can keep everything it does not
//! understand byte-for-byte. Pure: no I/O, no clock.

// Media from the network must never panic the process (see the crate's hardening lints).
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod narrow;
mod parse;
mod rewrite;
#[cfg(test)]
mod tests;

use std::fmt;

pub use narrow::NarrowError;
use std::net::{IpAddr, SocketAddr};

/// Why a text is not usable SDP. Line numbers are 1-based, counted in the input text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    #[error("not SDP: the first line must be v=0")]
    NotSdp,
    #[error("line {line}: not of the form <type>=<value>")]
    BadLine { line: usize },
    #[error("line {line}: bad o= line")]
    BadOrigin { line: usize },
    #[error("missing o= line")]
    MissingOrigin,
    #[error("line {line}: bad c= line")]
    BadConnection { line: usize },
    #[error("line {line}: bad m= line")]
    BadMedia { line: usize },
    #[error("line {line}: bad a={name} attribute")]
    BadAttribute { line: usize, name: &'static str },
    #[error("missing c= line for media {index}")]
    MissingConnection { index: usize },
}

/// Media direction attribute (RFC 8866 §6.7); `sendrecv` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn from_attribute(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Self::SendRecv),
            "sendonly" => Some(Self::SendOnly),
            "recvonly" => Some(Self::RecvOnly),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }
}

/// The `o=` line. Fields other than the address are kept as text: they are identifiers the
/// relay must mirror, not numbers it computes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: String,
    pub session_version: String,
    pub address: String,
}

/// A `c=` line. Only IP addresses are accepted: the relay needs something it can send to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    pub address: IpAddr,
    /// 1-based line number in the source text.
    pub line: usize,
}

/// `a=rtcp:<port> [IN IP4|IP6 <addr>]` (RFC 3605).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpAttribute {
    pub port: u16,
    pub address: Option<IpAddr>,
}

/// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u16>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, `application`, ...
    pub media: String,
    pub port: u16,
    /// The `/<n>` port count, if any.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, ...
    pub proto: String,
    pub formats: Vec<String>,
    /// Media-level `c=`, if any (otherwise the session-level one applies).
    pub connection: Option<Connection>,
    pub rtcp: Option<RtcpAttribute>,
    pub rtcp_mux: bool,
    /// Effective direction: the media-level attribute, else the session-level one, else sendrecv.
    pub direction: Direction,
    pub rtpmaps: Vec<RtpMap>,
    /// 1-based line number of the `m=` line.
    pub line: usize,
}

/// Where a stream wants to receive, as [`SessionDescription::audio_target`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaTarget {
    pub rtp: SocketAddr,
    /// `a=rtcp` address/port, else RTP port + 1; `None` with rtcp-mux (RTCP shares the RTP port).
    pub rtcp: Option<SocketAddr>,
    pub direction: Direction,
    pub rtcp_mux: bool,
}

/// What a source line is, so the rewriter knows which lines to touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Origin,
    Connection,
    /// `m=` line of media section `n`.
    Media(usize),
    /// `a=rtcp:` line of media section `n`.
    Rtcp(usize),
    /// ICE attributes: they name the phone's own addresses, which must not leak past the relay.
    Ice,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    /// The source line without its line ending and trailing whitespace.
    text: String,
    kind: LineKind,
}

/// A parsed session description. `Display` prints the source lines (CRLF-terminated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    lines: Vec<Line>,
    origin: Origin,
    connection: Option<Connection>,
    direction: Option<Direction>,
    media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// Parse SDP text. CRLF and LF line ends and trailing whitespace are accepted; blank lines
    /// are skipped; lines of unknown types are kept verbatim.
    pub fn parse(text: &str) -> Result<Self, SdpError> {
        parse::parse(text)
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Session-level direction attribute, if any.
    pub fn session_direction(&self) -> Option<Direction> {
        self.direction
    }

    /// Session-level `c=`.
    pub fn connection(&self) -> Option<Connection> {
        self.connection
    }

    pub fn media(&self) -> &[MediaDescription] {
        &self.media
    }

    /// The `c=` that applies to media section `index`.
    pub fn media_connection(&self, index: usize) -> Option<Connection> {
        self.media
            .get(index)
            .and_then(|m| m.connection.or(self.connection))
    }

    fn first_audio_index(&self) -> Option<usize> {
        self.media.iter().position(|m| m.media == "audio")
    }

    /// Where the first audio stream wants to receive RTP/RTCP (connection address + port,
    /// RTCP = `a=rtcp` port or port+1, `None` with rtcp-mux).
    ///
    /// `None` when there is no audio stream, its port is 0 (declined), or its connection address
    /// is unspecified (`0.0.0.0`, RFC 2543 hold): in all three cases there is nowhere to send.
    pub fn audio_target(&self) -> Option<MediaTarget> {
        let index = self.first_audio_index()?;
        let m = self.media.get(index)?;
        let conn = self.media_connection(index)?;
        if m.port == 0 || conn.address.is_unspecified() {
            return None;
        }
        let rtp = SocketAddr::new(conn.address, m.port);
        let rtcp = if m.rtcp_mux {
            None
        } else {
            match m.rtcp {
                Some(attr) => Some(SocketAddr::new(
                    attr.address.unwrap_or(conn.address),
                    attr.port,
                )),
                None => m
                    .port
                    .checked_add(1)
                    .map(|p| SocketAddr::new(conn.address, p)),
            }
        };
        Some(MediaTarget {
            rtp,
            rtcp,
            direction: m.direction,
            rtcp_mux: m.rtcp_mux,
        })
    }

    /// Rewrite for the relay: the first audio `m=` line gets `port` (and `a=rtcp:port+1` if the
    /// original had an `a=rtcp`), every `c=` and the `o=` address become `addr` (IN IP4/IP6 chosen
    /// by `addr`), other `m=` lines are disabled with port 0, ICE attributes are dropped, and
    /// everything else is kept byte-for-byte. The `o=` session version is the source's.
    ///
    /// Two deliberate exceptions: a `c=` with the unspecified address (RFC 2543 hold) stays
    /// unspecified, so the hold reaches the other side; and an audio stream the source declined
    /// (port 0) stays declined.
    pub fn rewrite_for_relay(&self, addr: IpAddr, port: u16) -> String {
        rewrite::rewrite_for_relay(self, addr, port)
    }

    /// The same description narrowed to what the switch can decode and record (`narrow.rs`):
    /// the first audio stream keeps only PCMU, PCMA and telephone-event/8000 in the source's
    /// order, loses `a=rtcp-mux` and the attributes of the formats it no longer lists, and no
    /// `a=crypto`, `a=zrtp-hash` or `a=fingerprint` is kept. An error when nothing acceptable
    /// is left (an encrypted profile, no G.711), with the reason for a 488.
    pub fn narrow_to_decodable(&self) -> Result<SessionDescription, NarrowError> {
        Ok(narrow::narrow(self)?.unwrap_or_else(|| self.clone()))
    }

    /// [`SessionDescription::narrow_to_decodable`] of an owned description, which comes back
    /// as it is when there is nothing to narrow (no copy).
    pub fn into_decodable(self) -> Result<SessionDescription, NarrowError> {
        Ok(narrow::narrow(&self)?.unwrap_or(self))
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            write!(f, "{}\r\n", line.text)?;
        }
        Ok(())
    }
}
