//! The monitoring hand-off of the SIP driver: a supervisor's listener is added to the agent's
//! call's relay session (its ports bound here, at once, so a later removal always comes after
//! it on the session's control channel), steered, removed; and each monitoring step goes to
//! the audit log under the supervisor's account (or, for a refused agent's phone, the agent's).

use super::relay::media_side;
use super::Driver;
use crate::switch::{Action, MonitorEvent, MonitorRecord};
use std::time::Instant;

impl Driver {
    pub(super) fn monitor_action(&mut self, action: Action) {
        match action {
            Action::AttachListener {
                call,
                listener,
                agent_side,
                mode,
                codec,
                telephone_event_pt,
            } => {
                let result = match self.sessions.get(&call) {
                    Some(s) => s
                        .add_listener(media_side(agent_side), mode, codec, telephone_event_pt)
                        .map(|port| (s.advertise_ip(), port))
                        .map_err(|e| e.to_string()),
                    None => Err("the agent's call has no relay session".to_string()),
                };
                self.switch
                    .listener_attached(Instant::now(), listener, result);
            }
            Action::ListenerRemote { call, rtp, rtcp } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.set_listener_remote(rtp, rtcp);
                }
            }
            Action::ListenerMode { call, mode } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.set_listener_mode(mode);
                }
            }
            Action::ListenerPaired { call, side } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.set_listener_paired(side.map(media_side));
                }
            }
            Action::RemoveListener { call } => {
                if let Some(s) = self.sessions.get(&call) {
                    s.remove_listener();
                }
            }
            Action::Monitor(record) => {
                let crm = self.crm.clone();
                tokio::spawn(async move { audit(&crm, record).await });
            }
            _ => {}
        }
    }
}

/// Write one monitoring step to the audit log. A refused phone that is no supervisor's is
/// audited under the account of the agent logged in there; a phone of nobody's only logged.
async fn audit(crm: &crm::Crm, r: MonitorRecord) {
    let account = match (&r.account, &r.caller_agent) {
        (Some(name), _) => crm.account_by_username(name).await.ok().flatten(),
        (None, Some(agent)) => crm.accounts().await.ok().and_then(|all| {
            all.into_iter()
                .find(|a| a.agent_id.as_deref() == Some(agent.as_str()))
        }),
        (None, None) => None,
    };
    let (action, detail) = match &r.event {
        MonitorEvent::Started(mode) => (crm::AuditAction::MonitorStart, mode.as_str()),
        MonitorEvent::ModeChanged(mode) => (crm::AuditAction::MonitorMode, mode.as_str()),
        MonitorEvent::Stopped => (crm::AuditAction::MonitorStop, ""),
        MonitorEvent::Refused(e) => (crm::AuditAction::MonitorRefused, e.reason()),
    };
    let Some(account) = account else {
        tracing::warn!(extension = %r.extension, agent = %r.agent, ?action, %detail,
            "monitoring from a phone of no account: not audited");
        return;
    };
    let detail = serde_json::json!({
        "agent": r.agent,
        "extension": r.extension,
        "call_id": r.call_id,
        "mode": matches!(r.event, MonitorEvent::Started(_) | MonitorEvent::ModeChanged(_))
            .then_some(detail),
        "reason": matches!(r.event, MonitorEvent::Refused(_)).then_some(detail),
    });
    let entry = crm::NewAuditEntry {
        at: r.at,
        account: account.username,
        role: account.role,
        action,
        object_id: r.call_id.clone().unwrap_or_else(|| r.agent.clone()),
        remote_addr: None,
        detail: Some(detail.to_string()),
    };
    if let Err(e) = crm.audit(&entry).await {
        tracing::error!(error = %e, "monitoring audit entry not written");
    }
}
