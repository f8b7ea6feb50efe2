//! The dialplan file format as serde sees it: every table denies unknown keys and keeps spans,
//! so the compiler can point at file:line:column. Meaning is given in `compile`; the reference
//! for operators is docs/dialplans.md.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A whole dialplan file: one plan, its routes, calendars, business hours and steps.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileDef {
    #[serde(default)]
    pub plan: PlanDef,
    #[serde(default)]
    pub route: Vec<Spanned<RouteDef>>,
    #[serde(default)]
    pub calendar: BTreeMap<Spanned<String>, Spanned<CalendarDef>>,
    #[serde(default)]
    pub hours: BTreeMap<Spanned<String>, Spanned<HoursDef>>,
    #[serde(default)]
    pub step: Vec<Spanned<StepDef>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanDef {
    pub entry: Option<Spanned<String>>,
    pub timezone: Option<Spanned<String>>,
    /// Free text for operators; accepted so files can say what they are for.
    #[allow(dead_code)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RouteDef {
    pub number: Option<Spanned<String>>,
    pub prefix: Option<Spanned<String>>,
    pub pattern: Option<Spanned<String>>,
    pub step: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CalendarDef {
    pub dates: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoursDef {
    pub timezone: Option<Spanned<String>>,
    pub open: Vec<Spanned<String>>,
    #[serde(default)]
    pub holidays: Vec<Spanned<String>>,
}

/// A test of a `condition` step; every key given must hold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CondDef {
    pub var: Option<Spanned<String>>,
    pub equals: Option<Spanned<String>>,
    pub not_equals: Option<Spanned<String>>,
    pub matches: Option<Spanned<String>>,
    pub one_of: Option<Vec<Spanned<String>>>,
    pub hours: Option<Spanned<String>>,
    pub holiday: Option<Spanned<String>>,
    pub time: Option<Spanned<String>>,
    pub weekdays: Option<Vec<Spanned<String>>>,
    pub timezone: Option<Spanned<String>>,
}

/// One step. All step types share this table so that serde (and its spans) reject keys no step
/// type knows; which keys a given `type` accepts is checked in `compile`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepDef {
    pub id: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    pub next: Option<Spanned<String>>,
    pub prompts: Option<Spanned<Vec<Spanned<String>>>>,
    pub barge_in: Option<Spanned<bool>>,
    // menu
    pub options: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    pub timeout: Option<Spanned<String>>,
    pub invalid_prompts: Option<Spanned<Vec<Spanned<String>>>>,
    pub timeout_prompts: Option<Spanned<Vec<Spanned<String>>>>,
    pub max_attempts: Option<Spanned<u32>>,
    pub fallback: Option<Spanned<String>>,
    // collect
    pub var: Option<Spanned<String>>,
    pub min: Option<Spanned<u32>>,
    pub max: Option<Spanned<u32>>,
    pub terminator: Option<Spanned<String>>,
    pub first_digit_timeout: Option<Spanned<String>>,
    pub inter_digit_timeout: Option<Spanned<String>>,
    pub on_fail: Option<Spanned<String>>,
    // say
    pub value: Option<Spanned<String>>,
    pub mode: Option<Spanned<String>>,
    pub dir: Option<Spanned<String>>,
    // set
    pub vars: Option<Spanned<BTreeMap<Spanned<String>, Spanned<String>>>>,
    // condition
    pub when: Option<Spanned<CondDef>>,
    pub then: Option<Spanned<String>>,
    #[serde(rename = "else")]
    pub otherwise: Option<Spanned<String>>,
    // goto, call
    pub target: Option<Spanned<String>>,
    // dial
    pub extension: Option<Spanned<String>>,
    pub ring_timeout: Option<Spanned<String>>,
    pub on_busy: Option<Spanned<String>>,
    pub on_no_answer: Option<Spanned<String>>,
    pub on_failure: Option<Spanned<String>>,
    // queue
    pub queue: Option<Spanned<String>>,
    pub priority: Option<Spanned<i32>>,
    pub skills: Option<Spanned<Vec<Spanned<String>>>>,
    // hangup
    pub cause: Option<Spanned<String>>,
    // moh
    pub source: Option<Spanned<String>>,
    // record
    pub action: Option<Spanned<String>>,
}

impl StepDef {
    /// The keys present in this step besides `id` and `type`, with the span of their value, so
    /// a key that does not belong to the step's type can be reported where it is.
    pub fn present_keys(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        let mut keys = Vec::new();
        macro_rules! key {
            ($($field:ident => $name:literal),* $(,)?) => {
                $(if let Some(v) = &self.$field { keys.push(($name, v.span())); })*
            };
        }
        key!(
            next => "next", prompts => "prompts", barge_in => "barge_in", options => "options",
            timeout => "timeout", invalid_prompts => "invalid_prompts",
            timeout_prompts => "timeout_prompts", max_attempts => "max_attempts",
            fallback => "fallback", var => "var", min => "min", max => "max",
            terminator => "terminator", first_digit_timeout => "first_digit_timeout",
            inter_digit_timeout => "inter_digit_timeout", on_fail => "on_fail", value => "value",
            mode => "mode", dir => "dir", vars => "vars", when => "when", then => "then",
            otherwise => "else", target => "target", extension => "extension",
            ring_timeout => "ring_timeout", on_busy => "on_busy", on_no_answer => "on_no_answer",
            on_failure => "on_failure", queue => "queue", priority => "priority",
            skills => "skills", cause => "cause", source => "source", action => "action",
        );
        keys
    }
}
