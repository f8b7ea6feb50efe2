//! A gateway's settings, shared by all its legs: where the WebRTC side binds (an address and
//! the switch's RTP port range, so one firewall rule covers both kinds of media), how long a
//! browser may take to connect, and how long it may fall silent before its leg ends.

use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::time::Duration;

use crate::WebCallError;

/// Settings for [`WebLeg::answer`](crate::WebLeg::answer). Every field has a default that works
/// on one machine (loopback, a high port range); a server sets `bind_ip` to its public address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebCallConfig {
    /// The address the browser's media (ICE, DTLS-SRTP) reaches: the leg's one host candidate.
    pub bind_ip: IpAddr,
    /// The UDP ports a leg may use for its WebRTC side (one per leg).
    pub ports: RangeInclusive<u16>,
    /// The address of the leg's plain RTP socket, the one the relay talks to (port picked by
    /// the system: it never leaves the machine).
    pub rtp_bind_ip: IpAddr,
    /// The time from the answer until the browser has completed ICE and DTLS; past it the leg
    /// ends ([`EndReason::IceTimeout`](crate::EndReason::IceTimeout) or
    /// [`EndReason::DtlsTimeout`](crate::EndReason::DtlsTimeout)).
    pub connect_timeout: Duration,
    /// Silence from the browser (no media, no consent check) after which ICE calls the path
    /// disconnected.
    pub disconnected_timeout: Duration,
    /// Further silence after which the path has failed and the leg ends
    /// ([`EndReason::ConsentLost`](crate::EndReason::ConsentLost)).
    pub failed_timeout: Duration,
    /// The payload type telephone-events (RFC 4733) carry on the plain RTP side, whatever the
    /// browser chose: the switch offers 101 when it picks one itself.
    pub telephone_event_pt: u8,
}

impl Default for WebCallConfig {
    fn default() -> Self {
        Self {
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            ports: 40000..=40999,
            rtp_bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            connect_timeout: Duration::from_secs(10),
            disconnected_timeout: Duration::from_secs(5),
            failed_timeout: Duration::from_secs(5),
            telephone_event_pt: 101,
        }
    }
}

impl WebCallConfig {
    /// Checks the settings a leg cannot work with; [`WebLeg::answer`](crate::WebLeg::answer)
    /// calls it first.
    pub fn validate(&self) -> Result<(), WebCallError> {
        let bad = |why: String| Err(WebCallError::Config(why));
        if *self.ports.start() == 0 {
            return bad("port 0 is not a port".into());
        }
        if self.ports.is_empty() {
            return bad(format!(
                "empty port range {}-{}",
                self.ports.start(),
                self.ports.end()
            ));
        }
        if self.bind_ip.is_unspecified() {
            return bad(format!(
                "bind_ip {} is no address a browser can reach: name the interface's address",
                self.bind_ip
            ));
        }
        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("disconnected_timeout", self.disconnected_timeout),
            ("failed_timeout", self.failed_timeout),
        ] {
            if value.is_zero() {
                return bad(format!("{name} must be more than zero"));
            }
        }
        // RFC 3551 dynamic range; 0-95 are static assignments (0 itself is PCMU).
        if !(96..=127).contains(&self.telephone_event_pt) {
            return bad(format!(
                "telephone_event_pt {} is outside the dynamic range 96-127",
                self.telephone_event_pt
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(cfg: WebCallConfig) -> String {
        match cfg.validate() {
            Err(WebCallError::Config(why)) => why,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn the_default_is_valid() {
        WebCallConfig::default().validate().expect("default");
    }

    #[test]
    fn bad_settings_are_refused_with_the_reason() {
        let base = WebCallConfig::default;
        #[allow(clippy::reversed_empty_ranges)]
        let empty = 40010..=40000;
        assert!(refused(WebCallConfig {
            ports: empty,
            ..base()
        })
        .contains("empty port range"));
        assert!(refused(WebCallConfig {
            ports: 0..=10,
            ..base()
        })
        .contains("port 0"));
        assert!(refused(WebCallConfig {
            bind_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ..base()
        })
        .contains("bind_ip"));
        assert!(refused(WebCallConfig {
            connect_timeout: Duration::ZERO,
            ..base()
        })
        .contains("connect_timeout"));
        assert!(refused(WebCallConfig {
            telephone_event_pt: 0,
            ..base()
        })
        .contains("telephone_event_pt"));
    }
}
