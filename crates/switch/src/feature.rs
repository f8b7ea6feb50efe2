//! Calls that go somewhere without a dialplan: an agent's feature codes (log in, log out, pause,
//! unpause, ready) and a queue's own number.
//!
//! A feature code is answered by the switch, which plays a confirmation (two rising beeps) or a
//! refusal (three low beeps) and hangs up. Codes (docs/acd.md):
//! - `*91` log in the agent whose extension this is; `*91<agent>` log in agent `<agent>` here:
//!   from the agent's own extension at once, from any other only with the agent's PIN (`pin` on
//!   `[[agents]]`): the switch answers with the PIN prompt (one long 600 Hz tone), the caller
//!   types the PIN and `#` within 15 s. An agent without a PIN logs in only at its extension.
//! - `*92` log out
//! - `*93` pause with the first reason; `*93<n>` pause with reason n of `[acd] pause_reasons`
//! - `*94` unpause
//! - `*95` wrap-up done: available before the wrap-up time ends

use super::call::Route;
use super::queue::AgentCommand;
use super::{Action, CallId, CoreTimer, Switch};
use std::time::{Duration, Instant};

/// How long a caller has to type an agent's PIN.
const PIN_TIME: Duration = Duration::from_secs(15);
/// Digits past this are not a PIN anyone configured: the entry is refused.
const MAX_PIN_DIGITS: usize = 16;

/// A caller typing the PIN of the agent they asked to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinEntry {
    agent: String,
    /// The code dialled, for the call to end as a feature code once the PIN is checked.
    code: FeatureCode,
    typed: String,
}

/// A feature code, as dialled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureCode {
    Login(Option<String>),
    Logout,
    /// The 1-based number of a pause reason.
    Pause(Option<usize>),
    Unpause,
    Ready,
    /// Monitor this agent's call (`monitor.rs`).
    Monitor(String),
}

/// Read a dialled number as a feature code.
pub fn parse(dialled: &str) -> Option<FeatureCode> {
    let rest = dialled.strip_prefix('*')?;
    // Every code is two ASCII digits; a dialled number may hold any UTF-8 (`*9é`), so split
    // only where a character boundary allows it.
    let (code, arg) = rest.split_at_checked(2).unwrap_or((rest, ""));
    let arg = (!arg.is_empty()).then(|| arg.to_string());
    Some(match code {
        "91" => FeatureCode::Login(arg),
        "92" if arg.is_none() => FeatureCode::Logout,
        "93" => match arg {
            None => FeatureCode::Pause(None),
            Some(n) => FeatureCode::Pause(Some(n.parse().ok()?)),
        },
        "94" if arg.is_none() => FeatureCode::Unpause,
        "95" if arg.is_none() => FeatureCode::Ready,
        "96" => FeatureCode::Monitor(arg?),
        _ => return None,
    })
}

impl Switch {
    /// Media is ready for a feature code's call: run it, answer, play the verdict (or, for
    /// `*91<agent>` away from the agent's extension, the PIN prompt).
    pub(super) fn feature_call(&mut self, now: Instant, id: CallId, code: FeatureCode) {
        let Some(extension) = self.calls.get(&id).map(|c| c.caller.number.clone()) else {
            return;
        };
        if let FeatureCode::Monitor(agent) = &code {
            self.monitor_feature(now, id, agent);
            return;
        }
        if let FeatureCode::Login(Some(agent)) = &code {
            let setup = self.acd.agents.get(agent);
            let own = setup.is_some_and(|a| a.extension.as_deref() == Some(extension.as_str()));
            if !own {
                // Unknown agents and agents without a PIN get the PIN prompt too, then a
                // refusal: the answer tells nobody which agents exist.
                self.ivr_answer(now, id);
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                call.route = Route::AgentPin(PinEntry {
                    agent: agent.clone(),
                    code: code.clone(),
                    typed: String::new(),
                });
                let codec = call.caller_media.codec();
                self.actions.push_back(Action::Play {
                    call: id,
                    prompts: vec![
                        ivr::Prompt::Silence(Duration::from_millis(120)),
                        ivr::Prompt::Tone {
                            freqs: vec![600],
                            duration: Duration::from_millis(600),
                        },
                    ],
                    codec,
                    looping: false,
                });
                self.arm(now + PIN_TIME, CoreTimer::AgentPin(id));
                return;
            }
        }
        let result = self.feature(now, &extension, code);
        self.feature_verdict(now, id, &extension, result);
    }

    /// A digit while the caller types an agent's PIN; true when it was taken. `#` ends the
    /// PIN, `*` starts it again.
    pub(super) fn pin_digit(&mut self, now: Instant, id: CallId, digit: char) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let Route::AgentPin(entry) = &mut call.route else {
            return false;
        };
        match digit {
            '*' => entry.typed.clear(),
            '#' => {
                let entry = entry.clone();
                let extension = call.caller.number.clone();
                let ip = call.a.dialog.peer.addr.ip();
                call.route = Route::Feature(entry.code);
                let result = self.check_agent_pin(now, ip, &entry.agent, &entry.typed);
                let result = result
                    .and_then(|()| self.feature_login(now, &extension, Some(entry.agent.clone())));
                self.feature_verdict(now, id, &extension, result);
            }
            d if entry.typed.len() < MAX_PIN_DIGITS => entry.typed.push(d),
            _ => {}
        }
        true
    }

    /// Whether `typed` is `agent`'s PIN. Wrong PINs count like wrong SIP passwords
    /// (`throttle.rs`, key `pin.<agent>`): a blocked address or agent is refused unchecked, so
    /// a 4-digit PIN cannot be guessed call after call.
    fn check_agent_pin(
        &mut self,
        now: Instant,
        ip: std::net::IpAddr,
        agent: &str,
        typed: &str,
    ) -> Result<(), String> {
        let key = format!("pin.{agent}");
        if self.throttle.blocked(now, ip, Some(&key)).is_some() {
            self.stats.auth_blocked += 1;
            return Err(format!("PIN attempts for agent {agent} blocked"));
        }
        let pin = self.acd.agents.get(agent).and_then(|a| a.pin.as_deref());
        let right = pin.is_some_and(|p| {
            p.len() == typed.len()
                && p.bytes()
                    .zip(typed.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if right {
            return Ok(());
        }
        self.stats.auth_failures += 1;
        self.throttle.failed(now, ip, Some(&key));
        tracing::warn!(
            "SIP authentication failed from {ip} for {}",
            super::register::log_safe(Some(&key))
        );
        Err(format!("wrong PIN for agent {agent}"))
    }

    /// The caller did not finish the PIN in time.
    pub(super) fn pin_timeout(&mut self, now: Instant, id: CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Route::AgentPin(entry) = &call.route else {
            return;
        };
        let extension = call.caller.number.clone();
        let reason = format!("no PIN typed for agent {}", entry.agent);
        call.route = Route::Feature(entry.code.clone());
        self.feature_verdict(now, id, &extension, Err(reason));
    }

    /// Answer (when not yet) and play the verdict; the call ends when it has played.
    pub(super) fn feature_verdict(
        &mut self,
        now: Instant,
        id: CallId,
        extension: &str,
        result: Result<(), String>,
    ) {
        if let Err(reason) = &result {
            tracing::info!(%extension, %reason, "feature code refused");
        }
        self.ivr_answer(now, id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.vars.insert(
            "feature_result".into(),
            match &result {
                Ok(()) => "ok".into(),
                Err(reason) => reason.clone(),
            },
        );
        let beep = |hz: u32, ms: u64| ivr::Prompt::Tone {
            freqs: vec![hz],
            duration: Duration::from_millis(ms),
        };
        let gap = || ivr::Prompt::Silence(Duration::from_millis(120));
        let prompts = match result {
            Ok(()) => vec![gap(), beep(880, 180), gap(), beep(1320, 300), gap()],
            Err(_) => vec![
                gap(),
                beep(400, 200),
                gap(),
                beep(400, 200),
                gap(),
                beep(400, 200),
                gap(),
            ],
        };
        let codec = call.caller_media.codec();
        self.actions.push_back(Action::Play {
            call: id,
            prompts,
            codec,
            looping: false,
        });
    }

    /// Carry out a feature code dialled from `extension`.
    fn feature(&mut self, now: Instant, extension: &str, code: FeatureCode) -> Result<(), String> {
        let command = match code {
            FeatureCode::Login(agent) => return self.feature_login(now, extension, agent),
            FeatureCode::Logout => AgentCommand::Logout,
            FeatureCode::Pause(n) => {
                let index = n.unwrap_or(1);
                let reason = index
                    .checked_sub(1)
                    .and_then(|i| self.acd.pause_reasons.get(i))
                    .cloned()
                    .ok_or_else(|| format!("no pause reason {index}"))?;
                AgentCommand::Pause { reason }
            }
            FeatureCode::Unpause => AgentCommand::Unpause,
            FeatureCode::Ready => AgentCommand::Ready,
            // Answered by `monitor_feature`, never a verdict of its own.
            FeatureCode::Monitor(_) => return Err("monitoring is not a command".to_string()),
        };
        let agent = self
            .acd
            .agent_at(extension)
            .map(str::to_string)
            .ok_or_else(|| format!("no agent is logged in at {extension}"))?;
        self.agent_command(now, &agent, command)
            .map_err(|e| e.to_string())
    }

    /// `*91[agent]`: the named agent, or the one whose extension this is, logs in here.
    fn feature_login(
        &mut self,
        now: Instant,
        extension: &str,
        agent: Option<String>,
    ) -> Result<(), String> {
        let agent = match agent {
            Some(a) => a,
            None => self
                .acd
                .agents
                .values()
                .find(|a| a.extension.as_deref() == Some(extension))
                .map(|a| a.cfg.id.clone())
                .ok_or_else(|| format!("no agent works at {extension}"))?,
        };
        let extension = Some(extension.to_string());
        self.agent_command(now, &agent, AgentCommand::Login { extension })
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse() {
        assert_eq!(parse("*91"), Some(FeatureCode::Login(None)));
        assert_eq!(
            parse("*912001"),
            Some(FeatureCode::Login(Some("2001".into())))
        );
        assert_eq!(parse("*92"), Some(FeatureCode::Logout));
        assert_eq!(parse("*93"), Some(FeatureCode::Pause(None)));
        assert_eq!(parse("*932"), Some(FeatureCode::Pause(Some(2))));
        assert_eq!(parse("*93x"), None);
        assert_eq!(parse("*94"), Some(FeatureCode::Unpause));
        assert_eq!(parse("*95"), Some(FeatureCode::Ready));
        assert_eq!(parse("*921"), None);
        assert_eq!(parse("*99"), None);
        assert_eq!(parse("91"), None);
        assert_eq!(parse("*9é"), None, "no split inside a character");
        assert_eq!(parse("*é"), None);
        assert_eq!(parse("*"), None);
    }
}
