//! Test helpers: write plans into a scratch directory and drive sessions on a virtual clock.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use ivr::{Action, CallInfo, Dialplans, Input, Prompt, Session};

/// A fresh directory with `prompts/` holding the given prompt files (empty WAV stand-ins).
pub fn scratch(name: &str, prompts: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("plans")).unwrap();
    for p in prompts {
        let path = dir.join("prompts").join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"RIFF").unwrap();
    }
    std::fs::create_dir_all(dir.join("prompts")).unwrap();
    dir
}

pub fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join("plans").join(file), text).unwrap();
}

pub fn load(dir: &Path) -> Dialplans {
    ivr::load_dir(&dir.join("plans"), &dir.join("prompts")).unwrap_or_else(|d| {
        panic!(
            "{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// Loads a single-file plan and returns the first error as `file:line:column: message`.
pub fn first_error(name: &str, text: &str, prompts: &[&str]) -> String {
    let dir = scratch(name, prompts);
    write(&dir, "p.toml", text);
    let diags = ivr::load_dir(&dir.join("plans"), &dir.join("prompts"))
        .expect_err("the plan should be refused");
    let d = diags.iter().find(|d| d.is_error()).expect("an error");
    format!(
        "{}:{}:{}: {}",
        d.file.file_name().unwrap().to_str().unwrap(),
        d.line,
        d.column,
        d.message
    )
}

/// A call on a virtual clock: `t0` plus an offset, wall time moving in step.
pub struct Call {
    pub session: Session,
    pub t0: Instant,
    pub wall0: DateTime<Utc>,
    pub elapsed: Duration,
}

impl Call {
    pub fn start(plans: &Dialplans, wall: DateTime<Utc>, caller: &str, dialled: &str) -> Call {
        // Only an origin for the virtual clock; the session never reads it.
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let call = CallInfo {
            caller: caller.into(),
            caller_name: String::new(),
            dialled: dialled.into(),
        };
        Call {
            session: Session::start(plans, t0, wall, call).expect("route"),
            t0,
            wall0: wall,
            elapsed: Duration::ZERO,
        }
    }

    pub fn now(&self) -> (Instant, DateTime<Utc>) {
        (
            self.t0 + self.elapsed,
            self.wall0 + chrono::Duration::from_std(self.elapsed).unwrap(),
        )
    }

    pub fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.session.poll_action()).collect()
    }

    pub fn digit(&mut self, digit: char) -> Vec<Action> {
        let (now, wall) = self.now();
        self.session.handle(Input::Digit { now, wall, digit });
        self.actions()
    }

    pub fn digits(&mut self, digits: &str) -> Vec<Action> {
        digits.chars().flat_map(|d| self.digit(d)).collect()
    }

    pub fn played(&mut self) -> Vec<Action> {
        let (now, wall) = self.now();
        self.session.handle(Input::PlaybackDone { now, wall });
        self.actions()
    }

    pub fn advance(&mut self, by: Duration) {
        self.elapsed += by;
    }

    /// Jumps to the pending timer and fires it.
    pub fn fire_timer(&mut self) -> Vec<Action> {
        let at = self.session.poll_timeout().expect("a timer runs");
        self.elapsed = at - self.t0;
        let (now, wall) = self.now();
        self.session.handle(Input::Timeout { now, wall });
        self.actions()
    }

    pub fn input(&mut self, make: impl FnOnce(Instant, DateTime<Utc>) -> Input) -> Vec<Action> {
        let (now, wall) = self.now();
        self.session.handle(make(now, wall));
        self.actions()
    }
}

/// File names (relative to the prompts dir) of a `Play` action, with built-ins spelled out.
pub fn names(action: &Action) -> Vec<String> {
    let Action::Play { prompts, .. } = action else {
        panic!("not a Play: {action:?}");
    };
    prompts
        .iter()
        .map(|p| match p {
            Prompt::File(path) => {
                let s = path.to_str().unwrap();
                s[s.find("/prompts/").unwrap() + 9..].to_string()
            }
            Prompt::Tone { freqs, duration } => format!("tone:{freqs:?}:{}", duration.as_millis()),
            Prompt::Silence(d) => format!("silence:{}", d.as_millis()),
        })
        .collect()
}

pub fn plays(actions: &[Action]) -> Vec<Vec<String>> {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Play { .. }))
        .map(names)
        .collect()
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}
