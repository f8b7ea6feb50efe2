//! Compiling the steps that wait for the caller (menu, collect) and condition tests.

use std::time::Duration;

use toml::Spanned;

use crate::compile::Cx;
use crate::load::regex_message;
use crate::model::{Collect, Menu, Next, Test, VarOp};
use crate::schema::{CondDef, StepDef};
use crate::template::is_var_name;
use crate::timespec::{parse_clock_range, parse_tz, parse_weekdays, Window};

impl Cx<'_, '_> {
    pub(crate) fn menu(&mut self, d: &StepDef) -> Option<Menu> {
        let prompts = self.required_prompts(&d.prompts, &d.id)?;
        let opts = self.required(&d.options, "options", &d.id)?;
        let mut options = Vec::new();
        for (key, target) in opts.get_ref() {
            let digit = match single_digit(key.get_ref()) {
                Some(c) => c,
                None => {
                    self.err(
                        &key.span(),
                        format!(
                            "menu option `{}` must be one key of 0-9, *, #",
                            key.get_ref()
                        ),
                    );
                    continue;
                }
            };
            if let Some(t) = self.target(target) {
                options.push((digit, t));
            }
        }
        let max_attempts = self.attempts(&d.max_attempts)?;
        Some(Menu {
            prompts,
            options,
            timeout: self.duration(&d.timeout, Duration::from_secs(5))?,
            invalid_prompts: self.prompts(&d.invalid_prompts)?,
            timeout_prompts: self.prompts(&d.timeout_prompts)?,
            max_attempts,
            fallback: self.target_or(&d.fallback, None),
        })
    }

    fn attempts(&mut self, a: &Option<Spanned<u32>>) -> Option<u32> {
        match a {
            Some(a) if *a.get_ref() == 0 => {
                self.err(&a.span(), "`max_attempts` must be at least 1");
                None
            }
            Some(a) => Some(*a.get_ref()),
            None => Some(3),
        }
    }

    pub(crate) fn collect(&mut self, d: &StepDef, next: Next) -> Option<Collect> {
        let var = self.required(&d.var, "var", &d.id)?;
        if !is_var_name(var.get_ref()) {
            self.err(
                &var.span(),
                format!("bad variable name `{}`", var.get_ref()),
            );
            return None;
        }
        let min = d.min.as_ref().map_or(1, |m| *m.get_ref()) as usize;
        let max = d.max.as_ref().map_or(20, |m| *m.get_ref()) as usize;
        if max == 0 || min > max {
            let span = d
                .max
                .as_ref()
                .or(d.min.as_ref())
                .map_or(d.id.span(), |s| s.span());
            self.err(
                &span,
                format!("collect needs 1 <= max and min <= max (min {min}, max {max})"),
            );
            return None;
        }
        let terminator = match &d.terminator {
            None => Some('#'),
            Some(t) if t.get_ref().is_empty() => None,
            Some(t) => match single_digit(t.get_ref()) {
                Some(c) => Some(c),
                None => {
                    self.err(
                        &t.span(),
                        format!(
                            "terminator `{}` must be one key of 0-9, *, # (or \"\" for none)",
                            t.get_ref()
                        ),
                    );
                    return None;
                }
            },
        };
        let max_attempts = match &d.max_attempts {
            None => 1,
            some => self.attempts(some)?,
        };
        Some(Collect {
            var: var.get_ref().clone(),
            prompts: self.prompts(&d.prompts)?,
            invalid_prompts: self.prompts(&d.invalid_prompts)?,
            min,
            max,
            terminator,
            first_digit_timeout: self.duration(&d.first_digit_timeout, Duration::from_secs(5))?,
            inter_digit_timeout: self.duration(&d.inter_digit_timeout, Duration::from_secs(3))?,
            max_attempts,
            next,
            on_fail: self.target_or(&d.on_fail, next),
        })
    }

    pub(crate) fn tests(&mut self, when: &Spanned<CondDef>) -> Option<Vec<Test>> {
        let c = when.get_ref();
        let tz = match &c.timezone {
            Some(t) => parse_tz(t.get_ref())
                .map_err(|m| self.err(&t.span(), m))
                .ok()?,
            None => self.pc.scope.tz,
        };
        let mut tests = Vec::new();
        let ops = [
            c.equals.is_some(),
            c.not_equals.is_some(),
            c.matches.is_some(),
            c.one_of.is_some(),
        ];
        let op_count = ops.iter().filter(|o| **o).count();
        match &c.var {
            Some(var) => {
                if op_count > 1 {
                    self.err(
                        &when.span(),
                        "use one of `equals`, `not_equals`, `matches`, `one_of` per condition",
                    );
                    return None;
                }
                let op = if let Some(v) = &c.equals {
                    VarOp::Equals(self.template(v)?)
                } else if let Some(v) = &c.not_equals {
                    VarOp::NotEquals(self.template(v)?)
                } else if let Some(m) = &c.matches {
                    match regex::Regex::new(m.get_ref()) {
                        Ok(re) => VarOp::Matches(re),
                        Err(e) => {
                            self.err(&m.span(), regex_message(m.get_ref(), &e));
                            return None;
                        }
                    }
                } else if let Some(list) = &c.one_of {
                    VarOp::OneOf(list.iter().map(|v| v.get_ref().clone()).collect())
                } else {
                    VarOp::NonEmpty
                };
                tests.push(Test::Var {
                    name: var.get_ref().clone(),
                    op,
                });
            }
            None if op_count > 0 => {
                self.err(
                    &when.span(),
                    "`equals`/`not_equals`/`matches`/`one_of` need `var`",
                );
                return None;
            }
            None => {}
        }
        if let Some(h) = &c.hours {
            match self.pc.scope.hours.get(h.get_ref()) {
                Some(hours) => tests.push(Test::Hours(hours.clone())),
                None => {
                    self.err(
                        &h.span(),
                        format!(
                            "hours `{}` are not defined (add `[hours.{}]`)",
                            h.get_ref(),
                            h.get_ref()
                        ),
                    );
                    return None;
                }
            }
        }
        if let Some(cal) = &c.holiday {
            match self.pc.scope.calendars.get(cal.get_ref()) {
                Some(dates) => tests.push(Test::Holiday {
                    tz,
                    dates: dates.clone(),
                }),
                None => {
                    self.err(
                        &cal.span(),
                        format!("calendar `{}` is not defined", cal.get_ref()),
                    );
                    return None;
                }
            }
        }
        let mut days = None;
        if let Some(list) = &c.weekdays {
            let mut set = [false; 7];
            for d in list {
                match parse_weekdays(d.get_ref()) {
                    Ok(s) => set.iter_mut().zip(s).for_each(|(on, day)| *on |= day),
                    Err(m) => {
                        self.err(&d.span(), m);
                        return None;
                    }
                }
            }
            days = Some(set);
        }
        match &c.time {
            Some(t) => {
                let (start, end) = parse_clock_range(t.get_ref())
                    .map_err(|m| self.err(&t.span(), m))
                    .ok()?;
                let window = Window {
                    days: days.unwrap_or([true; 7]),
                    start,
                    end,
                };
                tests.push(Test::Time { tz, window });
            }
            None => {
                if let Some(days) = days {
                    let window = Window {
                        days,
                        start: 0,
                        end: 24 * 3600,
                    };
                    tests.push(Test::Time { tz, window });
                }
            }
        }
        if tests.is_empty() {
            self.err(&when.span(), "a condition needs at least one test");
            return None;
        }
        Some(tests)
    }
}

fn single_digit(s: &str) -> Option<char> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => Some(c),
        _ => None,
    }
}
