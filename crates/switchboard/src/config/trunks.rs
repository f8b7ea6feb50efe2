//! The `[[trunks]]`, `[[dids]]` and `[outbound]` sections: carriers' SIP trunks, the numbers
//! they deliver and the prefixes nobody may dial, resolved into the plan the switch core runs
//! (`trunk::TrunkPlan`). The HTTP API's bodies are the same keys as JSON (`http/trunks.rs`),
//! resolved by the same code, so names, defaults and rules have one source. Problems name the
//! key and the trunk (`trunks.expiry of `carrier-a`: ...`).
//!
//! Passwords: carriers set them, so no strength rule applies (unlike extensions' SIP
//! passwords); they are never logged (the sections' and the plan's `Debug` hide them) and the
//! API shows `password_set` instead.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sip::Transport;
use std::collections::HashSet;
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;
use trunk::{
    Cidr, Credentials, DidSetup, DidTarget, NumberFormat, PingSetup, RegisterSetup, Rewrite,
    TrunkPlan, TrunkSetup,
};

/// A `[[trunks]]` entry as written (in the file, or as an API body).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkSection {
    pub name: String,
    /// The carrier's host name or IP address.
    pub host: String,
    /// Left out: DNS SRV finds it for a name (RFC 3263), else 5060.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `udp` (default) or `tcp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// Addresses or CIDR ranges the carrier's calls come from, besides the host's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<String>>,
    /// `{ header = "...", value = "..." }`: a request is this trunk's only if the header (or
    /// `Request-URI-user`) has this value.
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_header: Option<MatchSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// Register with the carrier (needs username and password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register: Option<bool>,
    /// The registration expiry asked for (`"3600s"`, `"1h"`, or seconds); default 3600 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<DurationText>,
    /// The user of the Contact we register (default: the username).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_channels: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cps: Option<u32>,
    /// OPTIONS ping interval (`"30s"`); left out: no pings, the trunk counts as up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping: Option<DurationText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_down_after: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_up_after: Option<u32>,
    /// Leading digits removed from the dialled number, then `prepend` added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepend: Option<String>,
    /// The number we present as caller (default: the caller's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id: Option<String>,
    /// `e164` (default) or `national`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_format: Option<String>,
    /// How long an INVITE may go unanswered (not even 100 Trying) before the trunk's next
    /// address, then the next trunk, is tried (`"5s"`, the default; 1 to 30 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_timeout: Option<DurationText>,
}

impl std::fmt::Debug for TrunkSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrunkSection")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish_non_exhaustive()
    }
}

/// `match = { header = "...", value = "..." }`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSection {
    pub header: String,
    pub value: String,
}

/// A duration as `"30s"`, `"5m"`, `"1h"` or a number of seconds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum DurationText {
    Seconds(u64),
    Text(String),
}

impl DurationText {
    fn parse(&self) -> Result<Duration, String> {
        let text = match self {
            DurationText::Seconds(s) => return Ok(Duration::from_secs(*s)),
            DurationText::Text(t) => t.trim(),
        };
        let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
            Some(i) => text.split_at(i),
            None => (text, "s"),
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}` is not a duration such as \"30s\", \"5m\" or \"1h\""))?;
        let secs = match unit {
            "s" => n,
            "m" => n.saturating_mul(60),
            "h" => n.saturating_mul(3600),
            _ => return Err(format!("`{text}`: the unit is s, m or h")),
        };
        Ok(Duration::from_secs(secs))
    }
}

/// A `[[dids]]` entry: one of our numbers and where its calls go (exactly one of `route`,
/// `queue`, `extension`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DidSection {
    pub number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
}

/// `[outbound]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboundSection {
    /// Dialled-number prefixes refused on every trunk.
    pub deny: Vec<String>,
}

/// Emergency and premium-rate prefixes refused by default: Korea's police (112), fire and
/// ambulance (119) and 060 premium-rate numbers (also in E.164 form), and the usual emergency
/// numbers elsewhere (911, 999). An operator adapts the list to the country
/// (docs/trunks.md): emergency calls belong on lines that carry the caller's location.
pub const DEFAULT_DENY: &[&str] = &["112", "119", "911", "999", "060", "+8260"];

impl Default for OutboundSection {
    fn default() -> Self {
        OutboundSection {
            deny: DEFAULT_DENY.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Resolve one trunk; problems as `(key, message)` (the key without the `trunks.` prefix).
pub fn resolve_trunk(s: &TrunkSection) -> Result<TrunkSetup, Vec<(&'static str, String)>> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let name = &s.name;
    // The CDR's and the stored rows' column sizes.
    if name.chars().count() > crm::MAX_TRUNK_NAME_CHARS {
        let max = crm::MAX_TRUNK_NAME_CHARS;
        errors.push(("name", format!("at most {max} characters")));
    }
    let transport = match s
        .transport
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("udp") => Transport::Udp,
        Some("tcp") => Transport::Tcp,
        Some(other) => {
            errors.push(("transport", format!("`{other}` is not udp or tcp")));
            Transport::Udp
        }
    };
    let host = s.host.trim().trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
        errors.push((
            "host",
            format!("`{}` is not a host name or IP address", s.host),
        ));
    }
    if s.port == Some(0) {
        errors.push(("port", "must be 1 to 65535".into()));
    }
    let mut sources = Vec::new();
    for src in s.sources.iter().flatten() {
        match src.parse::<Cidr>() {
            Ok(c) => sources.push(c),
            Err(e) => errors.push(("sources", e.to_string())),
        }
    }
    let match_header = s.match_header.as_ref().and_then(|m| {
        if m.header.trim().is_empty() || m.value.is_empty() {
            errors.push(("match", "needs a header and a value".into()));
            return None;
        }
        Some((m.header.trim().to_string(), m.value.clone()))
    });
    let credentials = match (&s.username, &s.password) {
        (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => Some(Credentials {
            username: u.clone(),
            password: p.clone(),
            realm: s.realm.clone().filter(|r| !r.is_empty()),
        }),
        (None, None) => None,
        _ => {
            errors.push(("password", "username and password go together".into()));
            None
        }
    };
    let mut duration = |key: &'static str, d: &Option<DurationText>, default: u64| match d {
        None => Duration::from_secs(default),
        Some(d) => d.parse().unwrap_or_else(|e| {
            errors.push((key, e));
            Duration::from_secs(default)
        }),
    };
    let expiry = duration("expiry", &s.expiry, 3600);
    let answer_timeout = duration(
        "answer_timeout",
        &s.answer_timeout,
        trunk::DEFAULT_ANSWER_TIMEOUT.as_secs(),
    );
    let ping_every = s.ping.as_ref().map(|_| duration("ping", &s.ping, 30));
    if !(Duration::from_secs(1)..=trunk::MAX_ANSWER_TIMEOUT).contains(&answer_timeout) {
        errors.push(("answer_timeout", "must be from 1 s to 30 s".into()));
    }
    let register = s.register.unwrap_or(false).then(|| RegisterSetup {
        expiry,
        contact_user: s.contact_user.clone().filter(|u| !u.is_empty()),
    });
    let ping = ping_every.map(|interval| PingSetup {
        interval,
        down_after: s.ping_down_after.unwrap_or(3),
        up_after: s.ping_up_after.unwrap_or(2),
    });
    if ping.is_none() && (s.ping_down_after.is_some() || s.ping_up_after.is_some()) {
        errors.push(("ping", "ping_down_after/ping_up_after need `ping`".into()));
    }
    let prepend = s.prepend.clone().unwrap_or_default();
    if !prepend.is_empty() && !is_number(&prepend) {
        errors.push((
            "prepend",
            format!("`{prepend}`: digits with an optional leading '+'"),
        ));
    }
    if let Some(c) = &s.caller_id {
        if !is_number(c) {
            errors.push((
                "caller_id",
                format!("`{c}`: digits with an optional leading '+'"),
            ));
        }
    }
    let number_format = match s
        .number_format
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("e164") => NumberFormat::E164,
        Some("national") => NumberFormat::National,
        Some(other) => {
            errors.push((
                "number_format",
                format!("`{other}` is not e164 or national"),
            ));
            NumberFormat::E164
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(TrunkSetup {
        name: name.clone(),
        host: host.to_string(),
        port: s.port,
        transport,
        sources,
        match_header,
        credentials,
        register,
        max_channels: s.max_channels,
        max_cps: s.max_cps,
        ping,
        rewrite: Rewrite {
            strip: s.strip.unwrap_or(0),
            prepend,
        },
        caller_id: s.caller_id.clone(),
        number_format,
        answer_timeout,
    })
}

/// Resolve one DID; problems as `(key, message)`.
pub fn resolve_did(s: &DidSection) -> Result<DidSetup, Vec<(&'static str, String)>> {
    if s.number.trim().chars().count() > crm::MAX_DID_CHARS {
        let max = crm::MAX_DID_CHARS;
        return Err(vec![("number", format!("at most {max} characters"))]);
    }
    let target = match (&s.route, &s.queue, &s.extension) {
        (Some(r), None, None) => DidTarget::Route(r.clone()),
        (None, Some(q), None) => DidTarget::Queue(q.clone()),
        (None, None, Some(e)) => DidTarget::Extension(e.clone()),
        _ => {
            return Err(vec![(
                "route",
                format!(
                    "DID {:?}: give exactly one of route, queue, extension",
                    s.number
                ),
            )])
        }
    };
    Ok(DidSetup {
        number: s.number.trim().to_string(),
        target,
    })
}

/// Digits with an optional leading `+`, not empty.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The whole plan from the file's sections. `problem` gets each problem with the entry's
/// index (trunks first, then DIDs; `None` for the plan as a whole) and its message.
pub fn resolve(
    trunks: &[TrunkSection],
    dids: &[DidSection],
    outbound: &OutboundSection,
    country_code: &str,
    problem: &mut dyn FnMut(Place, String),
) -> TrunkPlan {
    let mut plan = TrunkPlan {
        deny_prefixes: outbound.deny.clone(),
        country_code: country_code.to_string(),
        ..TrunkPlan::default()
    };
    for (i, t) in trunks.iter().enumerate() {
        match resolve_trunk(t) {
            Ok(setup) => plan.trunks.push(setup),
            Err(errors) => {
                for (key, message) in errors {
                    problem(
                        Place::Trunk(i),
                        format!("trunks.{key} of `{}`: {message}", t.name),
                    );
                }
            }
        }
    }
    for (i, d) in dids.iter().enumerate() {
        match resolve_did(d) {
            Ok(setup) => plan.dids.push(setup),
            Err(errors) => {
                for (key, message) in errors {
                    problem(Place::Did(i), format!("dids.{key}: {message}"));
                }
            }
        }
    }
    if let Err(errors) = plan.validate() {
        for e in errors {
            problem(place_of(&e, trunks, dids), format!("trunks: {e}"));
        }
    }
    plan
}

/// What a DID may name besides dialplan routes: the queues and extensions configured.
#[derive(Debug, Clone, Copy)]
pub struct Targets<'a> {
    pub queues: &'a HashSet<String>,
    pub extensions: &'a HashSet<String>,
}

/// The configuration file's sections resolved ([`resolve`]), each problem at its entry's span;
/// a DID's queue or extension must exist (a route is the dialplans' to know: a number no plan
/// routes is refused when called).
pub fn resolve_file(
    trunks: &[Spanned<TrunkSection>],
    dids: &[Spanned<DidSection>],
    outbound: &OutboundSection,
    country_code: &str,
    targets: Targets<'_>,
    problem: &mut dyn FnMut(Range<usize>, String),
) -> TrunkPlan {
    let trunk_sections: Vec<_> = trunks.iter().map(|t| t.get_ref().clone()).collect();
    let did_sections: Vec<_> = dids.iter().map(|d| d.get_ref().clone()).collect();
    let plan = resolve(
        &trunk_sections,
        &did_sections,
        outbound,
        country_code,
        &mut |at, message| {
            let span = match at {
                Place::Trunk(i) => trunks.get(i).map(Spanned::span),
                Place::Did(i) => dids.get(i).map(Spanned::span),
                Place::Plan => None,
            };
            problem(span.unwrap_or(0..0), message)
        },
    );
    for d in &plan.dids {
        let span = dids
            .iter()
            .find(|s| s.get_ref().number.trim() == d.number)
            .map_or(0..0, Spanned::span);
        match &d.target {
            DidTarget::Queue(q) if !targets.queues.contains(q) => problem(
                span,
                format!("dids.queue of `{}`: no queue `{q}`", d.number),
            ),
            DidTarget::Extension(e) if !targets.extensions.contains(e) => problem(
                span,
                format!("dids.extension of `{}`: no extension `{e}`", d.number),
            ),
            _ => {}
        }
    }
    plan
}

/// Warnings for DIDs whose route no dialplan routes (`routed` says whether one does): their
/// calls would be refused. Warnings, not errors: dialplans reload without a restart.
pub fn unrouted_dids(plan: &TrunkPlan, routed: impl Fn(&str) -> bool) -> Vec<String> {
    plan.dids
        .iter()
        .filter_map(|d| match &d.target {
            DidTarget::Route(r) if !routed(r) => Some(format!(
                "warning: DID {} goes to route {r}, which no dialplan routes: its calls are refused",
                d.number
            )),
            _ => None,
        })
        .collect()
}

/// Where a problem is: a trunk or a DID by its index in the file, or the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Trunk(usize),
    Did(usize),
    Plan,
}

fn place_of(e: &trunk::SetupError, trunks: &[TrunkSection], dids: &[DidSection]) -> Place {
    use trunk::SetupError as E;
    let trunk = |n: &str| trunks.iter().rposition(|t| t.name == n).map(Place::Trunk);
    let did = |n: &str| {
        dids.iter()
            .rposition(|d| d.number.trim() == n)
            .map(Place::Did)
    };
    match e {
        E::BadName(n)
        | E::DuplicateTrunk(n)
        | E::NoHost(n)
        | E::RegisterWithoutCredentials(n)
        | E::ShortExpiry(n)
        | E::BadPing(n)
        | E::ZeroLimit(n) => trunk(n),
        E::BadDid(n) | E::DuplicateDid(n) => did(n),
        _ => None,
    }
    .unwrap_or(Place::Plan)
}

/// A trunk as the API shows it: the section's keys, `password_set` instead of the password.
pub fn trunk_json(t: &TrunkSetup) -> Value {
    let mut v = json!({
        "name": t.name,
        "host": t.host,
        "transport": match t.transport { Transport::Tcp => "tcp", _ => "udp" },
        "sources": t.sources.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "register": t.register.is_some(),
        "strip": t.rewrite.strip,
        "prepend": t.rewrite.prepend,
        "number_format": match t.number_format {
            NumberFormat::E164 => "e164",
            NumberFormat::National => "national",
        },
        "password_set": t.credentials.is_some(),
    });
    let Value::Object(map) = &mut v else {
        return v;
    };
    let mut put = |k: &str, val: Option<Value>| {
        if let Some(val) = val {
            map.insert(k.into(), val);
        }
    };
    put("port", t.port.map(Value::from));
    put(
        "match",
        t.match_header
            .as_ref()
            .map(|(h, v)| json!({ "header": h, "value": v })),
    );
    if let Some(c) = &t.credentials {
        put("username", Some(c.username.clone().into()));
        put("realm", c.realm.clone().map(Value::from));
    }
    if let Some(r) = &t.register {
        put("expiry", Some(format!("{}s", r.expiry.as_secs()).into()));
        put("contact_user", r.contact_user.clone().map(Value::from));
    }
    put("max_channels", t.max_channels.map(Value::from));
    put("max_cps", t.max_cps.map(Value::from));
    if let Some(p) = &t.ping {
        put("ping", Some(format!("{}s", p.interval.as_secs()).into()));
        put("ping_down_after", Some(p.down_after.into()));
        put("ping_up_after", Some(p.up_after.into()));
    }
    put("caller_id", t.caller_id.clone().map(Value::from));
    put(
        "answer_timeout",
        (t.answer_timeout != trunk::DEFAULT_ANSWER_TIMEOUT)
            .then(|| format!("{}s", t.answer_timeout.as_secs()).into()),
    );
    v
}

/// A DID as the API shows it (the `[[dids]]` keys).
pub fn did_json(d: &DidSetup) -> Value {
    let (key, target) = match &d.target {
        DidTarget::Route(r) => ("route", r),
        DidTarget::Queue(q) => ("queue", q),
        DidTarget::Extension(e) => ("extension", e),
    };
    json!({ "number": d.number, key: target })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(text: &str) -> Result<TrunkPlan, Vec<String>> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            trunks: Vec<TrunkSection>,
            #[serde(default)]
            dids: Vec<DidSection>,
            #[serde(default)]
            outbound: OutboundSection,
        }
        let f: File = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
        let mut problems = Vec::new();
        let plan = resolve(&f.trunks, &f.dids, &f.outbound, "82", &mut |_, m| {
            problems.push(m)
        });
        if problems.is_empty() {
            Ok(plan)
        } else {
            Err(problems)
        }
    }

    #[test]
    fn a_full_trunk_resolves() {
        let plan = plan_of(
            r#"
[[trunks]]
name = "carrier-a"
host = "sip.carrier.example"
transport = "tcp"
sources = ["192.0.2.0/24", "198.51.100.7"]
match = { header = "Request-URI-user", value = "bank" }
username = "bank01"
password = "carrier-set"
realm = "carrier.example"
register = true
expiry = "30m"
max_channels = 30
max_cps = 5
ping = "30s"
strip = 1
prepend = "+82"
caller_id = "+8215880000"
number_format = "national"
answer_timeout = "8s"

[[dids]]
number = "+8215880000"
route = "1588"
[[dids]]
number = "+8215881111"
queue = "loans"
"#,
        )
        .unwrap();
        let t = &plan.trunks[0];
        assert_eq!(t.transport, Transport::Tcp);
        assert_eq!(t.port, None);
        assert_eq!(t.sources.len(), 2);
        assert_eq!(
            t.match_header,
            Some(("Request-URI-user".into(), "bank".into()))
        );
        assert_eq!(
            t.register.as_ref().unwrap().expiry,
            Duration::from_secs(1800)
        );
        let ping = t.ping.as_ref().unwrap();
        assert_eq!(
            (ping.interval.as_secs(), ping.down_after, ping.up_after),
            (30, 3, 2)
        );
        assert_eq!(
            t.rewrite,
            Rewrite {
                strip: 1,
                prepend: "+82".into()
            }
        );
        assert_eq!(t.number_format, NumberFormat::National);
        assert_eq!(t.answer_timeout, Duration::from_secs(8));
        assert_eq!(plan.dids[1].target, DidTarget::Queue("loans".into()));
        assert_eq!(plan.deny_prefixes, DEFAULT_DENY);
        assert_eq!(plan.country_code, "82");
        assert!(
            !format!("{plan:?}").contains("carrier-set"),
            "password logged"
        );
        let shown = trunk_json(t).to_string();
        assert!(!shown.contains("carrier-set") && shown.contains("\"password_set\":true"));
        assert!(shown.contains("\"answer_timeout\":\"8s\""), "{shown}");
    }

    #[test]
    fn problems_name_the_key_and_the_trunk() {
        let errors = plan_of(
            r#"
[outbound]
deny = ["1x"]
[[trunks]]
name = "a"
host = "192.0.2.1"
transport = "sctp"
expiry = "soon"
register = true
answer_timeout = "60s"
[[trunks]]
name = "a"
host = "192.0.2.2"
sources = ["example.com"]
ping_up_after = 2
[[dids]]
number = "1588"
route = "1588"
queue = "x"
"#,
        )
        .unwrap_err();
        let all = errors.join("\n");
        for want in [
            "trunks.transport of `a`: `sctp` is not udp or tcp",
            "trunks.expiry of `a`: `soon` is not a duration",
            "trunks.answer_timeout of `a`: must be from 1 s to 30 s",
            "trunks.sources of `a`: not an address or address range: \"example.com\"",
            "trunks.ping of `a`: ping_down_after/ping_up_after need `ping`",
            "dids.route: DID \"1588\": give exactly one of route, queue, extension",
            "trunks: deny prefix \"1x\"",
        ] {
            assert!(all.contains(want), "missing {want:?} in:\n{all}");
        }
        let errors = plan_of(
            "[[trunks]]\nname = \"b\"\nhost = \"h\"\nregister = true\n[[trunks]]\nname = \"b\"\nhost = \"h\"\n",
        )
        .unwrap_err()
        .join("\n");
        assert!(
            errors.contains("trunk \"b\" registers but has no credentials"),
            "{errors}"
        );
        assert!(errors.contains("two trunks are named \"b\""), "{errors}");
    }

    #[test]
    fn dids_to_routes_no_plan_knows_are_warned_about() {
        let plan = plan_of(
            "[[dids]]\nnumber = \"+8215880000\"\nroute = \"1588\"\n\
             [[dids]]\nnumber = \"+8215881111\"\nroute = \"7777\"\n\
             [[dids]]\nnumber = \"+8215882222\"\nextension = \"2001\"\n",
        )
        .unwrap();
        let warnings = unrouted_dids(&plan, |n| n == "1588");
        assert_eq!(
            warnings,
            ["warning: DID +8215881111 goes to route 7777, which no dialplan routes: its calls are refused"]
        );
    }

    #[test]
    fn durations_and_an_empty_deny_list() {
        for (text, secs) in [("90", 90), ("90s", 90), ("5m", 300), ("2h", 7200)] {
            let d = DurationText::Text(text.into()).parse().unwrap();
            assert_eq!(d.as_secs(), secs, "{text}");
        }
        assert!(DurationText::Text("5d".into()).parse().is_err());
        let long = format!("[[trunks]]\nname = \"{}\"\nhost = \"h\"\n", "a".repeat(65));
        assert!(plan_of(&long).unwrap_err()[0].contains("trunks.name of"));
        let plan = plan_of("[outbound]\ndeny = []\n").unwrap();
        assert!(plan.deny_prefixes.is_empty());
        let plan =
            plan_of("[[trunks]]\nname = \"x\"\nhost = \"[2001:db8::1]\"\nport = 5080\n").unwrap();
        assert_eq!(plan.trunks[0].host, "2001:db8::1");
        assert_eq!(plan.trunks[0].credentials, None);
        assert_eq!(plan.trunks[0].ping, None);
    }

    /// Issue 16: trunk problems point at the entry, with the key and the trunk's name.
    #[test]
    fn trunks_resolve_and_their_problems_are_located() {
        let ok = "[database]\ndefault_country_code = \"82\"\n[sip]\ndns_servers = [\"127.0.0.1:5353\"]\n\
                  [[users]]\nextension = \"1001\"\npassword = \"pw-1001-secret\"\n\
                  [[trunks]]\nname = \"carrier-a\"\nhost = \"127.0.0.2\"\nsources = [\"127.0.0.2\"]\n\
                  [[dids]]\nnumber = \"+8215880000\"\nextension = \"1001\"\n";
        let r = crate::config::parse("t.toml", ok).unwrap();
        assert_eq!(r.trunks.trunks[0].name, "carrier-a");
        assert_eq!(r.trunks.country_code, "82");
        assert_eq!(
            r.dns_servers,
            ["127.0.0.1:5353".parse::<std::net::SocketAddr>().unwrap()]
        );
        assert!(r.trunks.deny_prefixes.iter().any(|p| p == "112"));
        let bad = "[[trunks]]\nname = \"carrier-a\"\nhost = \"h\"\nnumber_format = \"local\"\n\
                   [[dids]]\nnumber = \"+8215880000\"\nqueue = \"nowhere\"\n";
        let err = crate::config::parse("t.toml", bad).unwrap_err().to_string();
        assert!(
            err.contains(
                "t.toml:1:1: trunks.number_format of `carrier-a`: `local` is not e164 or national"
            ),
            "{err}"
        );
        assert!(
            err.contains("t.toml:5:1: dids.queue of `+8215880000`: no queue `nowhere`"),
            "{err}"
        );
    }
}
