//! What the configuration says about trunks: the carriers, the numbers they deliver and the
//! prefixes nobody may dial. Plain data with one check ([`TrunkPlan::validate`]) that the
//! configuration file and the HTTP API both run before the switch takes a plan.

use sip::Transport;
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

/// Everything the switch knows about trunks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrunkPlan {
    pub trunks: Vec<TrunkSetup>,
    pub dids: Vec<DidSetup>,
    /// Dialled-number prefixes refused on every trunk (emergency and premium-rate numbers by
    /// default; the configuration's `[outbound] deny`). Compared with the number as dialled and
    /// in E.164 form.
    pub deny_prefixes: Vec<String>,
    /// The country calling code of national numbers (`82` for Korea), as the CRM's
    /// `default_country_code`.
    pub country_code: String,
}

/// One carrier's SIP trunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkSetup {
    /// Unique name, used in dial targets (`trunk:carrier-a/${number}`), CDRs and metrics.
    pub name: String,
    /// The carrier's host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// None: found by DNS SRV (RFC 3263), else 5060.
    pub port: Option<u16>,
    pub transport: Transport,
    /// Source addresses the carrier's calls come from (besides the host's own addresses).
    pub sources: Vec<Cidr>,
    /// When set, an inbound request is this trunk's only if this header (`Request-URI-user`
    /// for the Request-URI's user part, else a header name) has this value: for carriers
    /// that share addresses.
    pub match_header: Option<(String, String)>,
    /// Credentials for registering and for answering the carrier's 401/407 (None: the
    /// carrier knows us by our IP address).
    pub credentials: Option<Credentials>,
    /// Register with the carrier (needs credentials).
    pub register: Option<RegisterSetup>,
    /// Concurrent calls in both directions (None: no limit).
    pub max_channels: Option<u32>,
    /// New outbound calls per second (None: no limit).
    pub max_cps: Option<u32>,
    /// OPTIONS pings (None: the trunk is always taken as up).
    pub ping: Option<PingSetup>,
    /// How the dialled number is sent to the carrier.
    pub rewrite: Rewrite,
    /// The number we present as caller (None: the caller's own).
    pub caller_id: Option<String>,
    /// The form of numbers the carrier expects and sends.
    pub number_format: NumberFormat,
    /// How long an outbound INVITE may go without any answer (not even `100 Trying`) before
    /// the next address of the trunk, then the next trunk, is tried.
    pub answer_timeout: Duration,
}

/// The default [`TrunkSetup::answer_timeout`]: a carrier that says nothing for 5 s is not
/// going to; a 100 Trying comes within a round trip.
pub const DEFAULT_ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest [`TrunkSetup::answer_timeout`]: past it the INVITE's own transaction timer
/// (Timer B, 32 s) decides.
pub const MAX_ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// How we prove who we are to a carrier.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
    /// None: answer the realm the carrier's challenge names.
    pub realm: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .field("realm", &self.realm)
            .finish()
    }
}

/// Registration with a carrier (RFC 3261 §10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSetup {
    /// The expiry we ask for; we re-register before it runs out.
    pub expiry: Duration,
    /// The user of the Contact we register (None: the credentials' username).
    pub contact_user: Option<String>,
}

/// OPTIONS pings and when the trunk's state flips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingSetup {
    pub interval: Duration,
    /// Failed pings in a row that take an up trunk down.
    pub down_after: u32,
    /// Answered pings in a row that bring a down trunk up.
    pub up_after: u32,
}

/// A dialled number's change before it goes to the carrier: strip leading digits, then
/// prepend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewrite {
    pub strip: usize,
    pub prepend: String,
}

/// The form of numbers on a trunk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NumberFormat {
    /// `+82215880000`.
    #[default]
    E164,
    /// `0215880000`.
    National,
}

/// A number delivered by a trunk, and where its calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidSetup {
    /// The number as the carrier sends it in the Request-URI (after E.164/national
    /// normalisation, digits only with an optional leading `+`).
    pub number: String,
    pub target: DidTarget,
}

/// Where a DID's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DidTarget {
    /// A dialplan route's number (the dialplan runs the call as if this number was dialled).
    Route(String),
    /// A queue, by name.
    Queue(String),
    /// An extension.
    Extension(String),
}

/// An address range (`192.0.2.0/24`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an address or address range: {0:?}")]
pub struct CidrError(pub String);

impl std::str::FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CidrError(s.to_string());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().map_err(|_| bad())?,
            None => max,
        };
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { addr, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Cidr {
    /// Whether `ip` is in the range. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as a
    /// dual-stack socket reports IPv4 peers) counts as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// What is wrong with a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("trunk name {0:?}: use letters, digits, '-' and '_' only")]
    BadName(String),
    #[error("two trunks are named {0:?}")]
    DuplicateTrunk(String),
    #[error("trunk {0:?} has no host")]
    NoHost(String),
    #[error("trunk {0:?} registers but has no credentials")]
    RegisterWithoutCredentials(String),
    #[error("trunk {0:?}: the registration expiry must be at least 60 s")]
    ShortExpiry(String),
    #[error("trunk {0:?}: ping interval must be at least 1 s and down_after/up_after at least 1")]
    BadPing(String),
    #[error("trunk {0:?}: max_channels and max_cps must be at least 1 when set")]
    ZeroLimit(String),
    #[error("trunk {0:?}: answer_timeout must be from 1 s to 30 s")]
    BadAnswerTimeout(String),
    #[error("DID {0:?}: a number is digits with an optional leading '+'")]
    BadDid(String),
    #[error("two DIDs are {0:?}")]
    DuplicateDid(String),
    #[error("deny prefix {0:?}: digits with an optional leading '+'")]
    BadDenyPrefix(String),
}

/// Digits with an optional leading `+`, not empty.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

impl TrunkSetup {
    /// A trunk to `host` over UDP (port 5060 or DNS SRV), known by the host's addresses,
    /// authenticating by IP, no limits, no pings, numbers in E.164: set the rest by field.
    pub fn new(name: &str, host: &str) -> Self {
        TrunkSetup {
            name: name.into(),
            host: host.into(),
            port: None,
            transport: Transport::Udp,
            sources: vec![],
            match_header: None,
            credentials: None,
            register: None,
            max_channels: None,
            max_cps: None,
            ping: None,
            rewrite: Rewrite::default(),
            caller_id: None,
            number_format: NumberFormat::E164,
            answer_timeout: DEFAULT_ANSWER_TIMEOUT,
        }
    }
}

impl TrunkPlan {
    /// The trunk of this name.
    pub fn trunk(&self, name: &str) -> Option<&TrunkSetup> {
        self.trunks.iter().find(|t| t.name == name)
    }

    /// Check what the switch cannot run: every error found, in order.
    pub fn validate(&self) -> Result<(), Vec<SetupError>> {
        let mut errors = Vec::new();
        let mut names = HashSet::new();
        for t in &self.trunks {
            let name_ok = !t.name.is_empty()
                && t.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !name_ok {
                errors.push(SetupError::BadName(t.name.clone()));
            }
            if !names.insert(t.name.as_str()) {
                errors.push(SetupError::DuplicateTrunk(t.name.clone()));
            }
            if t.host.trim().is_empty() {
                errors.push(SetupError::NoHost(t.name.clone()));
            }
            if let Some(r) = &t.register {
                if t.credentials.is_none() {
                    errors.push(SetupError::RegisterWithoutCredentials(t.name.clone()));
                }
                if r.expiry < Duration::from_secs(60) {
                    errors.push(SetupError::ShortExpiry(t.name.clone()));
                }
            }
            if let Some(p) = &t.ping {
                if p.interval < Duration::from_secs(1) || p.down_after == 0 || p.up_after == 0 {
                    errors.push(SetupError::BadPing(t.name.clone()));
                }
            }
            if t.max_channels == Some(0) || t.max_cps == Some(0) {
                errors.push(SetupError::ZeroLimit(t.name.clone()));
            }
            if !(Duration::from_secs(1)..=MAX_ANSWER_TIMEOUT).contains(&t.answer_timeout) {
                errors.push(SetupError::BadAnswerTimeout(t.name.clone()));
            }
        }
        let mut dids = HashSet::new();
        for d in &self.dids {
            if !is_number(&d.number) {
                errors.push(SetupError::BadDid(d.number.clone()));
            } else if !dids.insert(d.number.as_str()) {
                errors.push(SetupError::DuplicateDid(d.number.clone()));
            }
        }
        for p in &self.deny_prefixes {
            if !is_number(p) {
                errors.push(SetupError::BadDenyPrefix(p.clone()));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trunk(name: &str) -> TrunkSetup {
        TrunkSetup::new(name, "192.0.2.10")
    }

    #[test]
    fn cidr_parses_and_matches_both_families() {
        let net: Cidr = "192.0.2.0/24".parse().unwrap();
        assert!(net.contains("192.0.2.200".parse().unwrap()));
        assert!(!net.contains("192.0.3.1".parse().unwrap()));
        assert!(net.contains("::ffff:192.0.2.9".parse().unwrap()));
        let one: Cidr = "198.51.100.7".parse().unwrap();
        assert_eq!(one.prefix, 32);
        assert!(one.contains("198.51.100.7".parse().unwrap()));
        assert!(!one.contains("198.51.100.8".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("2001:db9::5".parse().unwrap()));
        assert!(!v6.contains("192.0.2.1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.1".parse().unwrap()));
        for bad in ["", "192.0.2.0/33", "::/129", "example.com", "10.0.0.1/x"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn validate_lists_every_error() {
        let mut dup = trunk("a");
        dup.register = Some(RegisterSetup {
            expiry: Duration::from_secs(30),
            contact_user: None,
        });
        dup.max_channels = Some(0);
        let mut slow = trunk("slow");
        slow.answer_timeout = Duration::from_secs(31);
        let plan = TrunkPlan {
            trunks: vec![trunk("a"), dup, trunk("bad name"), slow],
            dids: vec![
                DidSetup {
                    number: "+8215880000".into(),
                    target: DidTarget::Route("1588".into()),
                },
                DidSetup {
                    number: "+8215880000".into(),
                    target: DidTarget::Queue("sales".into()),
                },
                DidSetup {
                    number: "1588-0000".into(),
                    target: DidTarget::Extension("1001".into()),
                },
            ],
            deny_prefixes: vec!["112".into(), "9x".into()],
            country_code: "82".into(),
        };
        let errors = plan.validate().unwrap_err();
        assert_eq!(
            errors,
            vec![
                SetupError::DuplicateTrunk("a".into()),
                SetupError::RegisterWithoutCredentials("a".into()),
                SetupError::ShortExpiry("a".into()),
                SetupError::ZeroLimit("a".into()),
                SetupError::BadName("bad name".into()),
                SetupError::BadAnswerTimeout("slow".into()),
                SetupError::DuplicateDid("+8215880000".into()),
                SetupError::BadDid("1588-0000".into()),
                SetupError::BadDenyPrefix("9x".into()),
            ]
        );
        let ok = TrunkPlan {
            trunks: vec![trunk("carrier-a"), trunk("carrier_b")],
            ..Default::default()
        };
        assert_eq!(ok.validate(), Ok(()));
        assert!(format!(
            "{:?}",
            Credentials {
                username: "u".into(),
                password: "secret".into(),
                realm: None
            }
        )
        .contains("<hidden>"));
    }
}
