//! The one TOML configuration file: every key optional, defaults that run a safe local demo.
//!
//! `load` parses and validates; every problem is reported as `file:line:column: message` so
//! `switchboard check` can point at the exact spot. `docs/configuration.md` documents each key.
//!
//! - [`accounts`]: `[[accounts]]` and the access-control keys of `[http]`;
//! - [`file`]: the file's sections as written, with their defaults;
//! - [`acd_sections`]: `[acd]`, `[[queues]]` and `[[agents]]`;
//! - [`queue_definition`]: queue definitions and memberships given to the HTTP API;
//! - [`limits`]: the `[limits]` section (caps and timeouts);
//! - [`recording`]: the `[recording]` section;
//! - [`stored_queues`]: those definitions as stored in the CRM, applied over the file's at start;
//! - [`trunks`]: `[[trunks]]`, `[[dids]]` and `[outbound]` (carriers' SIP trunks);
//! - [`stored_trunks`]: trunks and DIDs stored through the API, applied over the file's at start;
//! - [`dialplans`]: dialplans and their prompts, loaded and checked;
//! - [`demo`]: the configuration `serve` runs with no file;
//! - [`web`]: `[web]` and `[[web.entries]]` (browser calls from web pages);
//! - [`export`]: `switchboard config export`, the running configuration as one file.

pub mod accounts;
pub mod acd_sections;
pub mod demo;
pub mod dialplans;
pub mod directory_definition;
pub mod export;
pub mod file;
pub mod limits;
pub mod qa;
pub mod queue_definition;
pub mod recording;
pub mod stored_directory;
pub mod stored_queues;
pub mod stored_trunks;
pub mod trunks;
pub mod web;

pub use file::{Config, UserConfig};
use sip::Transport;
use std::net::{IpAddr, SocketAddr};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// One problem found in the configuration, located in the file when possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Everything wrong with a configuration file.
#[derive(Debug, thiserror::Error)]
#[error("{}", render(.file, .problems))]
pub struct ConfigError {
    pub file: String,
    pub problems: Vec<Problem>,
}

fn render(file: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{file}:{}:{}: {}", p.line, p.column, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A configuration with everything resolved into typed values the switch runs on.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub data_dir: PathBuf,
    pub listen: Vec<(Transport, SocketAddr)>,
    pub public_ip: Option<IpAddr>,
    pub nat: crate::switch::NatMode,
    pub domain: String,
    pub timers: sip::transaction::TimerConfig,
    pub ring_timeout: Duration,
    pub registrar: sip::registrar::RegistrarConfig,
    pub nonce_lifetime: Duration,
    pub auth_algorithms: Vec<sip::auth::Algorithm>,
    pub auth_throttle: crate::switch::ThrottleConfig,
    pub media_bind: IpAddr,
    pub media_advertise: IpAddr,
    pub port_min: u16,
    pub port_max: u16,
    pub media_timeout: Option<Duration>,
    pub strict_source: media::StrictSource,
    pub http_listen: SocketAddr,
    pub database_url: String,
    pub default_country_code: Option<String>,
    /// Dialplan directory and whether it must exist (it was named in the file).
    pub dialplans_dir: Option<(PathBuf, bool)>,
    pub prompts_dir: PathBuf,
    /// Queues and agents of the ACD.
    pub acd: crate::switch::AcdSetup,
    /// Each file queue's `[[queues]]` entry as JSON, the definition the HTTP API shows.
    pub queue_definitions: std::collections::BTreeMap<String, serde_json::Value>,
    pub recording: crate::switch::RecordPolicy,
    pub recordings_dir: PathBuf,
    /// How long recordings are kept.
    pub retention: recording::Retention,
    /// The QA loop's time zone and monthly schedule.
    pub qa: qa::QaConfig,
    /// Codes agents choose from at wrap-up.
    pub wrap_up_codes: Vec<String>,
    pub users: Vec<User>,
    /// Logins for the HTTP API, and how sessions behave.
    pub accounts: Vec<crate::config::accounts::AccountSpec>,
    pub http_auth: crate::config::accounts::AuthSettings,
    /// Caps and timeouts (`[limits]`).
    pub limits: limits::Limits,
    /// Carriers' trunks, DIDs and denied prefixes (`[[trunks]]`, `[[dids]]`, `[outbound]`).
    pub trunks: trunk::TrunkPlan,
    /// DNS servers for trunks' host names (empty: the system's).
    pub dns_servers: Vec<SocketAddr>,
    /// Browser calls (`[web]`); their ports are above `port_max`, the relay's last.
    pub web: web::WebSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub extension: String,
    pub password: String,
    pub name: Option<String>,
}

/// Read and validate a configuration file.
pub fn load(path: &Path) -> Result<Resolved, ConfigError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: file.clone(),
        problems: vec![Problem {
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
        }],
    })?;
    parse(&file, &text)
}

/// Read and validate a configuration file, keeping its sections as written too (for export).
pub fn load_with_sections(path: &Path) -> Result<(Config, Resolved), ConfigError> {
    let resolved = load(path)?;
    let file = path.display().to_string();
    let sections = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| toml::from_str::<Config>(&text).map_err(|e| e.to_string()))
        .map_err(|message| ConfigError {
            file,
            problems: vec![Problem {
                line: 0,
                column: 0,
                message,
            }],
        })?;
    Ok((sections, resolved))
}

/// Parse and validate configuration text (`file` names it in messages).
pub fn parse(file: &str, text: &str) -> Result<Resolved, ConfigError> {
    let locate = |span: Range<usize>| line_col(text, span.start);
    let config: Config = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map(&locate).unwrap_or((1, 1));
        ConfigError {
            file: file.to_string(),
            problems: vec![Problem {
                line,
                column,
                message: e.message().to_string(),
            }],
        }
    })?;
    resolve(config, &locate).map_err(|problems| ConfigError {
        file: file.to_string(),
        problems,
    })
}

impl Config {
    /// Validate and resolve a configuration that did not come from a file (the demo).
    pub fn resolve(self) -> Result<Resolved, ConfigError> {
        resolve(self, &|_| (0, 0)).map_err(|problems| ConfigError {
            file: "<built-in>".into(),
            problems,
        })
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn resolve(
    c: Config,
    locate: &dyn Fn(Range<usize>) -> (usize, usize),
) -> Result<Resolved, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |span: Range<usize>, message: String| {
        let (line, column) = locate(span);
        problems.push(Problem {
            line,
            column,
            message,
        });
    };

    let mut listen = Vec::new();
    for entry in &c.sip.listen {
        match parse_listen(entry.get_ref()) {
            Ok(l) if listen.contains(&l) => problem(
                entry.span(),
                format!("sip.listen: `{}` is listed twice", entry.get_ref()),
            ),
            Ok(l) => listen.push(l),
            Err(msg) => problem(entry.span(), format!("sip.listen: {msg}")),
        }
    }
    if c.sip.listen.is_empty() {
        problem(0..0, "sip.listen: at least one address is needed".into());
    }
    let public_ip = c.sip.public_address.as_ref().and_then(|p| {
        p.get_ref()
            .parse::<IpAddr>()
            .map_err(|_| {
                problem(
                    p.span(),
                    format!("sip.public_address: `{}` is not an IP address", p.get_ref()),
                )
            })
            .ok()
    });
    // A wildcard listener has no address to put in Via and Contact: phones would answer to
    // 0.0.0.0. It needs the public address of its family.
    for entry in &c.sip.listen {
        if let Ok((_, addr)) = parse_listen(entry.get_ref()) {
            let named = public_ip.is_some_and(|p| p.is_ipv4() == addr.is_ipv4());
            if addr.ip().is_unspecified() && !named {
                let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
                problem(
                    entry.span(),
                    format!(
                        "sip.listen: `{}` listens on every address; set sip.public_address to \
                         the {family} address phones reach, or listen on that address",
                        entry.get_ref()
                    ),
                );
            }
        }
    }
    let nat = match c.sip.nat.get_ref().to_ascii_lowercase().as_str() {
        "auto" => crate::switch::NatMode::Auto,
        "always" => crate::switch::NatMode::Always,
        "never" => crate::switch::NatMode::Never,
        other => {
            problem(
                c.sip.nat.span(),
                format!("sip.nat: `{other}` is not one of auto, always, never"),
            );
            crate::switch::NatMode::Auto
        }
    };
    let mut auth_algorithms = Vec::new();
    for a in &c.sip.auth_algorithms {
        match a.get_ref().to_ascii_uppercase().as_str() {
            "MD5" => auth_algorithms.push(sip::auth::Algorithm::Md5),
            "SHA-256" => auth_algorithms.push(sip::auth::Algorithm::Sha256),
            other => problem(
                a.span(),
                format!("sip.auth_algorithms: unknown algorithm `{other}` (MD5 or SHA-256)"),
            ),
        }
    }
    if c.sip.auth_algorithms.is_empty() {
        problem(
            0..0,
            "sip.auth_algorithms: name at least one algorithm".into(),
        );
    }
    if c.sip.domain.trim().is_empty() {
        problem(0..0, "sip.domain must not be empty".into());
    }
    if c.sip.t1_ms == 0 || c.sip.t2_ms < c.sip.t1_ms {
        problem(
            0..0,
            "sip timers: t1_ms must be > 0 and t2_ms >= t1_ms".into(),
        );
    }
    if c.sip.min_expires_s > c.sip.max_expires_s {
        problem(
            0..0,
            "sip: min_expires_s must not exceed max_expires_s".into(),
        );
    }

    let ip = |s: &Spanned<String>, key: &str, problem: &mut dyn FnMut(Range<usize>, String)| {
        s.get_ref()
            .parse::<IpAddr>()
            .map_err(|_| {
                problem(
                    s.span(),
                    format!("{key}: `{}` is not an IP address", s.get_ref()),
                )
            })
            .ok()
    };
    let media_bind = ip(&c.media.bind, "media.bind", &mut problem);
    let media_advertise = match &c.media.advertise {
        Some(a) => ip(a, "media.advertise", &mut problem),
        None => media_bind,
    };
    if media_advertise.is_some_and(|a| a.is_unspecified()) {
        problem(
            c.media.bind.span(),
            "media: with bind 0.0.0.0 set media.advertise to the address phones can reach".into(),
        );
    }
    let strict_source = c.media.strict_source.get_ref().parse().unwrap_or_else(|e| {
        problem(c.media.strict_source.span(), format!("media.{e}"));
        media::StrictSource::default()
    });
    let port_max = *c.media.port_max.get_ref();
    if !c.media.port_min.is_multiple_of(2) || c.media.port_min == 0 {
        problem(
            c.media.port_max.span(),
            "media.port_min must be an even port above 0".into(),
        );
    }
    if port_max < c.media.port_min.saturating_add(3) {
        problem(
            c.media.port_max.span(),
            "media.port_max must leave at least 4 ports above port_min".into(),
        );
    }

    let http_listen = c
        .http
        .listen
        .get_ref()
        .parse::<SocketAddr>()
        .map_err(|_| {
            problem(
                c.http.listen.span(),
                format!("http.listen: `{}` is not IP:PORT", c.http.listen.get_ref()),
            )
        })
        .ok();

    let database_url = match &c.database.url {
        Some(u) => {
            let url = u.get_ref();
            if let Some(path) = url.strip_prefix("sqlite://") {
                let p = Path::new(path);
                if p.is_relative() && path != ":memory:" {
                    format!("sqlite://{}", c.data_dir.join(p).display())
                } else {
                    url.clone()
                }
            } else if url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:")
            {
                url.clone()
            } else {
                problem(
                    u.span(),
                    format!("database.url: `{url}` is neither sqlite://… nor postgres://…"),
                );
                String::new()
            }
        }
        None => format!("sqlite://{}", c.data_dir.join("switchboard.db").display()),
    };

    let (dialplans_dir, required) = match &c.ivr.dialplans {
        Some(d) if d.get_ref().is_empty() => (None, false),
        Some(d) => (Some(PathBuf::from(d.get_ref())), true),
        None => (Some(PathBuf::from("dialplans")), false),
    };
    let prompts_dir = match &c.ivr.prompts {
        Some(p) => PathBuf::from(p),
        None => dialplans_dir
            .as_ref()
            .map(|d| d.join("prompts"))
            .unwrap_or_else(|| PathBuf::from("prompts")),
    };
    let dialplans_dir = dialplans_dir.map(|d| (d, required));

    let mut users: Vec<User> = Vec::new();
    let mut entry_offers = Vec::new();
    for u in &c.users {
        let u = u.get_ref();
        let ext = u.extension.get_ref();
        if let Err(why) = extension_shape(ext) {
            problem(u.extension.span(), format!("users.extension {why}"));
            continue;
        }
        if users.iter().any(|x| x.extension == *ext) {
            problem(
                u.extension.span(),
                format!("users.extension `{ext}` is defined twice"),
            );
            continue;
        }
        if let Err(why) = sip_password_strength(u.password.get_ref()) {
            problem(
                u.password.span(),
                format!("users.password for `{ext}` is too weak: {why}"),
            );
        }
        if let Some(o) = &u.offers {
            entry_offers.push((
                crate::switch::PolicyEntry::Extension(ext.clone()),
                o.clone(),
            ));
        }
        users.push(User {
            extension: ext.clone(),
            password: u.password.get_ref().clone(),
            name: u.name.clone(),
        });
    }

    let extensions: std::collections::HashSet<String> =
        users.iter().map(|u| u.extension.clone()).collect();
    let wrap_up_codes = c.acd.wrap_up_codes.clone();
    if let Some(bad) = wrap_up_codes.iter().find(|w| {
        w.is_empty()
            || !w
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
    }) {
        problem(
            0..0,
            format!("acd.wrap_up_codes: `{bad}` must be a lower-case word (a-z, 0-9, _)"),
        );
    }
    let agent_ids: Vec<String> = c.agents.iter().map(|a| a.id.get_ref().clone()).collect();
    let accounts = crate::config::accounts::resolve(&c.accounts, &agent_ids, &mut problem);
    let mut trusted_proxies = Vec::new();
    for p in &c.http.trusted_proxies {
        match p.get_ref().parse::<IpAddr>() {
            Ok(ip) => trusted_proxies.push(ip),
            Err(_) => problem(
                p.span(),
                format!(
                    "http.trusted_proxies: `{}` is not an IP address",
                    p.get_ref()
                ),
            ),
        }
    }
    let session_idle = Duration::from_secs(c.http.session_idle_s.max(60));
    let http_auth = crate::config::accounts::AuthSettings {
        secure_cookies: c.http.secure_cookies,
        open_metrics: c.http.open_metrics,
        session_idle,
        session_lifetime: Duration::from_secs(c.http.session_max_s.max(60)).max(session_idle),
        login_lockout: Duration::from_secs(c.http.login_lockout_s),
        trusted_proxies,
    };
    let queue_definitions = c
        .queues
        .iter()
        .filter_map(|q| Some((q.name.get_ref().clone(), serde_json::to_value(q).ok()?)))
        .collect();
    entry_offers.extend(c.queues.iter().filter_map(|q| {
        let o = q.offers.clone()?;
        Some((
            crate::switch::PolicyEntry::Queue(q.name.get_ref().clone()),
            o,
        ))
    }));
    let mut acd_problem =
        |at: acd_sections::Place, message: String| problem(at.span.unwrap_or(0..0), message);
    let acd = acd_sections::resolve(c.acd, c.queues, c.agents, &extensions, &mut acd_problem);
    let (mut recording, recordings_dir, retention) = recording::resolve(c.recording, &mut problem);
    recording::resolve_entries(&mut recording, entry_offers, &mut problem);
    let qa = qa::resolve(c.qa, &mut problem);
    let mut dns_servers = Vec::new();
    for d in &c.sip.dns_servers {
        match d.get_ref().parse::<SocketAddr>() {
            Ok(a) => dns_servers.push(a),
            Err(_) => problem(
                d.span(),
                format!("sip.dns_servers: `{}` is not IP:PORT", d.get_ref()),
            ),
        }
    }
    let country_code = c.database.default_country_code.clone().unwrap_or_default();
    let queue_names: std::collections::HashSet<String> =
        acd.queues.iter().map(|q| q.cfg.name.clone()).collect();
    let targets = trunks::Targets {
        queues: &queue_names,
        extensions: &extensions,
    };
    let trunks = trunks::resolve_file(
        &c.trunks,
        &c.dids,
        &c.outbound,
        &country_code,
        targets,
        &mut problem,
    );
    // Browsers' media takes the top of the range; the relay (and the call limit) the rest.
    let web_ip = match (media_bind, media_advertise) {
        (Some(b), _) if !b.is_unspecified() => b,
        (_, Some(a)) => a,
        _ => IpAddr::from([127, 0, 0, 1]),
    };
    let (web, port_max) = web::resolve(
        c.web,
        (web_ip, c.media.port_min, port_max),
        &queue_names,
        &mut problem,
    );
    let rtp_ports = u64::from(port_max.saturating_sub(c.media.port_min)) + 1;
    let limits = limits::resolve(c.limits, rtp_ports, &mut |message| problem(0..0, message));

    if !problems.is_empty() {
        return Err(problems);
    }
    let (Some(media_bind), Some(media_advertise), Some(http_listen)) =
        (media_bind, media_advertise, http_listen)
    else {
        return Err(vec![Problem {
            line: 0,
            column: 0,
            message: "invalid addresses".into(),
        }]);
    };
    Ok(Resolved {
        data_dir: c.data_dir,
        listen,
        public_ip,
        nat,
        domain: c.sip.domain,
        timers: sip::transaction::TimerConfig {
            t1: Duration::from_millis(c.sip.t1_ms),
            t2: Duration::from_millis(c.sip.t2_ms),
            t4: Duration::from_millis(c.sip.t4_ms),
        },
        ring_timeout: Duration::from_secs(c.sip.ring_timeout_s.max(1)),
        registrar: sip::registrar::RegistrarConfig {
            min_expires: c.sip.min_expires_s,
            max_expires: c.sip.max_expires_s,
            default_expires: c.sip.default_expires_s,
            max_contacts: 10,
        },
        nonce_lifetime: Duration::from_secs(c.sip.nonce_lifetime_s.max(10)),
        auth_algorithms,
        auth_throttle: crate::switch::ThrottleConfig {
            max_failures_per_address: c.sip.auth_throttle.max_failures_per_address,
            max_failures_per_extension: c.sip.auth_throttle.max_failures_per_extension,
            window: Duration::from_secs(c.sip.auth_throttle.window_s.max(1)),
            block: Duration::from_secs(c.sip.auth_throttle.block_s.max(1)),
            max_block: Duration::from_secs(
                c.sip
                    .auth_throttle
                    .max_block_s
                    .max(c.sip.auth_throttle.block_s.max(1)),
            ),
        },
        media_bind,
        media_advertise,
        port_min: c.media.port_min,
        port_max,
        media_timeout: (c.media.timeout_s > 0).then(|| Duration::from_secs(c.media.timeout_s)),
        strict_source,
        http_listen,
        database_url,
        default_country_code: c.database.default_country_code,
        dialplans_dir,
        prompts_dir,
        acd,
        queue_definitions,
        recording,
        recordings_dir,
        retention,
        qa,
        wrap_up_codes,
        users,
        accounts,
        http_auth,
        limits,
        trunks,
        dns_servers,
        web,
    })
}

/// An extension is 1 to 64 letters, digits and `. _ - +` (it is a SIP user part and a number
/// callers dial).
pub(crate) fn extension_shape(ext: &str) -> Result<(), String> {
    let ok = !ext.is_empty()
        && ext.chars().count() <= 64
        && ext
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "._-+".contains(ch));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{ext}`: use 1 to 64 letters, digits and . _ - + only"
        ))
    }
}

/// Shortest accepted SIP password: digest passwords are guessed offline from one captured
/// exchange too, where no throttle helps.
const MIN_SIP_PASSWORD_CHARS: usize = 10;

/// A SIP password must be at least [`MIN_SIP_PASSWORD_CHARS`] long and mix at least two of
/// letters, digits and other characters (no all-digit PINs, no single repeated word).
pub(crate) fn sip_password_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_SIP_PASSWORD_CHARS {
        return Err(format!("{MIN_SIP_PASSWORD_CHARS} characters at least"));
    }
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let others = password
        .chars()
        .any(|c| !c.is_alphabetic() && !c.is_ascii_digit());
    if [letters, digits, others].iter().filter(|x| **x).count() < 2 {
        return Err("mix at least two of letters, digits and other characters".into());
    }
    Ok(())
}

fn parse_listen(s: &str) -> Result<(Transport, SocketAddr), String> {
    let (transport, addr) = s
        .split_once("://")
        .ok_or_else(|| format!("`{s}` should look like udp://127.0.0.1:5060"))?;
    let transport = match transport.to_ascii_lowercase().as_str() {
        "udp" => Transport::Udp,
        "tcp" => Transport::Tcp,
        other => return Err(format!("unknown transport `{other}` (udp or tcp)")),
    };
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is not IP:PORT"))?;
    Ok((transport, addr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn empty_file_is_the_demo_defaults() {
        let r = parse("x.toml", "").unwrap();
        assert_eq!(r.listen.len(), 2);
        assert!(r.listen.iter().all(|(_, a)| a.ip() == LOOPBACK));
        assert_eq!(r.http_listen.ip(), LOOPBACK);
        assert_eq!(r.database_url, "sqlite://data/switchboard.db");
        assert_eq!(r.media_timeout, Some(Duration::from_secs(60)));
    }

    #[test]
    fn full_file_resolves() {
        let text = r#"
data_dir = "/var/lib/switchboard"
[sip]
listen = ["udp://0.0.0.0:5070"]
public_address = "192.0.2.10"
domain = "bank.example"
ring_timeout_s = 20
[media]
bind = "0.0.0.0"
advertise = "192.0.2.10"
port_min = 30000
port_max = 30100
[database]
url = "postgres://sb@db/sb"
[[users]]
extension = "2001"
password = "secret-2001"
name = "Agent Kim"
"#;
        let r = parse("sb.toml", text).unwrap();
        assert_eq!(
            r.listen,
            vec![(Transport::Udp, "0.0.0.0:5070".parse().unwrap())]
        );
        assert_eq!(r.media_advertise, "192.0.2.10".parse::<IpAddr>().unwrap());
        assert_eq!(r.database_url, "postgres://sb@db/sb");
        assert_eq!(r.users[0].name.as_deref(), Some("Agent Kim"));
        assert_eq!(r.ring_timeout, Duration::from_secs(20));
    }

    #[test]
    fn sip_nat_is_auto_by_default_and_checked() {
        let users = "[[users]]\nextension = \"2001\"\npassword = \"secret-2001\"\n";
        let r = parse("sb.toml", users).unwrap();
        assert_eq!(r.nat, crate::switch::NatMode::Auto);
        let r = parse("sb.toml", &format!("[sip]\nnat = \"never\"\n{users}")).unwrap();
        assert_eq!(r.nat, crate::switch::NatMode::Never);
        let err = parse("sb.toml", &format!("[sip]\nnat = \"maybe\"\n{users}"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sb.toml:2:7: sip.nat: `maybe` is not one of auto, always, never"),
            "{err}"
        );
    }

    /// IPv6 listeners and relay addresses are accepted as written in docs/configuration.md.
    #[test]
    fn ipv6_listen_and_media_addresses_parse() {
        let text = "[sip]\nlisten = [\"udp://[::1]:5060\", \"tcp://[::]:5060\"]\n\
                    public_address = \"2001:db8::5\"\n\
                    [media]\nbind = \"::1\"\n\
                    [[users]]\nextension = \"2001\"\npassword = \"secret-2001\"\n";
        let r = parse("sb.toml", text).unwrap();
        assert_eq!(
            r.listen,
            vec![
                (Transport::Udp, "[::1]:5060".parse().unwrap()),
                (Transport::Tcp, "[::]:5060".parse().unwrap())
            ]
        );
        assert_eq!(r.media_advertise, "::1".parse::<IpAddr>().unwrap());
    }

    /// A wildcard listener without a public address of its family put 0.0.0.0 in Via and
    /// Contact; refused with the key to set.
    #[test]
    fn wildcard_listeners_need_a_public_address_of_their_family() {
        let users = "[[users]]\nextension = \"2001\"\npassword = \"secret-2001\"\n";
        for (listen, public, refused) in [
            ("udp://0.0.0.0:5060", None, true),
            ("tcp://[::]:5060", None, true),
            ("tcp://[::]:5060", Some("192.0.2.10"), true),
            ("udp://0.0.0.0:5060", Some("192.0.2.10"), false),
            ("tcp://[::]:5060", Some("2001:db8::5"), false),
            ("udp://127.0.0.1:5060", None, false),
        ] {
            let public = public.map_or(String::new(), |p| format!("public_address = \"{p}\"\n"));
            let text = format!("[sip]\nlisten = [\"{listen}\"]\n{public}{users}");
            match parse("sb.toml", &text) {
                Err(e) if refused => {
                    let e = e.to_string();
                    assert!(e.contains("sb.toml:2:11: sip.listen:"), "{e}");
                    assert!(e.contains("listens on every address"), "{e}");
                }
                Ok(_) if !refused => {}
                other => panic!("{listen} with {public:?}: {:?}", other.map(|_| ())),
            }
        }
    }

    #[test]
    fn errors_point_at_file_line_column() {
        let text = "[sip]\nlisten = [\"udp://127.0.0.1:5060\", \"sctp://1.2.3.4:5\"]\n\n[[users]]\nextension = \"10 01\"\npassword = \"abcdefgh\"\n";
        let err = parse("bad.toml", text).unwrap_err().to_string();
        assert!(
            err.contains("bad.toml:2:35: sip.listen: unknown transport `sctp`"),
            "{err}"
        );
        assert!(
            err.contains("bad.toml:5:13: users.extension `10 01`"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_syntax_errors_are_located() {
        let err = parse("t.toml", "[sip]\nlisen = []\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.toml:2:1: unknown field `lisen`"),
            "{err}"
        );
        let err = parse("t.toml", "[sip\n").unwrap_err().to_string();
        assert!(err.starts_with("t.toml:1:"), "{err}");
    }

    /// Regression: SIP passwords of 6 characters were accepted (a guesser's first dictionary).
    #[test]
    fn weak_sip_passwords_are_refused() {
        for weak in ["secret", "123456789012", "abcdefghij", "pw-1"] {
            let text = format!("[[users]]\nextension=\"1001\"\npassword=\"{weak}\"\n");
            let err = parse("w.toml", &text).unwrap_err().to_string();
            assert!(
                err.contains("users.password for `1001` is too weak"),
                "{weak}: {err}"
            );
        }
        for strong in ["pw-2001-secret", "correct horse", "Tr0ub4dor3x"] {
            let text = format!("[[users]]\nextension=\"1001\"\npassword=\"{strong}\"\n");
            assert!(parse("w.toml", &text).is_ok(), "{strong}");
        }
    }

    #[test]
    fn duplicate_extension_and_short_password() {
        let text = "[[users]]\nextension=\"1\"\npassword=\"abcdefg-10\"\n[[users]]\nextension=\"1\"\npassword=\"abc\"\n";
        let err = parse("u.toml", text).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert!(err
            .to_string()
            .contains("u.toml:5:11: users.extension `1` is defined twice"));
    }

    #[test]
    fn offer_policies_per_extension_and_queue() {
        use crate::switch::{OfferPolicy, PolicyEntry};
        let text = "[recording]\nrecord = \"none\"\n\n[[users]]\nextension = \"1001\"\n\
                    password = \"pw-1001-secret\"\noffers = \"as-is\"\n\n[[queues]]\n\
                    name = \"sales\"\nnumber = \"7000\"\noffers = \"decodable\"\n";
        let r = parse("o.toml", text).unwrap();
        assert_eq!(r.recording.offers, OfferPolicy::Decodable);
        assert_eq!(
            r.recording
                .entries
                .get(&PolicyEntry::Extension("1001".into())),
            Some(&OfferPolicy::AsIs)
        );
        assert_eq!(
            r.recording.entries.get(&PolicyEntry::Queue("sales".into())),
            Some(&OfferPolicy::Decodable)
        );
    }

    /// Issue #15: a recorded call cannot be as-is; the file says so where it was written.
    #[test]
    fn as_is_on_recorded_entries_is_refused_with_its_line() {
        let text = "[recording]\nrecord = \"selected\"\nextensions = [\"1002\"]\nqueues = [\"sales\"]\n\n\
                    [[users]]\nextension = \"1001\"\npassword = \"pw-1001-secret\"\noffers = \"as-is\"\n\
                    [[users]]\nextension = \"1002\"\npassword = \"pw-1002-secret\"\noffers = \"as-is\"\n\
                    [[queues]]\nname = \"sales\"\noffers = \"as-is\"\n[[queues]]\nname = \"help\"\noffers = \"clear\"\n";
        let err = parse("r.toml", text).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.problems.len(), 3, "{msg}");
        assert!(
            msg.contains("r.toml:13:10: users.offers of `1002` cannot be `as-is`"),
            "{msg}"
        );
        assert!(
            msg.contains("r.toml:16:10: queues.offers of `sales` cannot be `as-is`"),
            "{msg}"
        );
        assert!(
            msg.contains("r.toml:19:10: queues.offers of `help` `clear`: decodable or as-is"),
            "{msg}"
        );
        // Every call recorded (the default): no as-is anywhere, the default's included.
        let err = parse("a.toml", "[recording]\noffers = \"as-is\"\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("a.toml:2:10: recording.offers `as-is` applies to no call"),
            "{err}"
        );
        assert!(parse(
            "n.toml",
            "[recording]\nrecord = \"none\"\noffers = \"as-is\"\n"
        )
        .is_ok());
    }

    #[test]
    fn strict_source_defaults_to_address_and_is_checked() {
        let r = parse("m.toml", "").unwrap();
        assert_eq!(r.strict_source, media::StrictSource::Address);
        let r = parse("m.toml", "[media]\nstrict_source = \"ip\"\n").unwrap();
        assert_eq!(r.strict_source, media::StrictSource::Ip);
        let err = parse("m.toml", "[media]\nstrict_source = \"any\"\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("m.toml:2:17: media.strict_source must be"),
            "{err}"
        );
    }
}
