//! Calls that go somewhere without a dialplan: an agent's feature codes (log in, log out, pause,
//! unpause, ready) and a queue's own number.
//!
//! A feature code is answered by the switch, which plays a confirmation (two rising beeps) or a
//! refusal (three low beeps) and hangs up. Codes (docs/acd.md):
//! - `*91` log in the agent whose extension this is; `*91<agent>` log in agent `<agent>` here
//! - `*92` log out
//! - `*93` pause with the first reason; `*93<n>` pause with reason n of `[acd] pause_reasons`
//! - `*94` unpause
//! - `*95` wrap-up done: available before the wrap-up time ends

use super::queue::AgentCommand;
use super::{Action, CallId, Switch};
use std::time::{Duration, Instant};

/// A feature code, as dialled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureCode {
    Login(Option<String>),
    Logout,
    /// The 1-based number of a pause reason.
    Pause(Option<usize>),
    Unpause,
    Ready,
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
        _ => return None,
    })
}

impl Switch {
    /// Media is ready for a feature code's call: run it, answer, play the verdict.
    pub(super) fn feature_call(&mut self, now: Instant, id: CallId, code: FeatureCode) {
        let Some(extension) = self.calls.get(&id).map(|c| c.caller.number.clone()) else {
            return;
        };
        let result = self.feature(now, &extension, code);
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
