//! Loading a directory of dialplan files: parse every `*.toml`, compile, check the whole set, and
//! refuse it all if any file has an error, so a caller can keep its running plans.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::check;
use crate::compile::{resolve_target, PlanCompiler};
use crate::diag::{Diagnostic, SourceFile};
use crate::model::{Dialplans, Matcher, Plan, PlanSet, Route, StepRef};
use crate::schema::FileDef;
use crate::timespec::{parse_date, parse_tz, Hours, Window};

pub(crate) struct ParsedFile {
    pub path: PathBuf,
    pub text: String,
    pub def: FileDef,
    pub name: String,
}

impl ParsedFile {
    pub fn src(&self) -> SourceFile<'_> {
        SourceFile {
            path: &self.path,
            text: &self.text,
        }
    }
}

/// Loads every `*.toml` in `dir` (not recursive), one plan per file named after the file stem.
/// Prompt names are relative to `prompts_dir`, which must hold every literal prompt.
///
/// On any error the whole set is refused and every finding is returned, errors and warnings,
/// sorted by file and position; on success, warnings are in [`Dialplans::warnings`].
pub fn load_dir(dir: &Path, prompts_dir: &Path) -> Result<Dialplans, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
            .collect(),
        Err(e) => return Err(vec![io_diag(dir, &e.to_string())]),
    };
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        match parse_file(&path) {
            Ok(f) => files.push(f),
            Err(d) => diags.push(d),
        }
    }
    let result = compile_set(&files, prompts_dir, &mut diags);
    diags.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    match result {
        Some(mut set) if !diags.iter().any(Diagnostic::is_error) => {
            set.warnings = diags;
            Ok(Dialplans {
                inner: Arc::new(set),
            })
        }
        _ => Err(diags),
    }
}

fn io_diag(path: &Path, msg: &str) -> Diagnostic {
    SourceFile { path, text: "" }.error(&(0..0), format!("cannot read: {msg}"))
}

fn parse_file(path: &Path) -> Result<ParsedFile, Diagnostic> {
    let text = std::fs::read_to_string(path).map_err(|e| io_diag(path, &e.to_string()))?;
    let src = SourceFile { path, text: &text };
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string();
    if name.is_empty() || name.contains(':') {
        return Err(src.error(&(0..0), "plan file names must be non-empty and without `:`"));
    }
    let def = toml::from_str::<FileDef>(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut msg = e.message().trim().replace('\n', ": ");
        // serde lists every key any step type knows; that list helps nobody in one line.
        if let Some(cut) = msg.find(", expected one of") {
            if msg.len() > 200 {
                msg.truncate(cut);
                msg.push_str(" (see docs/dialplans.md for the keys of each step type)");
            }
        }
        src.error(&span, msg)
    })?;
    Ok(ParsedFile {
        path: path.to_path_buf(),
        text,
        def,
        name,
    })
}

/// Per-file context shared by the step compiler: time zone, named hours and calendars.
pub(crate) struct FileScope {
    pub tz: Tz,
    pub hours: HashMap<String, Arc<Hours>>,
    pub calendars: HashMap<String, Arc<BTreeSet<NaiveDate>>>,
}

fn compile_set(
    files: &[ParsedFile],
    prompts_dir: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Option<PlanSet> {
    let plan_index: HashMap<String, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), i))
        .collect();
    // Pass 1: step ids, so targets can point forward and across plans.
    let mut step_ids: Vec<HashMap<String, usize>> = Vec::new();
    for f in files {
        let src = f.src();
        let mut ids = HashMap::new();
        for (i, step) in f.def.step.iter().enumerate() {
            let id = step.get_ref().id.get_ref();
            if id.is_empty() || id.contains(':') {
                diags.push(src.error(
                    &step.get_ref().id.span(),
                    "step ids must be non-empty and without `:`",
                ));
            } else if ids.insert(id.clone(), i).is_some() {
                diags.push(src.error(
                    &step.get_ref().id.span(),
                    format!("duplicate step id `{id}`"),
                ));
            }
        }
        if f.def.step.is_empty() {
            diags.push(src.error(&(0..0), "a plan needs at least one `[[step]]`"));
        }
        step_ids.push(ids);
    }
    // Entries are needed before compiling: a `call` to a bare plan name enters at its entry.
    let mut entries = Vec::new();
    for (p, f) in files.iter().enumerate() {
        let entry = match &f.def.plan.entry {
            Some(e) => match step_ids.get(p).and_then(|ids| ids.get(e.get_ref())) {
                Some(&i) => i,
                None => {
                    diags.push(f.src().error(
                        &e.span(),
                        format!("entry step `{}` is not defined", e.get_ref()),
                    ));
                    0
                }
            },
            None => 0,
        };
        entries.push(entry);
    }
    let known_values = crate::compile::literal_set_values(files);
    let mut plans = Vec::new();
    let mut routes = Vec::new();
    let mut roots = Vec::new();
    for (p, f) in files.iter().enumerate() {
        let src = f.src();
        let scope = file_scope(f, diags);
        let entry = entries.get(p).copied().unwrap_or(0);
        roots.push(StepRef {
            plan: p,
            step: entry,
        });
        for r in &f.def.route {
            if let Some(route) = compile_route(&src, r, p, &plan_index, &step_ids, entry, diags) {
                roots.push(route.target);
                routes.push(route);
            }
        }
        let compiler = PlanCompiler {
            src: &src,
            plan: p,
            plan_index: &plan_index,
            step_ids: &step_ids,
            entries: &entries,
            scope: &scope,
            prompts_dir,
            known_values: &known_values,
        };
        let steps = compiler.compile_steps(&f.def.step, diags);
        plans.push(Plan {
            name: f.name.clone(),
            steps,
        });
    }
    if diags.iter().any(Diagnostic::is_error) {
        return None;
    }
    // Plan entries count as reachable: a plan may be entered only by another plan's call.
    for at in check::unreachable(&plans, &roots) {
        let Some(f) = files.get(at.plan) else {
            continue;
        };
        let Some(step) = f.def.step.get(at.step) else {
            continue;
        };
        diags.push(f.src().warning(
            &step.get_ref().id.span(),
            format!("step `{}` is unreachable", step.get_ref().id.get_ref()),
        ));
    }
    for cycle in check::endless_loops(&plans) {
        let Some(&first) = cycle.first() else {
            continue;
        };
        let Some(f) = files.get(first.plan) else {
            continue;
        };
        let names: Vec<String> = cycle
            .iter()
            .filter_map(|at| {
                let plan = plans.get(at.plan)?;
                Some(format!("{}:{}", plan.name, plan.steps.get(at.step)?.id))
            })
            .collect();
        let span = f
            .def
            .step
            .get(first.step)
            .map_or(0..0, |s| s.get_ref().id.span());
        diags.push(f.src().error(
            &span,
            format!(
                "loop without an exit: {} never wait for input and never lead out",
                names.join(" -> ")
            ),
        ));
    }
    Some(PlanSet {
        plans,
        routes,
        prompts_dir: prompts_dir.to_path_buf(),
        warnings: Vec::new(),
    })
}

fn file_scope(f: &ParsedFile, diags: &mut Vec<Diagnostic>) -> FileScope {
    let src = f.src();
    let tz = match &f.def.plan.timezone {
        Some(t) => parse_tz(t.get_ref()).unwrap_or_else(|m| {
            diags.push(src.error(&t.span(), m));
            Tz::UTC
        }),
        None => Tz::UTC,
    };
    let mut calendars = HashMap::new();
    for (name, cal) in &f.def.calendar {
        let mut dates = BTreeSet::new();
        for d in &cal.get_ref().dates {
            match parse_date(d.get_ref()) {
                Ok(date) => {
                    dates.insert(date);
                }
                Err(m) => diags.push(src.error(&d.span(), m)),
            }
        }
        calendars.insert(name.get_ref().clone(), Arc::new(dates));
    }
    let mut hours = HashMap::new();
    for (name, def) in &f.def.hours {
        let def = def.get_ref();
        let zone = match &def.timezone {
            Some(t) => parse_tz(t.get_ref()).unwrap_or_else(|m| {
                diags.push(src.error(&t.span(), m));
                tz
            }),
            None => tz,
        };
        let mut windows = Vec::new();
        for w in &def.open {
            match Window::parse(w.get_ref()) {
                Ok(win) => windows.push(win),
                Err(m) => diags.push(src.error(&w.span(), m)),
            }
        }
        let mut holidays = BTreeSet::new();
        for cal in &def.holidays {
            match calendars.get(cal.get_ref()) {
                Some(dates) => holidays.extend(dates.iter().copied()),
                None => diags.push(src.error(
                    &cal.span(),
                    format!("calendar `{}` is not defined", cal.get_ref()),
                )),
            }
        }
        hours.insert(
            name.get_ref().clone(),
            Arc::new(Hours {
                tz: zone,
                windows,
                holidays,
            }),
        );
    }
    FileScope {
        tz,
        hours,
        calendars,
    }
}

fn compile_route(
    src: &SourceFile<'_>,
    r: &toml::Spanned<crate::schema::RouteDef>,
    plan: usize,
    plan_index: &HashMap<String, usize>,
    step_ids: &[HashMap<String, usize>],
    entry: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Route> {
    let def = r.get_ref();
    let given = [
        def.number.is_some(),
        def.prefix.is_some(),
        def.pattern.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        diags.push(src.error(
            &r.span(),
            "a route needs exactly one of `number`, `prefix` or `pattern`",
        ));
        return None;
    }
    let matcher = if let Some(n) = &def.number {
        Matcher::Exact(n.get_ref().clone())
    } else if let Some(p) = &def.prefix {
        // Operators write `9*` for "starts with 9"; accept both spellings.
        Matcher::Prefix(p.get_ref().trim_end_matches('*').to_string())
    } else {
        let pat = def.pattern.as_ref()?;
        match regex::Regex::new(pat.get_ref()) {
            Ok(re) => Matcher::Pattern(re),
            Err(e) => {
                diags.push(src.error(&pat.span(), regex_message(pat.get_ref(), &e)));
                return None;
            }
        }
    };
    let target = match &def.step {
        Some(s) => match resolve_target(s.get_ref(), plan, plan_index, step_ids) {
            Ok(t) => t,
            Err(m) => {
                diags.push(src.error(&s.span(), m));
                return None;
            }
        },
        None => StepRef { plan, step: entry },
    };
    Some(Route { matcher, target })
}

/// The last line of a regex error is the useful part ("error: unclosed group").
pub(crate) fn regex_message(pattern: &str, e: &regex::Error) -> String {
    let text = e.to_string();
    let reason = text
        .lines()
        .last()
        .unwrap_or("invalid")
        .trim_start_matches("error: ");
    format!("bad regex `{pattern}`: {reason}")
}
