//! The `[acd]`, `[[queues]]` and `[[agents]]` sections of the configuration: queues with their
//! strategy, limits, overflow and routing profile, and agents with skills and memberships,
//! resolved into what the switch core's ACD runs on (`switch::AcdSetup`).

use crate::switch::{AcdSetup, AgentSetup, QueueSetup};
use crate::switch::{ExitKey, QueueExitSetup};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

/// `[acd]`: settings for every queue and agent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AcdSection {
    /// Pause reasons an agent picks with `*93<n>` (1-based); `*93` alone uses the first.
    pub pause_reasons: Vec<String>,
    /// Dispositions an agent picks after a call (wrap-up).
    pub wrap_up_codes: Vec<String>,
}

impl Default for AcdSection {
    fn default() -> Self {
        AcdSection {
            pause_reasons: ["break", "lunch", "training", "meeting", "coaching"]
                .map(String::from)
                .to_vec(),
            wrap_up_codes: [
                "resolved",
                "follow_up",
                "escalated",
                "complaint",
                "sale",
                "wrong_number",
                "other",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// A text value of a queue definition: from the file it carries its span
/// (`toml::Spanned<String>`), from an HTTP API body it is a plain `String`; problems are
/// reported with both the span (if any) and the field's path.
pub trait Located {
    fn get_ref(&self) -> &String;
    fn span(&self) -> Option<Range<usize>>;
}

impl Located for Spanned<String> {
    fn get_ref(&self) -> &String {
        Spanned::get_ref(self)
    }
    fn span(&self) -> Option<Range<usize>> {
        Some(Spanned::span(self))
    }
}

impl Located for String {
    fn get_ref(&self) -> &String {
        self
    }
    fn span(&self) -> Option<Range<usize>> {
        None
    }
}

/// Where a problem is: its span in the file, and the field's path in a queue definition
/// (`profile[1].skills`; empty for sections only the file has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub span: Option<Range<usize>>,
    pub field: String,
}

impl Place {
    fn of(value: &impl Located, field: impl Into<String>) -> Place {
        Place {
            span: value.span(),
            field: field.into(),
        }
    }
}

/// One `[[queues]]` entry (`S`: `Spanned<String>` from the file, `String` from an API body).
/// Serialized back (to JSON) it is the queue's definition as the HTTP API shows it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
pub struct QueueSection<S = Spanned<String>> {
    pub name: S,
    /// A number that enters the queue when dialled (and the target of a transfer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<S>,
    /// longest-idle (default), round-robin, fewest-calls, least-talk-time, ring-all, linear,
    /// random.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_timeout_s: Option<u64>,
    /// An agent who missed a call is not offered it again for this long (default 5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_up_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_wait_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_len: Option<usize>,
    /// Another queue's name or an extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overflow: Option<S>,
    /// never (default), no-agents, all-paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_empty: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leave_when_empty: Option<S>,
    /// Skill steps that widen with waiting time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<StepSection<S>>,
    /// How long skills the dialplan asks for apply when the queue has no profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_skills_for_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announce_every_s: Option<u64>,
    /// The announcement's prompts (see docs/configuration.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub announce: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_level_s: Option<u64>,
    /// Percent of calls to answer within `service_level_s` (1 to 100; default 80).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_level_target: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_abandon_s: Option<u64>,
    /// Prompt (relative to the prompts directory, or `tone:`/`silence:`) callers hear while
    /// they wait; default the dialplan's music on hold, else ringback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moh: Option<String>,
    /// Keys a waiting caller may press: `message`, `callback` or a target (a queue, an
    /// extension or a number the dialplans route).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exit_keys: BTreeMap<String, S>,
    /// Prompt played before a message is recorded (default a beep).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_prompt: Option<String>,
    /// Longest message in seconds (default 120).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_max_s: Option<u64>,
    /// Prompt played before the callback number is read back (default `en/callback.wav`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_prompt: Option<String>,
    /// Directory of the digit files that read the callback number back (default `en/digits`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_digits: Option<String>,
    /// `decodable` or `as-is`: what offers of calls to this queue may carry (the
    /// `[recording]` section's `offers` when left out). Configuration file only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offers: Option<S>,
}

/// One step of a routing profile.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepSection<S = Spanned<String>> {
    /// `"loans:4, korean:5"`.
    pub skills: S,
    pub for_s: u64,
}

/// One `[[agents]]` entry (`S`: `Spanned<String>` from the file, `String` from an API body).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(
    deny_unknown_fields,
    bound(deserialize = "S: Deserialize<'de>", serialize = "S: Serialize")
)]
pub struct AgentSection<S = Spanned<String>> {
    pub id: S,
    pub name: Option<String>,
    /// The extension the agent usually works at: `*91` from it logs this agent in.
    pub extension: Option<S>,
    /// Digits typed after `*91<agent>` to log this agent in from another extension.
    pub pin: Option<S>,
    /// `"loans:4, korean:5"`.
    pub skills: Option<S>,
    #[serde(default)]
    pub queues: Vec<MembershipSection>,
    pub max_missed: Option<u32>,
    pub wrap_up_s: Option<u64>,
}

/// A queue an agent serves: its name, or a table with weight and order. (Untagged enums
/// cannot carry spans; problems point at the agent's id.)
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum MembershipSection {
    Name(String),
    Full {
        queue: String,
        #[serde(default)]
        weight: u32,
        order: Option<u32>,
    },
}

type Report<'a> = dyn FnMut(Place, String) + 'a;

/// Resolve the sections; problems go to `problem` with the place they concern.
pub fn resolve<S: Located>(
    section: AcdSection,
    queues: Vec<QueueSection<S>>,
    agents: Vec<AgentSection<S>>,
    extensions: &HashSet<String>,
    problem: &mut Report<'_>,
) -> AcdSetup {
    let names: HashSet<String> = queues.iter().map(|q| q.name.get_ref().clone()).collect();
    let mut setup = AcdSetup {
        pause_reasons: section.pause_reasons,
        ..AcdSetup::default()
    };
    let mut seen = HashSet::new();
    let mut numbers = HashSet::new();
    for q in queues {
        let name = q.name.get_ref().clone();
        if !valid_name(&name) {
            problem(
                Place::of(&q.name, "name"),
                format!("queues.name `{name}`: use letters, digits and . _ - only"),
            );
            continue;
        }
        if !seen.insert(name.clone()) {
            let twice = format!("queue `{name}` is defined twice");
            problem(Place::of(&q.name, "name"), twice);
            continue;
        }
        let mut cfg = acd::QueueConfig::new(name.clone());
        if let Some(s) = &q.strategy {
            match strategy(s.get_ref()) {
                Some(st) => cfg.strategy = st,
                None => problem(
                    Place::of(s, "strategy"),
                    format!(
                        "queue `{name}`: unknown strategy `{}` (longest-idle, round-robin, \
                         fewest-calls, least-talk-time, ring-all, linear, random)",
                        s.get_ref()
                    ),
                ),
            }
        }
        let secs = Duration::from_secs;
        if let Some(s) = q.ring_timeout_s {
            cfg.ring_timeout = secs(s.max(1));
        }
        if let Some(s) = q.retry_s {
            cfg.retry = secs(s);
        }
        cfg.wrap_up = secs(q.wrap_up_s.unwrap_or(0));
        cfg.max_wait = q.max_wait_s.map(secs);
        cfg.max_len = q.max_len;
        if let Some(o) = &q.overflow {
            let target = o.get_ref();
            if target == &name {
                problem(
                    Place::of(o, "overflow"),
                    format!("queue `{name}` overflows to itself"),
                );
            } else if !is_target(target, &names, extensions) {
                problem(
                    Place::of(o, "overflow"),
                    format!(
                        "queue `{name}`: overflow `{target}` is not a queue, an extension or a \
                         number to route"
                    ),
                );
            }
            cfg.overflow = Some(target.clone());
        }
        let mut exit = QueueExitSetup::default();
        for (key, action) in &q.exit_keys {
            let at = || Place::of(action, format!("exit_keys.{key}"));
            let digit = match key.chars().collect::<Vec<_>>().as_slice() {
                [c] if c.is_ascii_digit() || matches!(c, '*' | '#') => *c,
                _ => {
                    problem(
                        at(),
                        format!("queue `{name}`: exit key `{key}` must be one of 0-9 * #"),
                    );
                    continue;
                }
            };
            let value = action.get_ref();
            let what = match value.as_str() {
                "message" => ExitKey::Message,
                "callback" => ExitKey::Callback,
                t if t == name => {
                    problem(
                        at(),
                        format!("queue `{name}`: exit key `{key}` leads back to the same queue"),
                    );
                    continue;
                }
                t if is_target(t, &names, extensions) => ExitKey::Target(t.to_string()),
                t => {
                    problem(
                        at(),
                        format!(
                            "queue `{name}`: exit key `{key}`: `{t}` is not message, \
                             callback, a queue, an extension or a number to route"
                        ),
                    );
                    continue;
                }
            };
            exit.keys.insert(digit, what);
        }
        if let Some(p) = q.message_prompt {
            exit.message_prompt = p;
        }
        if let Some(s) = q.message_max_s {
            exit.message_max = Duration::from_secs(s.clamp(1, 3600));
        }
        if let Some(p) = q.callback_prompt {
            exit.callback_prompt = p;
        }
        if let Some(d) = q.callback_digits {
            exit.callback_digits = d;
        }
        for (field, value, slot) in [
            ("join_empty", &q.join_empty, &mut cfg.join_empty),
            (
                "leave_when_empty",
                &q.leave_when_empty,
                &mut cfg.leave_when_empty,
            ),
        ] {
            if let Some(v) = value {
                match empty_rule(v.get_ref()) {
                    Some(r) => *slot = r,
                    None => problem(
                        Place::of(v, field),
                        format!(
                            "queue `{name}`: {field} `{}` must be never, no-agents or all-paused",
                            v.get_ref()
                        ),
                    ),
                }
            }
        }
        for (i, step) in q.profile.iter().enumerate() {
            match skills(step.skills.get_ref()) {
                Ok(s) => cfg.profile.push(acd::RoutingStep {
                    skills: s,
                    duration: secs(step.for_s),
                }),
                Err(e) => problem(
                    Place::of(&step.skills, format!("profile[{i}].skills")),
                    format!("queue `{name}`: {e}"),
                ),
            }
        }
        if let Some(s) = q.call_skills_for_s {
            cfg.call_skills_for = secs(s);
        }
        cfg.announce_interval = q.announce_every_s.filter(|s| *s > 0).map(secs);
        if let Some(s) = q.service_level_s {
            cfg.service_level = secs(s);
        }
        if let Some(s) = q.short_abandon_s {
            cfg.short_abandon = secs(s);
        }
        match q.service_level_target {
            Some(t @ 1..=100) => cfg.service_level_target = t,
            Some(t) => problem(
                Place::of(&q.name, "service_level_target"),
                format!("queue `{name}`: service_level_target {t}: a percentage from 1 to 100"),
            ),
            None => {}
        }
        let number = q.number.as_ref().map(|n| n.get_ref().clone());
        if let Some(n) = &q.number {
            if extensions.contains(n.get_ref()) {
                problem(
                    Place::of(n, "number"),
                    format!(
                        "queue `{name}`: number `{}` is also an extension",
                        n.get_ref()
                    ),
                );
            } else if !numbers.insert(n.get_ref().clone()) {
                problem(
                    Place::of(n, "number"),
                    format!("queue `{name}`: number `{}` is used twice", n.get_ref()),
                );
            }
        }
        if cfg.announce_interval.is_some() && q.announce.is_empty() {
            problem(
                Place::of(&q.name, "name"),
                format!("queue `{name}`: announce_every_s needs `announce` prompts"),
            );
        }
        setup.queues.push(QueueSetup {
            cfg,
            number,
            moh: q.moh,
            announce: q.announce,
            exit,
        });
    }

    setup.agents = resolve_agents(agents, &names, extensions, problem);
    setup
}

/// Resolve `[[agents]]` entries against the queue names and extensions that exist (the file's,
/// or the running switch's for an API body); problems name the field too.
pub fn resolve_agents<S: Located>(
    agents: Vec<AgentSection<S>>,
    names: &HashSet<String>,
    extensions: &HashSet<String>,
    problem: &mut Report<'_>,
) -> Vec<AgentSetup> {
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for a in agents {
        let id = a.id.get_ref().clone();
        if !valid_name(&id) {
            problem(
                Place::of(&a.id, "id"),
                format!("agents.id `{id}`: use letters, digits and . _ - only"),
            );
            continue;
        }
        if !ids.insert(id.clone()) {
            let twice = format!("agent `{id}` is defined twice");
            problem(Place::of(&a.id, "id"), twice);
            continue;
        }
        let mut cfg = acd::AgentConfig::new(id.clone());
        if let Some(s) = &a.skills {
            match skills(s.get_ref()) {
                Ok(sk) => cfg.skills = sk,
                Err(e) => problem(Place::of(s, "skills"), format!("agent `{id}`: {e}")),
            }
        }
        for (i, m) in a.queues.iter().enumerate() {
            let (queue, weight, order) = match m {
                MembershipSection::Name(q) => (q, 0, None),
                MembershipSection::Full {
                    queue,
                    weight,
                    order,
                } => (queue, *weight, *order),
            };
            if !names.contains(queue) {
                problem(
                    Place::of(&a.id, format!("queues[{i}]")),
                    format!("agent `{id}`: no queue named `{queue}`"),
                );
                continue;
            }
            cfg.queues.push(acd::Membership {
                queue: queue.clone(),
                weight,
                order: order.unwrap_or(i as u32),
            });
        }
        if let Some(m) = a.max_missed {
            cfg.max_missed = m;
        }
        cfg.wrap_up = a.wrap_up_s.map(Duration::from_secs);
        let extension = a.extension.as_ref().map(|e| e.get_ref().clone());
        if let Some(e) = &a.extension {
            if !extensions.contains(e.get_ref()) {
                problem(
                    Place::of(e, "extension"),
                    format!("agent `{id}`: extension `{}` is not a user", e.get_ref()),
                );
            }
        }
        if let Some(pin) = &a.pin {
            let p = pin.get_ref();
            if !(4..=16).contains(&p.len()) || !p.chars().all(|c| c.is_ascii_digit()) {
                problem(
                    Place::of(pin, "pin"),
                    format!("agent `{id}`: pin must be 4 to 16 digits"),
                );
            }
        }
        out.push(AgentSetup {
            cfg,
            name: a.name,
            extension,
            pin: a.pin.map(|p| p.get_ref().clone()),
        });
    }
    out
}

/// Whether `t` can be sent a caller: a queue, an extension, or a dial string (digits, `*`,
/// `#`, a leading `+`) that a dialplan may route (checked when the plans load:
/// [`unrouted_targets`]).
fn is_target(t: &str, queues: &HashSet<String>, extensions: &HashSet<String>) -> bool {
    queues.contains(t) || extensions.contains(t) || is_dial_string(t)
}

fn is_dial_string(t: &str) -> bool {
    let digits = t.strip_prefix('+').unwrap_or(t);
    !digits.is_empty()
        && digits.len() <= 32
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#'))
}

/// The overflow and exit-key targets that are neither a queue nor an extension and that no
/// dialplan route matches (`plans` None: there are no dialplans), one message each.
pub fn unrouted_targets(
    acd: &AcdSetup,
    extensions: &HashSet<String>,
    plans: Option<&ivr::Dialplans>,
) -> Vec<String> {
    let queues: HashSet<&str> = acd.queues.iter().map(|q| q.cfg.name.as_str()).collect();
    let routed = |t: &str| {
        queues.contains(t) || extensions.contains(t) || plans.is_some_and(|p| p.route(t).is_some())
    };
    let mut out = Vec::new();
    for q in &acd.queues {
        let name = &q.cfg.name;
        if let Some(t) = q.cfg.overflow.as_deref().filter(|t| !routed(t)) {
            out.push(format!(
                "queue `{name}`: overflow `{t}` is no queue, extension or dialplan route"
            ));
        }
        for (key, exit) in &q.exit.keys {
            if let ExitKey::Target(t) = exit {
                if !routed(t) {
                    out.push(format!(
                        "queue `{name}`: exit key `{key}` target `{t}` is no queue, extension \
                         or dialplan route"
                    ));
                }
            }
        }
    }
    out
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn skills(list: &str) -> Result<acd::Skills, String> {
    let items: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    acd::parse_skills(&items).map_err(|e| e.to_string())
}

fn strategy(s: &str) -> Option<acd::Strategy> {
    Some(match s {
        "longest-idle" => acd::Strategy::LongestIdle,
        "round-robin" => acd::Strategy::RoundRobin,
        "fewest-calls" => acd::Strategy::FewestCalls,
        "least-talk-time" => acd::Strategy::LeastTalkTime,
        "ring-all" => acd::Strategy::RingAll,
        "linear" => acd::Strategy::Linear,
        "random" => acd::Strategy::Random,
        _ => return None,
    })
}

fn empty_rule(s: &str) -> Option<acd::EmptyRule> {
    Some(match s {
        "never" => acd::EmptyRule::Never,
        "no-agents" => acd::EmptyRule::NoAgentsLoggedIn,
        "all-paused" => acd::EmptyRule::AllPaused,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::parse;
    use std::time::Duration;

    const USERS: &str = "[[users]]\nextension = \"2001\"\npassword = \"secret-2001\"\n\
                         [[users]]\nextension = \"2002\"\npassword = \"secret-2002\"\n";

    #[test]
    fn queues_and_agents_resolve() {
        let text = format!(
            "{USERS}
[acd]
pause_reasons = [\"break\", \"lunch\"]
[[queues]]
name = \"loans\"
number = \"7001\"
strategy = \"ring-all\"
ring_timeout_s = 10
retry_s = 2
wrap_up_s = 15
max_wait_s = 300
overflow = \"general\"
join_empty = \"no-agents\"
service_level_target = 90
profile = [ {{ skills = \"loans:4, korean\", for_s = 30 }} ]
[[queues]]
name = \"general\"
overflow = \"2001\"
[[agents]]
id = \"a1\"
extension = \"2002\"
skills = \"loans:5\"
queues = [\"general\", {{ queue = \"loans\", weight = 2, order = 7 }}]
max_missed = 0
"
        );
        let r = parse("acd.toml", &text).expect("valid");
        let loans = &r.acd.queues[0];
        assert_eq!(loans.number.as_deref(), Some("7001"));
        assert_eq!(loans.cfg.strategy, acd::Strategy::RingAll);
        assert_eq!(loans.cfg.retry, Duration::from_secs(2));
        assert_eq!(loans.cfg.max_wait, Some(Duration::from_secs(300)));
        assert_eq!(loans.cfg.join_empty, acd::EmptyRule::NoAgentsLoggedIn);
        assert_eq!(loans.cfg.service_level_target, 90);
        assert_eq!(r.acd.queues[1].cfg.service_level_target, 80, "the default");
        assert_eq!(loans.cfg.profile[0].skills.get("korean"), Some(&1));
        let a = &r.acd.agents[0];
        assert_eq!(a.cfg.queues[1].weight, 2);
        assert_eq!(a.cfg.queues[1].order, 7);
        assert_eq!(a.cfg.max_missed, 0);
        assert_eq!(r.acd.pause_reasons, ["break", "lunch"]);
    }

    /// The wallboard compared every queue with a fixed 80 %; each queue now names its target.
    #[test]
    fn service_level_targets_are_percentages() {
        for bad in [0, 101] {
            let text = format!("{USERS}[[queues]]\nname = \"q\"\nservice_level_target = {bad}\n");
            let err = parse("acd.toml", &text).unwrap_err().to_string();
            assert!(
                err.contains(&format!(
                    "queue `q`: service_level_target {bad}: a percentage from 1 to 100"
                )),
                "{err}"
            );
        }
    }

    #[test]
    fn exit_keys_resolve_and_mistakes_are_located() {
        let text = format!(
            "{USERS}
[[queues]]
name = \"q\"
exit_keys = {{ \"1\" = \"message\", \"0\" = \"2001\", \"#\" = \"1588\", \"2\" = \"callback\" }}
message_max_s = 30
callback_prompt = \"tone:700:300\"
[[queues]]
name = \"r\"
exit_keys = {{ \"12\" = \"message\", \"3\" = \"voicemail\", \"4\" = \"r\", \"5\" = \"callbak\" }}
"
        );
        let err = parse("acd.toml", &text).unwrap_err().to_string();
        for needle in [
            "acd.toml:15:22: queue `r`: exit key `12` must be one of 0-9 * #",
            "acd.toml:15:39: queue `r`: exit key `3`: `voicemail` is not message, callback, a queue",
            "acd.toml:15:58: queue `r`: exit key `4` leads back to the same queue",
            "acd.toml:15:69: queue `r`: exit key `5`: `callbak` is not message, callback, a queue",
        ] {
            assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
        }
        let good = text
            .split("[[queues]]\nname = \"r\"")
            .next()
            .unwrap_or_default();
        let r = parse("acd.toml", good).expect("valid");
        let exit = &r.acd.queues[0].exit;
        use crate::switch::ExitKey;
        assert_eq!(exit.keys.get(&'1'), Some(&ExitKey::Message));
        assert_eq!(exit.keys.get(&'0'), Some(&ExitKey::Target("2001".into())));
        assert_eq!(exit.keys.get(&'#'), Some(&ExitKey::Target("1588".into())));
        assert_eq!(exit.message_max, Duration::from_secs(30));
        assert_eq!(exit.keys.get(&'2'), Some(&ExitKey::Callback));
        assert_eq!(exit.callback_prompt, "tone:700:300");
        assert_eq!(exit.callback_digits, "en/digits");
        // 1588 is neither a queue nor an extension: only a dialplan route can take it.
        let unrouted = crate::config::acd_sections::unrouted_targets(
            &r.acd,
            &["2001".to_string()].into_iter().collect(),
            None,
        );
        assert_eq!(
            unrouted,
            ["queue `q`: exit key `#` target `1588` is no queue, extension or dialplan route"]
        );
    }

    #[test]
    fn mistakes_are_located() {
        let text = format!(
            "{USERS}
[[queues]]
name = \"q\"
number = \"2001\"
strategy = \"fastest\"
overflow = \"nowhere\"
profile = [ {{ skills = \"loans:9\", for_s = 30 }} ]
[[agents]]
id = \"a1\"
extension = \"9999\"
queues = [\"missing\"]
"
        );
        let err = parse("acd.toml", &text).unwrap_err().to_string();
        for needle in [
            "acd.toml:10:10: queue `q`: number `2001` is also an extension",
            "acd.toml:11:12: queue `q`: unknown strategy `fastest`",
            "acd.toml:12:12: queue `q`: overflow `nowhere` is not a queue, an extension or a number to route",
            "acd.toml:13:24: queue `q`: invalid skill",
            "acd.toml:15:6: agent `a1`: no queue named `missing`",
            "acd.toml:16:13: agent `a1`: extension `9999` is not a user",
        ] {
            assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
        }
    }
}
