//! Compiled dialplans: what the interpreter walks. Built by `load` from checked files, immutable
//! and shared behind an `Arc`, so a reload swaps the whole set while calls keep the one they
//! started with.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono_tz::Tz;
use regex::Regex;

use crate::diag::Diagnostic;
use crate::template::Template;
use crate::timespec::{Hours, Window};

/// A loaded, checked set of dialplans. Cheap to clone; a `Session` keeps its own clone.
#[derive(Debug, Clone)]
pub struct Dialplans {
    pub(crate) inner: Arc<PlanSet>,
}

impl Dialplans {
    /// Warnings found while loading (unreachable steps and the like).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.inner.warnings
    }

    /// Names of the loaded plans (file stems), sorted.
    pub fn plan_names(&self) -> Vec<&str> {
        self.inner.plans.iter().map(|p| p.name.as_str()).collect()
    }

    /// The plan name and step id a dialled number enters, if any route matches.
    /// A prompt named the way plans name them (`tone:440:1000`, `silence:500`, or a file under
    /// the prompts directory), e.g. a `moh` step's source. None when malformed or escaping.
    pub fn prompt(&self, spec: &str) -> Option<crate::Prompt> {
        crate::prompt::parse_prompt(spec, &self.inner.prompts_dir).ok()
    }

    /// The prompts that speak `n` in English word order from the number files in `dir` (under
    /// the prompts directory: `0.wav`..`19.wav`, `20.wav`..`90.wav`, `hundred.wav`...), as the
    /// `say` step does. Empty when `dir` escapes the prompts directory.
    pub fn number_prompts(&self, n: u64, dir: &str) -> Vec<crate::Prompt> {
        crate::prompt::number_words(n)
            .iter()
            .filter_map(|w| self.prompt(&format!("{dir}/{w}.wav")))
            .collect()
    }

    pub fn route(&self, dialled: &str) -> Option<(&str, &str)> {
        let at = self.inner.route(dialled)?;
        let plan = self.inner.plans.get(at.plan)?;
        Some((&plan.name, &plan.steps.get(at.step)?.id))
    }
}

#[derive(Debug)]
pub(crate) struct PlanSet {
    pub plans: Vec<Plan>,
    pub routes: Vec<Route>,
    pub prompts_dir: PathBuf,
    pub warnings: Vec<Diagnostic>,
}

impl PlanSet {
    /// The step at `at`. Refs come from compiling this very set, so None means a bug there;
    /// callers end the call (or skip the check) rather than panic.
    pub fn step(&self, at: StepRef) -> Option<&Step> {
        self.plans.get(at.plan)?.steps.get(at.step)
    }

    /// Exact numbers win over prefixes (longest first), which win over patterns (file order).
    pub fn route(&self, dialled: &str) -> Option<StepRef> {
        self.route_match(dialled).map(|(at, _)| at)
    }

    /// [`PlanSet::route`], with the length of the prefix that matched (0 for an exact number
    /// or a pattern): what is left after it is the `number` variable (`9` + a number).
    pub fn route_match(&self, dialled: &str) -> Option<(StepRef, usize)> {
        let exact = self.routes.iter().find(|r| match &r.matcher {
            Matcher::Exact(n) => n == dialled,
            _ => false,
        });
        let prefix = || {
            self.routes
                .iter()
                .filter_map(|r| match &r.matcher {
                    Matcher::Prefix(p) if dialled.starts_with(p.as_str()) => Some((p.len(), r)),
                    _ => None,
                })
                .max_by_key(|(len, _)| *len)
                .map(|(_, r)| r)
        };
        let pattern = || {
            self.routes.iter().find(|r| match &r.matcher {
                Matcher::Pattern(re) => re.is_match(dialled),
                _ => false,
            })
        };
        let prefix_len = |r: &Route| match &r.matcher {
            Matcher::Prefix(p) => p.len(),
            _ => 0,
        };
        exact
            .or_else(prefix)
            .or_else(pattern)
            .map(|r| (r.target, prefix_len(r)))
    }
}

#[derive(Debug)]
pub(crate) struct Route {
    pub matcher: Matcher,
    pub target: StepRef,
}

#[derive(Debug)]
pub(crate) enum Matcher {
    Exact(String),
    Prefix(String),
    Pattern(Regex),
}

#[derive(Debug)]
pub(crate) struct Plan {
    pub name: String,
    pub steps: Vec<Step>,
}

/// A step in a plan: `plans[plan].steps[step]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct StepRef {
    pub plan: usize,
    pub step: usize,
}

/// Where a step goes next; `None` is the end of the plan (return from a sub-plan, else hang up).
pub(crate) type Next = Option<StepRef>;

#[derive(Debug)]
pub(crate) struct Step {
    pub id: String,
    pub kind: StepKind,
}

#[derive(Debug)]
pub(crate) enum StepKind {
    Answer {
        next: Next,
    },
    Play {
        prompts: Vec<Template>,
        barge_in: bool,
        next: Next,
    },
    Menu(Menu),
    Collect(Collect),
    Say {
        value: Template,
        digits: bool,
        dir: Template,
        next: Next,
    },
    Set {
        vars: Vec<(String, Template)>,
        next: Next,
    },
    Condition {
        when: Vec<Test>,
        then: Next,
        otherwise: Next,
    },
    Lookup {
        timeout: Duration,
        next: Next,
    },
    Goto {
        target: StepRef,
    },
    Call {
        target: StepRef,
        next: Next,
    },
    Return,
    Dial {
        extension: Template,
        ring_timeout: Duration,
        on_busy: Next,
        on_no_answer: Next,
        on_failure: Next,
    },
    Queue {
        queue: Template,
        priority: i32,
        skills: Vec<Template>,
    },
    Hangup {
        prompts: Vec<Template>,
        cause: Template,
    },
    MusicOnHold {
        source: Template,
        next: Next,
    },
    /// Pause or resume the call's recording (a card number is read out meanwhile).
    Record {
        pause: bool,
        next: Next,
    },
}

#[derive(Debug)]
pub(crate) struct Menu {
    pub prompts: Vec<Template>,
    pub options: Vec<(char, StepRef)>,
    pub timeout: Duration,
    pub invalid_prompts: Vec<Template>,
    pub timeout_prompts: Vec<Template>,
    pub max_attempts: u32,
    pub fallback: Next,
}

#[derive(Debug)]
pub(crate) struct Collect {
    pub var: String,
    pub prompts: Vec<Template>,
    pub invalid_prompts: Vec<Template>,
    pub min: usize,
    pub max: usize,
    pub terminator: Option<char>,
    pub first_digit_timeout: Duration,
    pub inter_digit_timeout: Duration,
    pub max_attempts: u32,
    pub next: Next,
    pub on_fail: Next,
}

/// One test of a `condition` step (all must hold).
#[derive(Debug)]
pub(crate) enum Test {
    Var {
        name: String,
        op: VarOp,
    },
    Hours(Arc<Hours>),
    Holiday {
        tz: Tz,
        dates: Arc<BTreeSet<chrono::NaiveDate>>,
    },
    Time {
        tz: Tz,
        window: Window,
    },
}

#[derive(Debug)]
pub(crate) enum VarOp {
    NonEmpty,
    Equals(Template),
    NotEquals(Template),
    Matches(Regex),
    OneOf(Vec<String>),
}

impl StepKind {
    /// Every step this one can continue to, for graph checks.
    pub fn successors(&self) -> Vec<Next> {
        match self {
            StepKind::Answer { next }
            | StepKind::Play { next, .. }
            | StepKind::Say { next, .. }
            | StepKind::Set { next, .. }
            | StepKind::Lookup { next, .. }
            | StepKind::MusicOnHold { next, .. }
            | StepKind::Record { next, .. } => vec![*next],
            StepKind::Menu(m) => {
                let mut v: Vec<Next> = m.options.iter().map(|(_, t)| Some(*t)).collect();
                v.push(m.fallback);
                v
            }
            StepKind::Collect(c) => vec![c.next, c.on_fail],
            StepKind::Condition {
                then, otherwise, ..
            } => vec![*then, *otherwise],
            StepKind::Goto { target } => vec![Some(*target)],
            StepKind::Call { target, next } => vec![Some(*target), *next],
            StepKind::Dial {
                on_busy,
                on_no_answer,
                on_failure,
                ..
            } => vec![*on_busy, *on_no_answer, *on_failure],
            StepKind::Return | StepKind::Queue { .. } | StepKind::Hangup { .. } => vec![],
        }
    }

    /// True when the step waits for something outside (playback, digits, a result) or ends the
    /// interpreter's part of the call; a cycle must contain one of these or it spins forever.
    pub fn waits_or_leaves(&self) -> bool {
        !matches!(
            self,
            StepKind::Answer { .. }
                | StepKind::Set { .. }
                | StepKind::Condition { .. }
                | StepKind::Goto { .. }
                | StepKind::Call { .. }
                | StepKind::Return
                | StepKind::MusicOnHold { .. }
                | StepKind::Record { .. }
        )
    }
}
