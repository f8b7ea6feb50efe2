//! The open-file limit. Every call with media holds four sockets (RTP and RTCP on each side),
//! so the usual default soft limit of 1,024 descriptors stops a switch at about 250 calls
//! whatever its RTP range. At start the soft limit is raised to what the RTP range needs (up
//! to the hard limit, which only the operator can raise), and the operator is told when even
//! that is too low.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Descriptors kept for everything but RTP: SIP and HTTP sockets, TCP connections, the
/// database, recordings being written, log files.
const OTHER_FILES: u64 = 256;

/// The open-file limit after [`raise_open_files`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFiles {
    /// The soft limit now in force (`None`: unlimited).
    pub soft: Option<u64>,
    /// What the RTP range and [`OTHER_FILES`] need.
    pub needed: u64,
    /// Whether the soft limit was raised.
    pub raised: bool,
}

impl OpenFiles {
    /// Calls with media the limit holds (`None`: no limit).
    pub fn calls(&self) -> Option<u64> {
        self.soft.map(|s| s.saturating_sub(OTHER_FILES) / 4)
    }

    /// Whether the limit holds every port of the RTP range.
    pub fn enough(&self) -> bool {
        self.soft.is_none_or(|s| s >= self.needed)
    }
}

/// Descriptors a switch with `rtp_ports` ports in its range needs.
pub fn needed(rtp_ports: u64) -> u64 {
    rtp_ports + OTHER_FILES
}

/// The soft limit to ask for: what is needed, never below the current soft limit, never above
/// the hard limit (`None` = unlimited).
pub fn target(current: Option<u64>, hard: Option<u64>, needed: u64) -> Option<u64> {
    match (current, hard) {
        (None, _) => None,
        (Some(c), _) if c >= needed => Some(c),
        (Some(_), Some(h)) => Some(needed.min(h)),
        (Some(_), None) => Some(needed),
    }
}

/// Raise the soft open-file limit for an RTP range of `rtp_ports` ports.
pub fn raise_open_files(rtp_ports: u64) -> std::io::Result<OpenFiles> {
    let needed = needed(rtp_ports);
    let limit = getrlimit(Resource::Nofile);
    let want = target(limit.current, limit.maximum, needed);
    let raised = want != limit.current;
    if raised {
        setrlimit(
            Resource::Nofile,
            Rlimit {
                current: want,
                maximum: limit.maximum,
            },
        )?;
    }
    Ok(OpenFiles {
        soft: want,
        needed,
        raised,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_grows_to_the_need_but_not_past_the_hard_limit() {
        let need = needed(10_000);
        assert_eq!(need, 10_256);
        assert_eq!(target(Some(1024), Some(524_288), need), Some(need));
        assert_eq!(target(Some(1024), Some(4096), need), Some(4096));
        assert_eq!(target(Some(1024), None, need), Some(need));
        // Never lowered, and unlimited stays unlimited.
        assert_eq!(target(Some(65_536), Some(524_288), need), Some(65_536));
        assert_eq!(target(None, None, need), None);
    }

    #[test]
    fn calls_and_enough_follow_the_limit() {
        let f = OpenFiles {
            soft: Some(4096),
            needed: needed(10_000),
            raised: true,
        };
        assert_eq!(f.calls(), Some(960));
        assert!(!f.enough());
        let f = OpenFiles {
            soft: Some(20_000),
            ..f
        };
        assert!(f.enough());
        assert!(OpenFiles { soft: None, ..f }.enough());
    }

    #[test]
    fn raising_for_a_small_range_works_here() {
        // A range this small is within any default limit: nothing is lowered or broken.
        let f = raise_open_files(16).expect("getrlimit/setrlimit");
        assert!(f.enough(), "{f:?}");
    }
}
