//! Click-to-dial: an agent asks (the HTTP API) to call a customer. The switch rings the
//! agent's phone first, showing the customer's number as the caller so the phone says whom it
//! will call; once the agent answers, the agent hears ringback and the number is dialled the
//! way a callback's is (`callback.rs`): an extension directly, else a dialplan route, else out
//! over the trunks in plan order with their failover (`trunk_out.rs`), presenting the trunk's
//! caller ID. What can be known before anything rings is checked first and refused with a
//! [`ClickToDialError`]: the number, the agent and their phone, a call already in progress, the
//! deny prefixes, a trunk able to carry it.
//!
//! It is a callback without an ACD entry (`CallbackOrigin::ClickToDial`): the switch times the
//! agent's ringing itself, and the CDR opens at the request (with the agent linked), so an
//! agent who does not answer leaves a record too. While it lasts a logged-in agent who was
//! available is paused "on another call" (`agents.rs`), as for any call of their own; the ACD
//! gives no wrap-up for it. The agent gets a screen pop for the call (the customer's record and
//! history, and the call the page's wrap-up goes to); once the agent answered, the call is a
//! contact (outbound, with the agent) that the wrap-up attaches to.

use super::call::Phase;
use super::callback::{CallbackLeg, CallbackOrigin, CallbackPhase};
use super::queue::ScreenPop;
use super::record::PolicyEntry;
use super::{Action, CallId, Side, Switch};
use crate::records::{Contact, Direction, Disposition, HangupSide};
use std::time::Instant;

/// Why a click-to-dial was refused (nothing rang).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClickToDialError {
    /// No agent has this id or extension.
    #[error("no agent {0}")]
    UnknownAgent(String),
    /// The agent has no extension to ring (not logged in, none configured).
    #[error("agent {0} has no extension: log in at a phone first")]
    NoExtension(String),
    /// The agent's extension has no registered phone.
    #[error("agent {agent}'s phone (extension {extension}) is not registered")]
    PhoneOffline { agent: String, extension: String },
    /// The agent is being offered a call or is on one.
    #[error("agent {0} is on a call")]
    AgentBusy(String),
    /// The number starts with a deny prefix (emergency, premium rate...).
    #[error("calls to {number} are not allowed (denied prefix {prefix})")]
    NumberDenied { number: String, prefix: String },
    /// The number is no extension and no route, and no trunk can carry it now (none
    /// configured, or every one down, unresolved or full).
    #[error("no trunk can carry a call to {0} now")]
    NoTrunk(String),
    /// Not an extension and not a phone number (digits, an optional leading `+`).
    #[error("{0:?} is not a phone number")]
    InvalidNumber(String),
    /// The switch is at its call limit.
    #[error("the switch is full: try again later")]
    Overloaded,
}

/// Most digits a number may have (E.164 allows 15; national prefixes add a few).
const MAX_DIGITS: usize = 20;

/// The number as the switch dials it: an extension as written, else digits with an optional
/// leading `+`, the separators people write (spaces, `-`, `.`, parentheses) removed.
pub(super) fn dialable(number: &str, is_extension: impl Fn(&str) -> bool) -> Option<String> {
    let trimmed = number.trim();
    if is_extension(trimmed) {
        return Some(trimmed.to_string());
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let ok = !digits.is_empty()
        && digits.len() <= MAX_DIGITS
        && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(compact)
}

impl Switch {
    /// Call `number` for `agent` (an agent id, or the extension an agent is logged in at or
    /// configured with): ring the agent's phone, then the customer. Returns the call; its CDR
    /// id is [`Switch::cdr_id_of`]. Refused before anything rings when the call cannot work.
    pub fn click_to_dial(
        &mut self,
        now: Instant,
        agent: &str,
        number: &str,
    ) -> Result<CallId, ClickToDialError> {
        let number = dialable(number, |n| self.cfg.users.contains_key(n))
            .ok_or_else(|| ClickToDialError::InvalidNumber(number.to_string()))?;
        let (agent, ext) = self.click_to_dial_agent(agent)?;
        let binding =
            self.agent_binding(now, &ext)
                .ok_or_else(|| ClickToDialError::PhoneOffline {
                    agent: agent.clone(),
                    extension: ext.clone(),
                })?;
        let in_acd_call = self.acd.core.agent(&agent).is_some_and(|s| {
            matches!(
                s.state,
                acd::AgentState::Ringing { .. } | acd::AgentState::OnCall { .. }
            )
        });
        if in_acd_call || self.calls_of(&ext) > 0 {
            return Err(ClickToDialError::AgentBusy(agent));
        }
        self.check_reachable(now, &ext, &number)?;
        if self.overloaded().is_some() {
            return Err(ClickToDialError::Overloaded);
        }
        let mut vars = std::collections::BTreeMap::new();
        vars.insert("agent".to_string(), agent.clone());
        vars.insert("click_to_dial".to_string(), number.clone());
        let dialled_entry = self
            .cfg
            .users
            .contains_key(&number)
            .then(|| PolicyEntry::Extension(number.clone()));
        let offers = self.cfg.recording.offers_for(&ext, dialled_entry.as_ref());
        let leg = CallbackLeg {
            origin: CallbackOrigin::ClickToDial,
            agent: agent.clone(),
            extension: ext.clone(),
            number: number.clone(),
            presented: ext.clone(),
            phase: CallbackPhase::Media,
        };
        let id = self.place_agent_leg(now, binding, &number, leg, vars.clone(), offers);
        self.open_agent_cdr(id, self.wall(now), None, &agent);
        // The agent's screen shows the customer, and its wrap-up goes to this call.
        if let Some(cdr_id) = self.cdr_id_of(id) {
            let pop = ScreenPop {
                agent: agent.clone(),
                call_id: cdr_id,
                caller: number.clone(),
                caller_name: None,
                dialled: number.clone(),
                queue: String::new(),
                offered_at: self.wall(now),
                // Nobody waited: the agent placed the call.
                waited_s: 0,
                waited_total_s: 0,
                waited_in_queue_s: 0,
                vars,
            };
            self.actions.push_back(Action::ScreenPop(Box::new(pop)));
        }
        tracing::info!(call = id, %agent, extension = %ext, %number, "click-to-dial");
        self.agent_phone_busy(now, &ext);
        self.process(now);
        Ok(id)
    }

    /// The agent and the extension to ring: the one they are logged in at, else their own.
    fn click_to_dial_agent(&self, who: &str) -> Result<(String, String), ClickToDialError> {
        let agent = if self.acd.agents.contains_key(who) {
            Some(who.to_string())
        } else if let Some(a) = self.acd.agent_at(who) {
            Some(a.to_string())
        } else {
            self.acd
                .agents
                .iter()
                .filter(|(_, a)| a.extension.as_deref() == Some(who))
                .map(|(id, _)| id.clone())
                .min()
        };
        let agent = agent.ok_or_else(|| ClickToDialError::UnknownAgent(who.to_string()))?;
        let ext = self
            .acd
            .logged_in
            .get(&agent)
            .cloned()
            .or_else(|| {
                self.acd
                    .agents
                    .get(&agent)
                    .and_then(|a| a.extension.clone())
            })
            .ok_or_else(|| ClickToDialError::NoExtension(agent.clone()))?;
        Ok((agent, ext))
    }

    /// Whether `number` can be dialled the way `callback_dial` will: an extension, a number
    /// not denied that a dialplan route takes, or one a trunk can carry now.
    fn check_reachable(
        &self,
        now: Instant,
        agent_ext: &str,
        number: &str,
    ) -> Result<(), ClickToDialError> {
        if self.cfg.users.contains_key(number) {
            return Ok(());
        }
        if let Some(prefix) = self.trunks.plan.denied(number) {
            return Err(ClickToDialError::NumberDenied {
                number: number.to_string(),
                prefix: prefix.to_string(),
            });
        }
        let routed = self.dialplans.as_ref().is_some_and(|plans| {
            let info = ivr::CallInfo {
                caller: agent_ext.to_string(),
                caller_name: String::new(),
                dialled: number.to_string(),
            };
            ivr::Session::start(plans, now, self.wall(now), info).is_ok()
        });
        let carried = || {
            self.trunks
                .plan
                .trunks
                .iter()
                .any(|t| self.trunks.can_try(t))
        };
        if routed || carried() {
            Ok(())
        } else {
            Err(ClickToDialError::NoTrunk(number.to_string()))
        }
    }

    /// Whether `id` is a click-to-dial call.
    pub(super) fn is_click_to_dial(&self, id: CallId) -> bool {
        self.calls
            .get(&id)
            .and_then(|c| c.callback.as_ref())
            .is_some_and(|cb| cb.origin == CallbackOrigin::ClickToDial)
    }

    /// The agent's phone answered a click-to-dial with a failure (`code`).
    pub(super) fn click_to_dial_agent_failed(&mut self, now: Instant, id: CallId, code: u16) {
        let (disposition, cause) = match code {
            486 | 600 => (Disposition::Busy, "agent's phone busy"),
            603 => (Disposition::Declined, "agent declined"),
            408 | 480 | 487 => (Disposition::NoAnswer, "agent did not answer"),
            _ => (Disposition::Failed, "agent's phone failed"),
        };
        self.click_to_dial_unanswered(now, id, disposition, code, cause);
    }

    /// A click-to-dial ends before the agent answered: the agent's INVITE is cancelled if it
    /// still rings, and the CDR closes (no contact: nobody was called).
    pub(super) fn click_to_dial_unanswered(
        &mut self,
        now: Instant,
        id: CallId,
        disposition: Disposition,
        status: u16,
        cause: &str,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.phase == Phase::Ended {
            return;
        }
        if let Some(CallbackPhase::AgentRinging(tx)) = call.callback.as_ref().map(|cb| cb.phase) {
            let _ = self.tx.cancel(now, tx);
        }
        let by = (disposition == Disposition::Declined).then_some((Side::A, HangupSide::Callee));
        self.end_callback(now, id, disposition, status, cause, by);
    }

    /// The contact-history row of a click-to-dial whose agent answered: outbound, with the
    /// agent, under the number dialled (in E.164 when a trunk carried it).
    pub(super) fn click_to_dial_contact(
        &self,
        now: Instant,
        id: CallId,
        disposition: Disposition,
    ) -> Option<Contact> {
        let call = self.calls.get(&id)?;
        let cb = call.callback.as_ref()?;
        let agent_answered = call.answered?;
        let customer_answered = call
            .answered_branch
            .and_then(|i| call.branches.get(i))
            .and_then(|b| b.answered);
        let outcome = match customer_answered {
            // The agent consulted and handed the customer on (`consult.rs`).
            Some(_) if call.vars.contains_key("transferred_to") => "transferred",
            Some(_) => "answered",
            None => disposition.as_str(),
        };
        let since = customer_answered.unwrap_or(agent_answered);
        Some(Contact {
            call_id: call.cdr_id.clone(),
            direction: Direction::Outbound,
            number: self.trunk_dialled(id).unwrap_or_else(|| cb.number.clone()),
            at: self.wall(call.started),
            queue: None,
            agent: Some(cb.agent.clone()),
            duration_ms: now.saturating_duration_since(since).as_millis() as i64,
            outcome: outcome.to_string(),
            channel: call.channel,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_digits_or_extensions() {
        let ext = |n: &str| n == "1002" || n == "sales";
        assert_eq!(dialable(" sales ", ext).as_deref(), Some("sales"));
        assert_eq!(
            dialable("010-1234 5678", ext).as_deref(),
            Some("01012345678")
        );
        assert_eq!(
            dialable("+82 (10) 1234.5678", ext).as_deref(),
            Some("+821012345678")
        );
        for bad in [
            "",
            "+",
            "12a4",
            "sip:1002@x",
            "1234567890123456789012",
            "++12",
        ] {
            assert_eq!(dialable(bad, ext), None, "{bad:?}");
        }
    }
}
