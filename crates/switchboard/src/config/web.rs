//! The `[web]` section: browser calls from web pages (the widget, `docs/webcall.md`).
//!
//! `[[web.entries]]` say where a page's calls go (a dialplan route or a queue: the page cannot
//! choose), which pages may place them (their origins), what the widget says, and the secret a
//! bank's site signs its customers' ids with. `[web]` itself holds the limits: concurrent web
//! calls, calls per address and minute, the browser's ICE/DTLS time, and the UDP ports the
//! browsers' media uses, reserved at the top of the `[media]` range so the relay and the
//! gateway never compete for a port.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::ops::{Range, RangeInclusive};
use std::time::Duration;
use toml::Spanned;

/// `[web]` as written in the file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSection {
    /// Web calls in progress at most; past it a page is told to try later.
    pub max_calls: usize,
    /// Calls one address may start per minute (0: no limit).
    pub calls_per_minute_per_address: u32,
    /// Time from the answer until the browser has connected (ICE, then DTLS).
    pub connect_timeout_s: u64,
    /// Silence from a connected browser (no media, no consent checks) before its call ends:
    /// ICE's "disconnected" after this, "failed" (the end) as long again later.
    pub silence_timeout_s: u64,
    /// UDP ports reserved for browsers' media (one per call) at the top of the `[media]` range;
    /// the relay keeps the rest. Used only when there are entries or agent phones.
    pub ports: u16,
    /// Let agents answer in the agent page ("Answer in the browser", docs/webcall.md): the
    /// browser phones' media takes `ports` too.
    pub agent_phones: bool,
    /// Serve the demo bank page at `/demo`, calling this entry.
    pub demo_page: Option<Spanned<String>>,
    pub entries: Vec<Spanned<WebEntrySection>>,
}

impl Default for WebSection {
    fn default() -> Self {
        WebSection {
            max_calls: 50,
            calls_per_minute_per_address: 5,
            connect_timeout_s: 10,
            silence_timeout_s: 5,
            ports: 200,
            agent_phones: false,
            demo_page: None,
            entries: Vec::new(),
        }
    }
}

/// One `[[web.entries]]`: a widget's `data-entry`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebEntrySection {
    pub name: Spanned<String>,
    /// A number a dialplan route takes (the call runs that IVR)...
    #[serde(default)]
    pub route: Option<Spanned<String>>,
    /// ...or a queue the call waits in directly.
    #[serde(default)]
    pub queue: Option<Spanned<String>>,
    /// Origins (`https://bank.example`, `http://127.0.0.1:8080`) whose pages may call.
    #[serde(default)]
    pub allowed_origins: Vec<Spanned<String>>,
    /// What the widget shows beside its button (business hours, say).
    #[serde(default)]
    pub message: Option<String>,
    /// Set: the entry is closed and the widget shows this instead of calling.
    #[serde(default)]
    pub closed_message: Option<String>,
    /// Shared with the bank's site, which signs its logged-in customer's id with it
    /// (HMAC-SHA256); at least 16 characters.
    #[serde(default)]
    pub secret: Option<Spanned<String>>,
}

/// Where an entry's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebTarget {
    /// A number a dialplan route takes.
    Route(String),
    /// A queue by name.
    Queue(String),
}

/// A checked entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebEntry {
    pub name: String,
    pub target: WebTarget,
    /// Lower-case `scheme://host[:port]`, compared with a request's `Origin` as written.
    pub allowed_origins: Vec<String>,
    pub message: Option<String>,
    pub closed_message: Option<String>,
    pub secret: Option<Vec<u8>>,
}

/// What the web gateway runs on.
#[derive(Debug, Clone)]
pub struct WebSettings {
    pub max_calls: usize,
    pub calls_per_minute_per_address: u32,
    /// The media side of each call (addresses, ports, timeouts).
    pub media: webcall::WebCallConfig,
    pub entries: Vec<WebEntry>,
    /// The entry `/demo` calls, if the demo page is served.
    pub demo_page: Option<String>,
    /// Whether agents may answer in the agent page (`/api/agents/me/phone/ws`).
    pub agent_phones: bool,
}

impl WebSettings {
    pub fn entry(&self, name: &str) -> Option<&WebEntry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

/// Shortest accepted signing secret.
const MIN_SECRET_CHARS: usize = 16;

/// Checks `[web]` against the media range and the queues; returns the settings and the
/// highest port the relay keeps.
pub fn resolve(
    section: WebSection,
    media: (IpAddr, u16, u16),
    queues: &std::collections::HashSet<String>,
    problem: &mut dyn FnMut(Range<usize>, String),
) -> (WebSettings, u16) {
    let (bind, port_min, port_max) = media;
    let mut entries: Vec<WebEntry> = Vec::new();
    for e in &section.entries {
        let e = e.get_ref();
        let name = e.name.get_ref();
        let shaped = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !shaped {
            problem(
                e.name.span(),
                format!("web.entries.name `{name}`: use 1 to 64 letters, digits, - and _"),
            );
            continue;
        }
        if entries.iter().any(|x| x.name == *name) {
            problem(
                e.name.span(),
                format!("web.entries.name `{name}` is defined twice"),
            );
            continue;
        }
        let target = match (&e.route, &e.queue) {
            (Some(r), None) if !r.get_ref().trim().is_empty() => {
                WebTarget::Route(r.get_ref().trim().to_string())
            }
            (None, Some(q)) if queues.contains(q.get_ref()) => {
                WebTarget::Queue(q.get_ref().clone())
            }
            (None, Some(q)) => {
                problem(
                    q.span(),
                    format!("web.entries `{name}`: no queue `{}`", q.get_ref()),
                );
                continue;
            }
            _ => {
                problem(
                    e.name.span(),
                    format!("web.entries `{name}`: give one of `route` or `queue`"),
                );
                continue;
            }
        };
        let mut allowed_origins = Vec::new();
        for o in &e.allowed_origins {
            match origin_shape(o.get_ref()) {
                Ok(origin) => allowed_origins.push(origin),
                Err(why) => problem(o.span(), format!("web.entries `{name}`: {why}")),
            }
        }
        if e.allowed_origins.is_empty() {
            problem(
                e.name.span(),
                format!("web.entries `{name}`: list the pages' origins in allowed_origins"),
            );
        }
        let secret = e.secret.as_ref().and_then(|s| {
            if s.get_ref().chars().count() < MIN_SECRET_CHARS {
                problem(
                    s.span(),
                    format!(
                        "web.entries `{name}`: secret must be {MIN_SECRET_CHARS} characters at least"
                    ),
                );
                None
            } else {
                Some(s.get_ref().as_bytes().to_vec())
            }
        });
        entries.push(WebEntry {
            name: name.clone(),
            target,
            allowed_origins,
            message: e.message.clone(),
            closed_message: e.closed_message.clone(),
            secret,
        });
    }
    let demo_page = section.demo_page.as_ref().and_then(|d| {
        let known = entries.iter().any(|e| e.name == *d.get_ref());
        if !known {
            problem(
                d.span(),
                format!("web.demo_page: no entry `{}`", d.get_ref()),
            );
        }
        known.then(|| d.get_ref().clone())
    });
    if section.max_calls == 0 && !entries.is_empty() {
        problem(0..0, "web.max_calls must be at least 1".into());
    }
    if section.connect_timeout_s == 0 || section.silence_timeout_s == 0 {
        problem(
            0..0,
            "web.connect_timeout_s and web.silence_timeout_s must be more than zero".into(),
        );
    }
    // Ports are reserved only when browsers can call or answer at all.
    let browsers = !entries.is_empty() || section.agent_phones;
    let reserved = if browsers { section.ports } else { 0 };
    let relay_ports = u32::from(port_max.saturating_sub(port_min)) + 1;
    if browsers && (reserved == 0 || u32::from(reserved) + 4 > relay_ports) {
        problem(
            0..0,
            format!(
                "web.ports: {reserved} ports must be at least 1 and leave the relay 4 of the \
                 media range's {relay_ports}"
            ),
        );
    }
    let relay_max = if u32::from(reserved) + 4 > relay_ports {
        port_max
    } else {
        port_max - reserved
    };
    let web_ports: RangeInclusive<u16> = relay_max.saturating_add(1)..=port_max;
    let media = webcall::WebCallConfig {
        bind_ip: bind,
        ports: web_ports,
        rtp_bind_ip: loopback_of(bind),
        connect_timeout: Duration::from_secs(section.connect_timeout_s.max(1)),
        disconnected_timeout: Duration::from_secs(section.silence_timeout_s.max(1)),
        failed_timeout: Duration::from_secs(section.silence_timeout_s.max(1)),
        ..Default::default()
    };
    (
        WebSettings {
            max_calls: section.max_calls,
            calls_per_minute_per_address: section.calls_per_minute_per_address,
            media,
            entries,
            demo_page,
            agent_phones: section.agent_phones,
        },
        relay_max,
    )
}

/// Warnings for entries whose `route` no dialplan routes: their calls would be refused.
pub fn unrouted_entries(web: &WebSettings, routed: impl Fn(&str) -> bool) -> Vec<String> {
    web.entries
        .iter()
        .filter_map(|e| match &e.target {
            WebTarget::Route(r) if !routed(r) => Some(format!(
                "warning: web entry {} goes to route {r}, which no dialplan routes: its calls are refused",
                e.name
            )),
            _ => None,
        })
        .collect()
}

/// The plain RTP side never leaves the machine: loopback of the media address's family.
fn loopback_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
    }
}

/// An origin as browsers send it: `http` or `https`, a host, an optional port, no path.
fn origin_shape(origin: &str) -> Result<String, String> {
    let lower = origin.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| format!("origin `{origin}` must start with https:// or http://"))?;
    let ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if ok {
        Ok(lower)
    } else {
        Err(format!(
            "origin `{origin}` must be scheme://host[:port] with no path (as browsers send it)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, queues: &[&str]) -> Result<(WebSettings, u16), Vec<String>> {
        #[derive(Deserialize)]
        struct F {
            web: WebSection,
        }
        let f: F = toml::from_str(text).expect("toml");
        let queues: std::collections::HashSet<String> =
            queues.iter().map(|q| q.to_string()).collect();
        let mut problems = Vec::new();
        let out = resolve(
            f.web,
            ("127.0.0.1".parse().expect("ip"), 20000, 29999),
            &queues,
            &mut |_, m| problems.push(m),
        );
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    #[test]
    fn an_entry_reserves_ports_at_the_top_of_the_media_range() {
        let (web, relay_max) = run(
            r#"[web]
ports = 100
[[web.entries]]
name = "loans"
route = "1588"
allowed_origins = ["HTTPS://Bank.example", "http://127.0.0.1:8080"]
secret = "0123456789abcdef"
"#,
            &[],
        )
        .expect("valid");
        assert_eq!(relay_max, 29899);
        assert_eq!(web.media.ports, 29900..=29999);
        let e = web.entry("loans").expect("entry");
        assert_eq!(e.target, WebTarget::Route("1588".into()));
        assert_eq!(
            e.allowed_origins,
            ["https://bank.example", "http://127.0.0.1:8080"]
        );
        web.media.validate().expect("media settings");
    }

    #[test]
    fn entries_to_routes_no_plan_knows_are_warned_about() {
        let (web, _) = run(
            "[web]\n[[web.entries]]\nname = \"a\"\nroute = \"1588\"\nallowed_origins = [\"https://x\"]\n[[web.entries]]\nname = \"b\"\nroute = \"9\"\nallowed_origins = [\"https://x\"]\n",
            &[],
        )
        .expect("valid");
        let warnings = unrouted_entries(&web, |n| n == "1588");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("web entry b goes to route 9"));
    }

    #[test]
    fn no_entries_reserve_nothing() {
        let (web, relay_max) = run("[web]\n", &[]).expect("valid");
        assert!(web.entries.is_empty());
        assert_eq!(relay_max, 29999);
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        let problems = run(
            r#"[web]
[[web.entries]]
name = "a b"
route = "1"
allowed_origins = ["https://x"]
[[web.entries]]
name = "both"
route = "1"
queue = "general"
allowed_origins = ["https://x"]
[[web.entries]]
name = "noqueue"
queue = "nope"
allowed_origins = ["https://x"]
[[web.entries]]
name = "paths"
queue = "general"
allowed_origins = ["https://x/page", "ftp://x"]
secret = "short"
[[web.entries]]
name = "open"
queue = "general"
"#,
            &["general"],
        )
        .expect_err("invalid");
        let all = problems.join("\n");
        for needle in [
            "`a b`",
            "`both`: give one of",
            "no queue `nope`",
            "https://x/page",
            "ftp://x",
            "secret must be 16",
            "`open`: list the pages' origins",
        ] {
            assert!(all.contains(needle), "{needle} missing in:\n{all}");
        }
    }

    #[test]
    fn a_reserve_the_range_cannot_hold_is_refused() {
        let problems = run(
            "[web]\nports = 9998\n[[web.entries]]\nname = \"x\"\nroute = \"1\"\nallowed_origins = [\"https://x\"]\n",
            &[],
        )
        .expect_err("too many");
        assert!(problems.join("").contains("web.ports"));
    }
}
