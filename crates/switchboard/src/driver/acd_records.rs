//! The ACD's queue and agent events as CRM database records, and the CDR links they imply
//! (a call connected to an agent links its CDR to the queue and the agent).

use crate::switch::{AcdEvent, AcdRecord};
use crm::{AgentEventKind as CA, CdrEvent, QueueEventKind as CQ};

/// The records one ACD event becomes.
pub fn to_crm(record: AcdRecord) -> Vec<CdrEvent> {
    let event_id = uuid::Uuid::new_v4().to_string();
    match record.event {
        AcdEvent::Queue(e) => {
            let mut out = Vec::with_capacity(2);
            let kind = match e.kind {
                acd::QueueEventKind::Enter { position } => {
                    out.push(CdrEvent::Link(crm::CdrLink {
                        call_id: e.call.clone(),
                        queue: Some(e.queue.clone()),
                        agent: None,
                        customer_id: None,
                        channel: None,
                    }));
                    CQ::Enter {
                        position: clamp(position),
                    }
                }
                acd::QueueEventKind::Ring { agent } => CQ::Ring { agent },
                acd::QueueEventKind::RingNoAnswer { agent, rang } => {
                    CQ::RingNoAnswer { agent, rang }
                }
                acd::QueueEventKind::Connect { agent, wait } => {
                    out.push(CdrEvent::Link(crm::CdrLink {
                        call_id: e.call.clone(),
                        queue: Some(e.queue.clone()),
                        agent: Some(agent.clone()),
                        customer_id: None,
                        channel: None,
                    }));
                    CQ::Connect { agent, wait }
                }
                acd::QueueEventKind::Complete {
                    agent,
                    talk,
                    hold,
                    by,
                } => CQ::Complete {
                    agent,
                    talk,
                    hold,
                    ended_by: match by {
                        acd::EndedBy::Caller => crm::EndedBy::Caller,
                        acd::EndedBy::Agent => crm::EndedBy::Agent,
                        acd::EndedBy::Switch => crm::EndedBy::Switch,
                    },
                },
                acd::QueueEventKind::Abandon { position, wait } => CQ::Abandon {
                    position: clamp(position),
                    wait,
                },
                acd::QueueEventKind::Overflow {
                    reason,
                    target,
                    wait,
                } => {
                    // A caller refused on arrival never entered: link the CDR here.
                    out.push(CdrEvent::Link(crm::CdrLink {
                        call_id: e.call.clone(),
                        queue: Some(e.queue.clone()),
                        agent: None,
                        customer_id: None,
                        channel: None,
                    }));
                    CQ::Overflow {
                        reason: match reason {
                            acd::OverflowReason::MaxWait => crm::OverflowReason::MaxWait,
                            acd::OverflowReason::MaxLength => crm::OverflowReason::MaxLength,
                            acd::OverflowReason::JoinEmpty => crm::OverflowReason::JoinEmpty,
                            acd::OverflowReason::LeaveEmpty => crm::OverflowReason::LeaveEmpty,
                            acd::OverflowReason::QueueRemoved => crm::OverflowReason::QueueRemoved,
                        },
                        target,
                        wait,
                    }
                }
                acd::QueueEventKind::ExitWithKey { key, wait } => CQ::ExitKey { key, wait },
                acd::QueueEventKind::CallbackRequested { number } => CQ::Callback { number },
                acd::QueueEventKind::Transfer { to_queue } => CQ::Transfer { to_queue },
                acd::QueueEventKind::ConsultStart { agent, target } => {
                    CQ::ConsultStart { agent, target }
                }
                acd::QueueEventKind::ConsultEnd {
                    agent,
                    target,
                    consult,
                } => CQ::ConsultEnd {
                    agent,
                    target,
                    consult,
                },
                acd::QueueEventKind::AttendedTransfer {
                    agent,
                    target,
                    consult,
                } => CQ::AttendedTransfer {
                    agent,
                    target,
                    consult,
                },
                acd::QueueEventKind::Conference { agent, target } => {
                    CQ::Conference { agent, target }
                }
                other => {
                    tracing::warn!(?other, "queue event kind not stored");
                    return out;
                }
            };
            out.push(CdrEvent::Queue(crm::QueueEventRecord {
                event_id,
                at: record.at,
                queue: e.queue,
                call_id: e.call,
                kind,
            }));
            out
        }
        AcdEvent::Agent(e) => {
            let kind = match e.kind {
                acd::AgentEventKind::Login => CA::Login,
                acd::AgentEventKind::Logout => CA::Logout,
                acd::AgentEventKind::Pause { reason } => CA::Pause { reason },
                acd::AgentEventKind::Unpause => CA::Unpause,
                acd::AgentEventKind::StateChange { from, to } => match (from.parse(), to.parse()) {
                    (Ok(from), Ok(to)) => CA::State { from, to },
                    _ => {
                        tracing::warn!(%from, %to, "unknown agent state not stored");
                        return Vec::new();
                    }
                },
                // Live only (the stream and the agent view): the phone's registrations are not
                // part of the agent's stored history.
                acd::AgentEventKind::Phone { .. } => return Vec::new(),
                other => {
                    tracing::warn!(?other, "agent event kind not stored");
                    return Vec::new();
                }
            };
            vec![CdrEvent::Agent(crm::AgentEventRecord {
                event_id,
                at: record.at,
                agent: e.agent,
                kind,
            })]
        }
    }
}

fn clamp(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}
