//! Whom a consultation (`consult.rs`) calls, and the third party's call placed to it: an agent
//! (at the phone they are logged in at, else their own), an extension with a registered phone,
//! or an outside number (written as the agent's click-to-dial takes it: digits, an optional
//! `+`, separators ignored) through the first outbound trunk in plan order that can take a
//! call now (`trunk_out.rs`). A number starting with one of the plan's deny prefixes is
//! refused, as is one no trunk can carry.

use super::call::{Party, Route};
use super::click_to_dial::dialable;
use super::consult::ConsultError;
use super::dialog::Dialog;
use super::{Action, CallId, Switch};
use crate::records::{CdrEvent, CdrStart};
use std::time::Instant;

/// A consultation's target, resolved.
pub(super) enum Third {
    /// A phone of ours, at this extension.
    Extension(String),
    /// A number out over the trunks.
    Outside(String),
}

/// What the third party's call is placed from.
pub(super) struct Placing<'a> {
    pub agent: &'a str,
    pub agent_name: Option<String>,
    /// The agent's extension: the caller the third party's phone shows.
    pub agent_ext: &'a str,
    /// The customer's CDR id (`consult_for`).
    pub customer_cdr: String,
    /// The customer's call's `caller_id` variable (a plan's number to present out).
    pub caller_id: Option<String>,
    pub reason: &'a str,
}

impl Switch {
    /// `target` (not a queue) as a consultation's third party.
    pub(super) fn consult_target(&self, target: &str) -> Result<Third, ConsultError> {
        if let Some(setup) = self.acd.agents.get(target) {
            return self
                .acd
                .logged_in
                .get(target)
                .or(setup.extension.as_ref())
                .cloned()
                .map(Third::Extension)
                .ok_or_else(|| ConsultError::TargetOffline(target.to_string()));
        }
        if self.cfg.users.contains_key(target) {
            return Ok(Third::Extension(target.to_string()));
        }
        let number = dialable(target, |_| false)
            .ok_or_else(|| ConsultError::UnknownTarget(target.to_string()))?;
        if let Some(prefix) = self.trunks.plan.denied(&number) {
            return Err(ConsultError::NumberDenied {
                number,
                prefix: prefix.to_string(),
            });
        }
        let carried = self
            .trunks
            .plan
            .trunks
            .iter()
            .any(|t| self.trunks.can_try(t));
        if !carried {
            return Err(ConsultError::NoTrunk(number));
        }
        Ok(Third::Outside(number))
    }

    /// Place the third party's call (its INVITE goes once the relay gave the listener's port):
    /// returns its id. Its CDR opens with the agent's extension as the caller.
    pub(super) fn place_third(
        &mut self,
        now: Instant,
        third: Third,
        from: Placing<'_>,
    ) -> Result<CallId, ConsultError> {
        let domain = self.cfg.domain.clone();
        let agent_ext = from.agent_ext.to_string();
        let (dialog, local_tag, callee, trunk) = match third {
            Third::Extension(ext) => {
                let binding = self
                    .agent_binding(now, &ext)
                    .ok_or_else(|| ConsultError::TargetOffline(ext.clone()))?;
                let local_tag = sip::message::new_tag();
                let display = format!(
                    "{} (consult)",
                    from.agent_name.as_deref().unwrap_or(from.agent)
                )
                .replace(['"', '\\'], "");
                let dialog: Dialog = binding.dialog(
                    sip::message::new_call_id(&domain),
                    format!("\"{display}\" <sip:{agent_ext}@{domain}>;tag={local_tag}"),
                    format!("<sip:{ext}@{domain}>"),
                    agent_ext.clone(),
                );
                (dialog, local_tag, ext, None)
            }
            Third::Outside(number) => {
                let (leg, dial, cdr) = self
                    .consult_over_trunk(now, &number, from.caller_id.clone(), &agent_ext)
                    .ok_or_else(|| ConsultError::NoTrunk(number.clone()))?;
                (leg.dialog, leg.local_tag, number, Some((dial, cdr)))
            }
        };
        let id = self.next_call;
        self.next_call += 1;
        let parties = (
            Party {
                number: callee.clone(),
                name: None,
            },
            Party {
                number: agent_ext.clone(),
                name: from.agent_name,
            },
        );
        let route = Route::Consult(from.agent.to_string());
        let mut call = self.originated_call(now, dialog, local_tag, parties, route);
        call.vars
            .insert("consult_by".into(), from.agent.to_string());
        call.vars.insert("consult_for".into(), from.customer_cdr);
        if !from.reason.is_empty() {
            call.vars
                .insert("consult_reason".into(), from.reason.to_string());
        }
        self.actions
            .push_back(Action::Cdr(CdrEvent::Start(CdrStart {
                call_id: call.cdr_id.clone(),
                caller: agent_ext,
                caller_name: None,
                callee,
                callee_name: None,
                started_at: self.wall(now),
                channel: call.channel,
            })));
        if let Some((dial, mut cdr)) = trunk {
            cdr.call_id = call.cdr_id.clone();
            call.trunk_out = Some(dial);
            self.actions.push_back(Action::Cdr(CdrEvent::Trunk(cdr)));
        }
        self.store_originated(id, call);
        Ok(id)
    }
}
