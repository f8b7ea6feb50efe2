//! Running steps: the loop through instant steps up to the next wait, and what digits,
//! playback completions and timeouts do to menus, collects and prompts.

use std::time::Instant;

use crate::model::{Collect, Menu, StepKind, StepRef, Test, VarOp};
use crate::prompt::{number_words, parse_prompt, Prompt};
use crate::session::{Action, AfterPlay, Session, Wait, MAX_CALL_DEPTH};
use crate::template::Template;

impl Session {
    /// Runs from `at` until a step waits or the plan lets go of the call.
    pub(crate) fn run(&mut self, now: Instant, mut at: Option<StepRef>) {
        let set = self.set.clone();
        loop {
            let Some(cur) = at else {
                // End of a plan: back to the caller of a sub-plan, else the call is done.
                match self.stack.pop() {
                    Some(ret) => {
                        at = ret;
                        continue;
                    }
                    None => return self.hangup("normal"),
                }
            };
            if self.budget == 0 {
                return self.hangup("dialplan loop");
            }
            self.budget -= 1;
            self.current = Some(cur);
            let Some(step) = set.step(cur) else {
                return self.hangup("dialplan step missing");
            };
            match &step.kind {
                StepKind::Answer { next } => {
                    self.actions.push_back(Action::Answer);
                    at = *next;
                }
                StepKind::Play {
                    prompts,
                    barge_in,
                    next,
                } => {
                    let prompts = self.render_prompts(prompts);
                    if prompts.is_empty() {
                        at = *next;
                        continue;
                    }
                    self.play(prompts, *barge_in, AfterPlay::Continue(*next));
                    return;
                }
                StepKind::Menu(menu) => return self.enter_menu(now, cur, menu, 1, &[]),
                StepKind::Collect(c) => return self.enter_collect(now, cur, c, 1, false),
                StepKind::Say {
                    value,
                    digits,
                    dir,
                    next,
                } => {
                    let prompts = self.say(value, *digits, dir);
                    if prompts.is_empty() {
                        at = *next;
                        continue;
                    }
                    self.play(prompts, false, AfterPlay::Continue(*next));
                    return;
                }
                StepKind::Set { vars, next } => {
                    for (name, value) in vars {
                        let v = value.render(&self.vars);
                        self.set_var(name, v);
                    }
                    at = *next;
                }
                StepKind::Condition {
                    when,
                    then,
                    otherwise,
                } => {
                    at = if when.iter().all(|t| self.holds(t)) {
                        *then
                    } else {
                        *otherwise
                    };
                }
                StepKind::Lookup { timeout, next } => {
                    let number = self.vars.get("caller").cloned().unwrap_or_default();
                    self.actions.push_back(Action::LookupCaller { number });
                    self.wait = Wait::Lookup {
                        next: *next,
                        deadline: now + *timeout,
                    };
                    return;
                }
                StepKind::Goto { target } => at = Some(*target),
                StepKind::Call { target, next } => {
                    if self.stack.len() >= MAX_CALL_DEPTH {
                        return self.hangup("dialplan recursion");
                    }
                    self.stack.push(*next);
                    at = Some(*target);
                }
                StepKind::Return => at = None,
                StepKind::Dial {
                    extension,
                    ring_timeout,
                    ..
                } => {
                    self.actions.push_back(Action::Dial {
                        extension: extension.render(&self.vars),
                        ring_timeout: *ring_timeout,
                    });
                    self.wait = Wait::Dial { at: cur };
                    return;
                }
                StepKind::Queue {
                    queue,
                    priority,
                    skills,
                } => {
                    self.actions.push_back(Action::Enqueue {
                        queue: queue.render(&self.vars),
                        priority: *priority,
                        skills: skills
                            .iter()
                            .map(|t| t.render(&self.vars))
                            .filter(|s| !s.is_empty())
                            .collect(),
                        vars: self.vars.clone(),
                    });
                    self.wait = Wait::Finished;
                    return;
                }
                StepKind::Hangup { prompts, cause } => {
                    let cause = cause.render(&self.vars);
                    let prompts = self.render_prompts(prompts);
                    if prompts.is_empty() {
                        return self.hangup(&cause);
                    }
                    self.play(prompts, false, AfterPlay::Hangup(cause));
                    return;
                }
                StepKind::MusicOnHold { source, next } => {
                    self.actions.push_back(Action::MusicOnHold {
                        source: source.render(&self.vars),
                    });
                    at = *next;
                }
                StepKind::Record { pause, next } => {
                    self.actions.push_back(Action::Recording { pause: *pause });
                    at = *next;
                }
            }
        }
    }

    fn play(&mut self, prompts: Vec<Prompt>, barge_in: bool, then: AfterPlay) {
        self.actions.push_back(Action::Play { prompts, barge_in });
        self.wait = Wait::Playback { then, barge_in };
    }

    /// Renders prompt templates; a name that turns invalid after interpolation (say a `..` from
    /// a variable) is dropped rather than played from outside the prompts directory.
    fn render_prompts(&self, templates: &[Template]) -> Vec<Prompt> {
        templates
            .iter()
            .filter_map(|t| parse_prompt(&t.render(&self.vars), &self.set.prompts_dir).ok())
            .collect()
    }

    fn say(&self, value: &Template, digits: bool, dir: &Template) -> Vec<Prompt> {
        let value = value.render(&self.vars);
        let dir = dir.render(&self.vars);
        let number = value.trim().parse::<u64>().ok();
        let words: Vec<String> = match number {
            Some(n) if !digits => number_words(n),
            _ => value
                .chars()
                .filter(char::is_ascii_digit)
                .map(String::from)
                .collect(),
        };
        words
            .iter()
            .filter_map(|w| parse_prompt(&format!("{dir}/{w}.wav"), &self.set.prompts_dir).ok())
            .collect()
    }

    fn holds(&self, test: &Test) -> bool {
        match test {
            Test::Var { name, op } => {
                let v = self.vars.get(name).map_or("", String::as_str);
                match op {
                    VarOp::NonEmpty => !v.is_empty(),
                    VarOp::Equals(t) => v == t.render(&self.vars),
                    VarOp::NotEquals(t) => v != t.render(&self.vars),
                    VarOp::Matches(re) => re.is_match(v),
                    VarOp::OneOf(list) => list.iter().any(|x| x == v),
                }
            }
            Test::Hours(h) => h.is_open(self.wall),
            Test::Holiday { tz, dates } => {
                let (_, _, date) = crate::timespec::local(self.wall, *tz);
                dates.contains(&date)
            }
            Test::Time { tz, window } => {
                let (day, secs, _) = crate::timespec::local(self.wall, *tz);
                window.contains(day, secs)
            }
        }
    }

    fn menu_at(&self, at: StepRef) -> Option<&Menu> {
        match &self.set.step(at)?.kind {
            StepKind::Menu(m) => Some(m),
            _ => None,
        }
    }

    fn collect_at(&self, at: StepRef) -> Option<&Collect> {
        match &self.set.step(at)?.kind {
            StepKind::Collect(c) => Some(c),
            _ => None,
        }
    }

    /// Plays the menu prompt (after `before`, e.g. "invalid key") unless a digit is already
    /// typed ahead, which then counts as the choice.
    fn enter_menu(
        &mut self,
        now: Instant,
        at: StepRef,
        menu: &Menu,
        attempt: u32,
        before: &[Template],
    ) {
        self.wait = Wait::Menu {
            at,
            attempt,
            playing: false,
            deadline: Some(now + menu.timeout),
        };
        if let Some(d) = self.typeahead.pop_front() {
            return self.menu_digit(now, at, attempt, d);
        }
        let mut prompts = self.render_prompts(before);
        prompts.extend(self.render_prompts(&menu.prompts));
        if !prompts.is_empty() {
            self.actions.push_back(Action::Play {
                prompts,
                barge_in: true,
            });
            self.wait = Wait::Menu {
                at,
                attempt,
                playing: true,
                deadline: None,
            };
        }
    }

    fn menu_digit(&mut self, now: Instant, at: StepRef, attempt: u32, digit: char) {
        let set = self.set.clone();
        let Some(menu) = set.step(at).and_then(|s| s.kind.as_menu()) else {
            return;
        };
        match menu.options.iter().find(|(d, _)| *d == digit) {
            Some((_, target)) => self.run(now, Some(*target)),
            None => self.menu_retry(now, at, menu, attempt, true),
        }
    }

    fn menu_retry(&mut self, now: Instant, at: StepRef, menu: &Menu, attempt: u32, invalid: bool) {
        if attempt >= menu.max_attempts {
            return self.run(now, menu.fallback);
        }
        let before = if invalid || menu.timeout_prompts.is_empty() {
            &menu.invalid_prompts
        } else {
            &menu.timeout_prompts
        };
        self.enter_menu(now, at, menu, attempt + 1, before);
    }

    /// Starts (or restarts, after a failed attempt) collecting digits.
    fn enter_collect(&mut self, now: Instant, at: StepRef, c: &Collect, attempt: u32, retry: bool) {
        let mut prompts = Vec::new();
        if retry {
            prompts = self.render_prompts(&c.invalid_prompts);
        }
        prompts.extend(self.render_prompts(&c.prompts));
        let playing = !prompts.is_empty() && self.typeahead.is_empty();
        if playing {
            self.actions.push_back(Action::Play {
                prompts,
                barge_in: true,
            });
        }
        self.wait = Wait::Collect {
            at,
            attempt,
            buf: String::new(),
            playing,
            deadline: (!playing).then(|| now + c.first_digit_timeout),
        };
        while let Some(d) = self.typeahead.pop_front() {
            if !matches!(self.wait, Wait::Collect { at: a, .. } if a == at) {
                self.typeahead.push_front(d);
                break;
            }
            self.collect_digit(now, d);
        }
    }

    fn collect_digit(&mut self, now: Instant, digit: char) {
        let Wait::Collect { at, buf, .. } = &self.wait else {
            return;
        };
        let (at, mut buf) = (*at, buf.clone());
        let set = self.set.clone();
        let Some(c) = set.step(at).and_then(|s| s.kind.as_collect()) else {
            return;
        };
        if c.terminator == Some(digit) {
            return self.collect_end(now, at, c, buf);
        }
        buf.push(digit);
        if buf.len() >= c.max {
            return self.collect_end(now, at, c, buf);
        }
        if let Wait::Collect {
            buf: b,
            deadline,
            playing,
            ..
        } = &mut self.wait
        {
            *b = buf;
            *playing = false;
            *deadline = Some(now + c.inter_digit_timeout);
        }
    }

    fn collect_end(&mut self, now: Instant, at: StepRef, c: &Collect, buf: String) {
        let attempt = match self.wait {
            Wait::Collect { attempt, .. } => attempt,
            _ => 1,
        };
        if buf.len() >= c.min {
            self.set_var(&c.var, buf);
            return self.run(now, c.next);
        }
        if attempt < c.max_attempts {
            return self.enter_collect(now, at, c, attempt + 1, true);
        }
        self.set_var(&c.var, buf);
        self.run(now, c.on_fail);
    }

    pub(crate) fn on_digit(&mut self, now: Instant, digit: char) {
        match self.wait.clone() {
            Wait::Playback {
                barge_in: true,
                then,
            } => {
                self.actions.push_back(Action::StopPlayback);
                self.typeahead.push_back(digit);
                self.after_play(now, then);
            }
            Wait::Menu {
                at,
                attempt,
                playing,
                ..
            } => {
                if playing {
                    self.actions.push_back(Action::StopPlayback);
                }
                self.menu_digit(now, at, attempt, digit);
            }
            Wait::Collect { playing, .. } => {
                if playing {
                    self.actions.push_back(Action::StopPlayback);
                }
                self.collect_digit(now, digit);
            }
            // Digits during a prompt that does not allow barge-in, a lookup or a dial are not
            // choices anyone was asked for: drop them rather than surprise the next menu.
            _ => {}
        }
    }

    pub(crate) fn on_playback_done(&mut self, now: Instant) {
        match self.wait.clone() {
            Wait::Playback { then, .. } => self.after_play(now, then),
            Wait::Menu {
                at,
                attempt,
                playing: true,
                ..
            } => {
                let timeout = self.menu_at(at).map(|m| m.timeout).unwrap_or_default();
                self.wait = Wait::Menu {
                    at,
                    attempt,
                    playing: false,
                    deadline: Some(now + timeout),
                };
            }
            Wait::Collect {
                at,
                attempt,
                buf,
                playing: true,
                ..
            } => {
                let timeout = self
                    .collect_at(at)
                    .map(|c| c.first_digit_timeout)
                    .unwrap_or_default();
                self.wait = Wait::Collect {
                    at,
                    attempt,
                    buf,
                    playing: false,
                    deadline: Some(now + timeout),
                };
            }
            _ => {}
        }
    }

    fn after_play(&mut self, now: Instant, then: AfterPlay) {
        match then {
            AfterPlay::Continue(next) => self.run(now, next),
            AfterPlay::Hangup(cause) => self.hangup(&cause),
        }
    }

    pub(crate) fn on_timeout(&mut self, now: Instant) {
        match self.pending_timer() {
            Some((deadline, _)) if deadline <= now => {}
            _ => return,
        }
        let set = self.set.clone();
        match self.wait.clone() {
            Wait::Menu { at, attempt, .. } => {
                if let Some(menu) = set.step(at).and_then(|s| s.kind.as_menu()) {
                    self.menu_retry(now, at, menu, attempt, false);
                }
            }
            Wait::Collect { at, buf, .. } => {
                if let Some(c) = set.step(at).and_then(|s| s.kind.as_collect()) {
                    self.collect_end(now, at, c, buf);
                }
            }
            Wait::Lookup { next, .. } => {
                self.set_var("customer.known", "false".to_string());
                self.run(now, next);
            }
            _ => {}
        }
    }
}

impl StepKind {
    fn as_menu(&self) -> Option<&Menu> {
        match self {
            StepKind::Menu(m) => Some(m),
            _ => None,
        }
    }

    fn as_collect(&self) -> Option<&Collect> {
        match self {
            StepKind::Collect(c) => Some(c),
            _ => None,
        }
    }
}
