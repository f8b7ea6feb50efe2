//! The configuration file's sections as written (every key optional), with the defaults that
//! run a safe local demo; `config::resolve` turns them into what the switch runs on.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use toml::Spanned;

/// The whole configuration, as read from the file (or all defaults).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where SQLite, demo credentials and other state live.
    pub data_dir: PathBuf,
    pub sip: SipConfig,
    pub media: MediaConfig,
    pub http: HttpConfig,
    pub database: DatabaseConfig,
    pub ivr: IvrConfig,
    pub users: Vec<Spanned<UserConfig>>,
    pub acd: super::acd_sections::AcdSection,
    pub queues: Vec<super::acd_sections::QueueSection>,
    pub agents: Vec<super::acd_sections::AgentSection>,
    pub recording: super::recording::RecordingSection,
    /// Logins for the HTTP API (`config::accounts`).
    pub accounts: Vec<Spanned<super::accounts::AccountSection>>,
    /// Caps and timeouts (`config::limits`).
    pub limits: super::limits::LimitsSection,
    /// Carriers' SIP trunks, the numbers they deliver, and what may not be dialled
    /// (`config::trunks`).
    pub trunks: Vec<Spanned<super::trunks::TrunkSection>>,
    pub dids: Vec<Spanned<super::trunks::DidSection>>,
    pub outbound: super::trunks::OutboundSection,
    /// Browser calls from web pages (`config::web`).
    pub web: super::web::WebSection,
    /// The QA-review loop's time zone and schedule (`config::qa`).
    pub qa: super::qa::QaSection,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct IvrConfig {
    /// Directory of dialplan files. Default `dialplans`; when that default is missing, extensions
    /// simply dial each other.
    pub dialplans: Option<Spanned<String>>,
    /// Directory of prompt WAV files (default: `<dialplans>/prompts`).
    pub prompts: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SipConfig {
    /// `udp://IP:PORT` or `tcp://IP:PORT` entries.
    pub listen: Vec<Spanned<String>>,
    /// SIP domain and digest realm.
    pub domain: String,
    pub t1_ms: u64,
    pub t2_ms: u64,
    pub t4_ms: u64,
    /// How long a callee may ring before the caller gets 480.
    pub ring_timeout_s: u64,
    pub min_expires_s: u32,
    pub max_expires_s: u32,
    pub default_expires_s: u32,
    /// How long a digest nonce stays valid.
    pub nonce_lifetime_s: u64,
    /// Digest algorithms offered (in this order) and accepted: "MD5", "SHA-256".
    pub auth_algorithms: Vec<Spanned<String>>,
    /// Address written into our Via/Contact headers when it differs from the listen address
    /// (e.g. behind a 1:1 NAT). Default: the listen address.
    pub public_address: Option<Spanned<String>>,
    /// Where requests for a registered phone go: "auto" (default), "always" (the address its
    /// REGISTER came from) or "never" (its Contact); docs/configuration.md.
    pub nat: Spanned<String>,
    /// Limits on failed digest attempts (docs/security.md, "Access").
    pub auth_throttle: AuthThrottleConfig,
    /// DNS servers (`IP:PORT`) for trunks' host names; empty: the system's (/etc/resolv.conf).
    pub dns_servers: Vec<Spanned<String>>,
}

/// `[sip.auth_throttle]`: failed digest attempts per source address and per extension.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthThrottleConfig {
    /// Failures from one address within `window_s` that block it (0: no limit).
    pub max_failures_per_address: u32,
    /// Failures for one extension within `window_s` that block it (0: no limit).
    pub max_failures_per_extension: u32,
    pub window_s: u64,
    /// The first block; each next block of the same key doubles, up to `max_block_s`.
    pub block_s: u64,
    pub max_block_s: u64,
}

impl Default for AuthThrottleConfig {
    fn default() -> Self {
        AuthThrottleConfig {
            max_failures_per_address: 10,
            max_failures_per_extension: 20,
            window_s: 300,
            block_s: 60,
            max_block_s: 3600,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    /// Address the relay sockets bind to.
    pub bind: Spanned<String>,
    /// Address written into SDP (default: `bind`).
    pub advertise: Option<Spanned<String>>,
    pub port_min: u16,
    pub port_max: Spanned<u16>,
    /// A call with no RTP from either side for this long is ended (0 disables).
    pub timeout_s: u64,
    /// "address" (default) or "ip": whether a latched media source may move to another port
    /// of its IP without a new offer/answer (docs/security.md, "Media").
    pub strict_source: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub listen: Spanned<String>,
    /// Mark the session cookie `Secure` (serve over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookies: bool,
    /// Serve `/metrics` without a login.
    pub open_metrics: bool,
    /// A browser session unused for this long ends.
    pub session_idle_s: u64,
    /// How long a username/address pair is refused after 5 failed logins.
    pub login_lockout_s: u64,
    /// A browser session ends this long after its login, however much it is used.
    pub session_max_s: u64,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client (for the login
    /// lockout and logs); empty: the connecting address is the client.
    pub trusted_proxies: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://path` (relative paths are under `data_dir`) or `postgres://...`.
    /// Default: `sqlite://<data_dir>/switchboard.db`.
    pub url: Option<Spanned<String>>,
    /// Country code for national numbers in the CRM (e.g. "82": 010-1234-5678 is +821012345678).
    pub default_country_code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub extension: Spanned<String>,
    pub password: Spanned<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// `decodable` or `as-is`: what offers of this extension's calls (made or received) may
    /// carry (the `[recording]` section's `offers` when left out).
    #[serde(default)]
    pub offers: Option<Spanned<String>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            sip: SipConfig::default(),
            media: MediaConfig::default(),
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
            ivr: IvrConfig::default(),
            users: Vec::new(),
            acd: Default::default(),
            queues: Vec::new(),
            agents: Vec::new(),
            recording: Default::default(),
            accounts: Vec::new(),
            limits: Default::default(),
            trunks: Vec::new(),
            dids: Vec::new(),
            outbound: Default::default(),
            web: Default::default(),
            qa: Default::default(),
        }
    }
}

impl Default for SipConfig {
    fn default() -> Self {
        SipConfig {
            listen: vec![
                Spanned::new(0..0, "udp://127.0.0.1:5060".into()),
                Spanned::new(0..0, "tcp://127.0.0.1:5060".into()),
            ],
            domain: "switchboard.local".into(),
            t1_ms: 500,
            t2_ms: 4000,
            t4_ms: 5000,
            ring_timeout_s: 60,
            min_expires_s: 60,
            max_expires_s: 3600,
            default_expires_s: 3600,
            nonce_lifetime_s: 300,
            // MD5 alone by default: SIPp and many deployed phones answer only the first
            // challenge, and some (baresip 1.0) fail outright when any challenge is not MD5.
            auth_algorithms: vec![Spanned::new(0..0, "MD5".into())],
            public_address: None,
            nat: Spanned::new(0..0, "auto".into()),
            auth_throttle: AuthThrottleConfig::default(),
            dns_servers: Vec::new(),
        }
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            bind: Spanned::new(0..0, "127.0.0.1".into()),
            advertise: None,
            port_min: 20000,
            port_max: Spanned::new(0..0, 29999),
            timeout_s: 60,
            strict_source: Spanned::new(0..0, "address".into()),
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: Spanned::new(0..0, "127.0.0.1:8080".into()),
            secure_cookies: false,
            open_metrics: false,
            session_idle_s: 8 * 3600,
            login_lockout_s: 30,
            session_max_s: 12 * 3600,
            trusted_proxies: Vec::new(),
        }
    }
}
