//! Compiling one file's `[[step]]` tables into interpreter steps: which keys each type takes,
//! defaults, target resolution, prompt-file checks and condition tests.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use crate::diag::{Diagnostic, SourceFile};
use crate::load::{FileScope, ParsedFile};
use crate::model::{Next, Step, StepKind, StepRef};
use crate::prompt::{number_vocabulary, parse_prompt, Prompt};
use crate::schema::StepDef;
use crate::template::{is_var_name, Template};
use crate::timespec::parse_duration;

/// The keys each step type accepts besides `id` and `type`.
fn allowed_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "answer" => &["next"],
        "play" => &["prompts", "barge_in", "next"],
        "menu" => &[
            "prompts",
            "options",
            "timeout",
            "invalid_prompts",
            "timeout_prompts",
            "max_attempts",
            "fallback",
        ],
        "collect" => &[
            "var",
            "prompts",
            "invalid_prompts",
            "min",
            "max",
            "terminator",
            "first_digit_timeout",
            "inter_digit_timeout",
            "max_attempts",
            "next",
            "on_fail",
        ],
        "say" => &["value", "mode", "dir", "next"],
        "set" => &["vars", "next"],
        "condition" => &["when", "then", "else"],
        "lookup" => &["timeout", "next"],
        "goto" => &["target"],
        "call" => &["target", "next"],
        "return" => &[],
        "dial" => &[
            "extension",
            "ring_timeout",
            "on_busy",
            "on_no_answer",
            "on_failure",
            "next",
        ],
        "queue" => &["queue", "priority", "skills"],
        "hangup" => &["prompts", "cause"],
        "moh" => &["source", "next"],
        "record" => &["action", "next"],
        _ => return None,
    })
}

const STEP_TYPES: &str =
    "answer, play, menu, collect, say, set, condition, lookup, goto, call, return, dial, queue, hangup, moh, record";

/// Resolves `step` (in `plan`) or `other:step`.
pub(crate) fn resolve_target(
    target: &str,
    plan: usize,
    plan_index: &HashMap<String, usize>,
    step_ids: &[HashMap<String, usize>],
) -> Result<StepRef, String> {
    let (p, step) = match target.split_once(':') {
        Some((plan_name, step)) => {
            let p = *plan_index
                .get(plan_name)
                .ok_or_else(|| format!("target `{target}`: plan `{plan_name}` is not defined"))?;
            (p, step)
        }
        None => (plan, target),
    };
    if step.is_empty() {
        return Err(format!("target `{target}`: name a step, as `plan:step`"));
    }
    let s = step_ids
        .get(p)
        .and_then(|ids| ids.get(step))
        .ok_or_else(|| format!("target `{target}`: step `{step}` is not defined"))?;
    Ok(StepRef { plan: p, step: *s })
}

/// Literal values `set` steps give each variable; used to check templated prompt names
/// (`${lang}/welcome.wav`) against every value the plan can produce.
pub(crate) fn literal_set_values(files: &[ParsedFile]) -> HashMap<String, BTreeSet<String>> {
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    for f in files {
        for step in &f.def.step {
            let step = step.get_ref();
            if step.kind.get_ref() != "set" {
                continue;
            }
            for (k, v) in step.vars.iter().flat_map(|m| m.get_ref().iter()) {
                if !v.get_ref().contains("${") {
                    out.entry(k.get_ref().clone())
                        .or_default()
                        .insert(v.get_ref().clone());
                }
            }
        }
    }
    out
}

pub(crate) struct PlanCompiler<'a> {
    pub src: &'a SourceFile<'a>,
    pub plan: usize,
    pub plan_index: &'a HashMap<String, usize>,
    pub step_ids: &'a [HashMap<String, usize>],
    pub entries: &'a [usize],
    pub scope: &'a FileScope,
    pub prompts_dir: &'a Path,
    pub known_values: &'a HashMap<String, BTreeSet<String>>,
}

/// Diagnostics of the step being compiled; compiling goes on after an error to report them all.
pub(crate) struct Cx<'a, 'b> {
    pub pc: &'b PlanCompiler<'a>,
    pub diags: &'b mut Vec<Diagnostic>,
    pub following: Next,
}

impl PlanCompiler<'_> {
    pub fn compile_steps(
        &self,
        defs: &[Spanned<StepDef>],
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Step> {
        let mut steps = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            let following = (i + 1 < defs.len()).then_some(StepRef {
                plan: self.plan,
                step: i + 1,
            });
            let mut cx = Cx {
                pc: self,
                diags,
                following,
            };
            let kind = cx.step(def.get_ref()).unwrap_or(StepKind::Return);
            steps.push(Step {
                id: def.get_ref().id.get_ref().clone(),
                kind,
            });
        }
        steps
    }
}

impl Cx<'_, '_> {
    pub(crate) fn err(&mut self, span: &Range<usize>, msg: impl Into<String>) {
        self.diags.push(self.pc.src.error(span, msg));
    }

    fn step(&mut self, d: &StepDef) -> Option<StepKind> {
        let kind = d.kind.get_ref().as_str();
        let Some(allowed) = allowed_keys(kind) else {
            self.err(
                &d.kind.span(),
                format!("unknown step type `{kind}` (one of: {STEP_TYPES})"),
            );
            return None;
        };
        for (key, span) in d.present_keys() {
            if !allowed.contains(&key) {
                self.err(
                    &span,
                    format!("key `{key}` does not belong to a `{kind}` step"),
                );
            }
        }
        let id = &d.id;
        let next = self.target_or(&d.next, self.following);
        Some(match kind {
            "answer" => StepKind::Answer { next },
            "play" => {
                let prompts = self.required_prompts(&d.prompts, id)?;
                StepKind::Play {
                    prompts,
                    barge_in: d.barge_in.as_ref().is_some_and(|b| *b.get_ref()),
                    next,
                }
            }
            "menu" => StepKind::Menu(self.menu(d)?),
            "collect" => StepKind::Collect(self.collect(d, next)?),
            "say" => {
                let value = {
                    let v = self.required(&d.value, "value", id)?;
                    self.template(v)?
                };
                let digits = match d.mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
                    None | Some(("number", _)) => false,
                    Some(("digits", _)) => true,
                    Some((other, span)) => {
                        self.err(
                            &span,
                            format!("say mode `{other}` must be `number` or `digits`"),
                        );
                        return None;
                    }
                };
                let dir = match &d.dir {
                    Some(dir) => self.template(dir)?,
                    None => Template::parse("digits").ok()?,
                };
                self.check_say_dir(&dir, digits, d.dir.as_ref().map_or(id.span(), |s| s.span()));
                StepKind::Say {
                    value,
                    digits,
                    dir,
                    next,
                }
            }
            "set" => {
                let map = self.required(&d.vars, "vars", id)?;
                let mut vars = Vec::new();
                for (k, v) in map.get_ref() {
                    if !is_var_name(k.get_ref()) {
                        self.err(&k.span(), format!("bad variable name `{}`", k.get_ref()));
                    }
                    vars.push((k.get_ref().clone(), self.template(v)?));
                }
                StepKind::Set { vars, next }
            }
            "condition" => {
                let when = self.required(&d.when, "when", id)?;
                let tests = self.tests(when)?;
                let then_ = self.required(&d.then, "then", id)?;
                let then = Some(self.target(then_)?);
                let otherwise = self.target_or(&d.otherwise, self.following);
                StepKind::Condition {
                    when: tests,
                    then,
                    otherwise,
                }
            }
            "lookup" => StepKind::Lookup {
                timeout: self.duration(&d.timeout, Duration::from_secs(3))?,
                next,
            },
            "goto" => StepKind::Goto {
                target: {
                    let v = self.required(&d.target, "target", id)?;
                    self.target(v)?
                },
            },
            "call" => {
                let t = self.required(&d.target, "target", id)?;
                // A bare plan name calls that plan at its entry.
                let entry = |p: usize| {
                    self.pc
                        .entries
                        .get(p)
                        .map(|&step| StepRef { plan: p, step })
                };
                let target = match self.pc.plan_index.get(t.get_ref()).and_then(|&p| entry(p)) {
                    Some(at) => at,
                    None => self.target(t)?,
                };
                StepKind::Call { target, next }
            }
            "return" => StepKind::Return,
            "dial" => {
                let extension = {
                    let v = self.required(&d.extension, "extension", id)?;
                    self.template(v)?
                };
                let on_failure = self.target_or(&d.on_failure, next);
                StepKind::Dial {
                    extension,
                    ring_timeout: self.duration(&d.ring_timeout, Duration::from_secs(30))?,
                    on_busy: self.target_or(&d.on_busy, on_failure),
                    on_no_answer: self.target_or(&d.on_no_answer, on_failure),
                    on_failure,
                }
            }
            "queue" => StepKind::Queue {
                queue: {
                    let v = self.required(&d.queue, "queue", id)?;
                    self.template(v)?
                },
                priority: d.priority.as_ref().map_or(0, |p| *p.get_ref()),
                skills: {
                    let list = d
                        .skills
                        .as_ref()
                        .map(|s| s.get_ref().as_slice())
                        .unwrap_or_default();
                    list.iter()
                        .map(|x| self.template(x))
                        .collect::<Option<Vec<_>>>()?
                },
            },
            "hangup" => StepKind::Hangup {
                prompts: self.prompts(&d.prompts)?,
                cause: match &d.cause {
                    Some(c) => self.template(c)?,
                    None => Template::parse("normal").ok()?,
                },
            },
            "moh" => StepKind::MusicOnHold {
                source: {
                    let v = self.required(&d.source, "source", id)?;
                    self.template(v)?
                },
                next,
            },
            "record" => {
                let action = self.required(&d.action, "action", id)?;
                let pause = match action.get_ref().as_str() {
                    "pause" => true,
                    "resume" => false,
                    other => {
                        self.err(
                            &action.span(),
                            format!("record action `{other}` must be `pause` or `resume`"),
                        );
                        return None;
                    }
                };
                StepKind::Record { pause, next }
            }
            _ => return None,
        })
    }

    pub(crate) fn required<'v, T>(
        &mut self,
        v: &'v Option<T>,
        key: &str,
        id: &Spanned<String>,
    ) -> Option<&'v T> {
        if v.is_none() {
            self.err(&id.span(), format!("step `{}` needs `{key}`", id.get_ref()));
        }
        v.as_ref()
    }

    pub(crate) fn template(&mut self, s: &Spanned<String>) -> Option<Template> {
        Template::parse(s.get_ref())
            .map_err(|m| self.err(&s.span(), m))
            .ok()
    }

    pub(crate) fn target(&mut self, s: &Spanned<String>) -> Option<StepRef> {
        let pc = self.pc;
        resolve_target(s.get_ref(), pc.plan, pc.plan_index, pc.step_ids)
            .map_err(|m| self.err(&s.span(), m))
            .ok()
    }

    pub(crate) fn target_or(&mut self, s: &Option<Spanned<String>>, default: Next) -> Next {
        match s {
            Some(s) => self.target(s),
            None => default,
        }
    }

    pub(crate) fn duration(
        &mut self,
        s: &Option<Spanned<String>>,
        default: Duration,
    ) -> Option<Duration> {
        match s {
            Some(s) => parse_duration(s.get_ref())
                .map_err(|m| self.err(&s.span(), m))
                .ok(),
            None => Some(default),
        }
    }

    pub(crate) fn required_prompts(
        &mut self,
        p: &Option<Spanned<Vec<Spanned<String>>>>,
        id: &Spanned<String>,
    ) -> Option<Vec<Template>> {
        let list = self.required(p, "prompts", id)?;
        if list.get_ref().is_empty() {
            self.err(&list.span(), "`prompts` must list at least one prompt");
            return None;
        }
        self.prompts(p)
    }

    pub(crate) fn prompts(
        &mut self,
        p: &Option<Spanned<Vec<Spanned<String>>>>,
    ) -> Option<Vec<Template>> {
        let mut out = Vec::new();
        let mut ok = true;
        for s in p.iter().flat_map(|l| l.get_ref().iter()) {
            match self.template(s) {
                Some(t) => {
                    ok &= self.check_prompt(&t, &s.span());
                    out.push(t);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Every rendering of `t` the plans can produce; `None` when a variable's values are open.
    fn expansions(&self, t: &Template) -> Option<Vec<String>> {
        let mut renders = vec![BTreeMap::new()];
        for name in t.var_names() {
            let values = self.pc.known_values.get(name)?;
            renders = renders
                .into_iter()
                .flat_map(|vars: BTreeMap<String, String>| {
                    values.iter().map(move |v| {
                        let mut vars = vars.clone();
                        vars.insert(name.to_string(), v.clone());
                        vars
                    })
                })
                .collect();
        }
        Some(renders.iter().map(|vars| t.render(vars)).collect())
    }

    /// Checks a prompt names a built-in or an existing file, for every value it can take.
    fn check_prompt(&mut self, t: &Template, span: &Range<usize>) -> bool {
        let Some(names) = self.expansions(t) else {
            return true;
        };
        let mut ok = true;
        for name in names {
            match parse_prompt(&name, self.pc.prompts_dir) {
                Ok(Prompt::File(path)) if !path.is_file() => {
                    self.err(
                        span,
                        format!(
                            "prompt file `{name}` not found in {}",
                            self.pc.prompts_dir.display()
                        ),
                    );
                    ok = false;
                }
                Ok(_) => {}
                Err(e) => {
                    self.err(span, e.message());
                    ok = false;
                }
            }
        }
        ok
    }

    fn check_say_dir(&mut self, dir: &Template, digits: bool, span: Range<usize>) {
        let words: Vec<String> = if digits {
            (0..10).map(|d| d.to_string()).collect()
        } else {
            number_vocabulary()
        };
        let Some(dirs) = self.expansions(dir) else {
            return;
        };
        for d in dirs {
            let missing: Vec<&String> = words
                .iter()
                .filter(|w| {
                    !self
                        .pc
                        .prompts_dir
                        .join(&d)
                        .join(format!("{w}.wav"))
                        .is_file()
                })
                .collect();
            if let Some(first) = missing.first() {
                self.err(
                    &span,
                    format!(
                        "say needs `{d}/{first}.wav` in {} ({} files missing)",
                        self.pc.prompts_dir.display(),
                        missing.len()
                    ),
                );
            }
        }
    }
}
