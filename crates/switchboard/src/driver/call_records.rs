//! The switch core's call records (CDR changes, contact rows, callbacks) as CRM database rows,
//! and stored callbacks back as the core's requests. The core knows nothing of the CRM; this
//! is the one place the two meet (the ACD's events have theirs in `acd_records.rs`).

use crate::switch;

/// The CRM's CDR change for one of the core's.
pub fn cdr(event: switch::CdrEvent) -> crm::CdrEvent {
    match event {
        switch::CdrEvent::Start(s) => crm::CdrEvent::Start(crm::CdrStart {
            call_id: s.call_id,
            caller: s.caller,
            caller_name: s.caller_name,
            callee: s.callee,
            callee_name: s.callee_name,
            started_at: s.started_at,
        }),
        switch::CdrEvent::Answer { call_id, at } => crm::CdrEvent::Answer { call_id, at },
        switch::CdrEvent::End(e) => crm::CdrEvent::End(crm::CdrEnd {
            call_id: e.call_id,
            ended_at: e.ended_at,
            disposition: disposition(e.disposition),
            sip_status: e.sip_status,
            hangup_cause: e.hangup_cause,
            hangup_side: e.hangup_side.map(hangup_side),
            legs: e.legs.into_iter().map(leg).collect(),
            vars: e.vars,
        }),
        switch::CdrEvent::Link(l) => crm::CdrEvent::Link(crm::CdrLink {
            call_id: l.call_id,
            queue: l.queue,
            agent: l.agent,
            customer_id: None,
            channel: None,
        }),
        switch::CdrEvent::Trunk(t) => crm::CdrEvent::Trunk(crm::CdrTrunk {
            call_id: t.call_id,
            direction: match t.direction {
                switch::Direction::Inbound => crm::CallDirection::Inbound,
                switch::Direction::Outbound => crm::CallDirection::Outbound,
            },
            trunk: t.trunk,
            did: t.did,
            caller_id: t.caller_id,
            dialled: t.dialled,
        }),
    }
}

fn disposition(d: switch::Disposition) -> crm::Disposition {
    match d {
        switch::Disposition::Answered => crm::Disposition::Answered,
        switch::Disposition::NoAnswer => crm::Disposition::NoAnswer,
        switch::Disposition::Busy => crm::Disposition::Busy,
        switch::Disposition::Failed => crm::Disposition::Failed,
        switch::Disposition::Cancelled => crm::Disposition::Cancelled,
        switch::Disposition::Declined => crm::Disposition::Declined,
    }
}

fn hangup_side(s: switch::HangupSide) -> crm::Side {
    match s {
        switch::HangupSide::Caller => crm::Side::Caller,
        switch::HangupSide::Callee => crm::Side::Callee,
        switch::HangupSide::Switch => crm::Side::Switch,
    }
}

fn leg(l: switch::Leg) -> crm::Leg {
    crm::Leg {
        role: match l.role {
            switch::LegRole::Caller => crm::LegRole::Caller,
            switch::LegRole::Callee => crm::LegRole::Callee,
        },
        sip_call_id: l.sip_call_id,
        peer: l.peer,
        extension: l.extension,
        started_at: l.started_at,
        answered_at: l.answered_at,
        ended_at: l.ended_at,
        final_status: l.final_status,
    }
}

/// The contact-history row of a customer-facing call, with the call's recording if any (the
/// CRM finds the customer by number).
pub fn contact(c: switch::Contact, recording_id: Option<String>) -> crm::NewContact {
    crm::NewContact {
        call_id: Some(c.call_id),
        channel: match (c.channel, c.direction) {
            (switch::Channel::Web, _) => crm::Channel::WebCall,
            (switch::Channel::Voice, switch::Direction::Inbound) => crm::Channel::VoiceInbound,
            (switch::Channel::Voice, switch::Direction::Outbound) => crm::Channel::VoiceOutbound,
        },
        number: Some(c.number),
        customer_id: None,
        at: c.at,
        queue: c.queue,
        agent: c.agent,
        duration_ms: Some(c.duration_ms),
        outcome: c.outcome,
        recording_id,
    }
}

/// A callback request as the CRM keeps it.
pub fn callback_to_crm(r: &switch::CallbackRequest) -> crm::CallbackRequest {
    crm::CallbackRequest {
        call_id: r.call_id.clone(),
        queue: r.queue.clone(),
        number: r.number.clone(),
        priority: r.priority,
        skills: r.skills.clone(),
        enqueued_at: r.enqueued_at,
        requested_at: r.requested_at,
    }
}

/// A callback the CRM kept, to put back in its queue.
pub fn callback_from_crm(r: crm::CallbackRequest) -> switch::CallbackRequest {
    switch::CallbackRequest {
        call_id: r.call_id,
        queue: r.queue,
        number: r.number,
        priority: r.priority,
        skills: r.skills,
        enqueued_at: r.enqueued_at,
        requested_at: r.requested_at,
    }
}

/// A browser call's CDR is marked `web` (the CRM's `cdrs.channel`, a dimension of the reports)
/// by a link right after its start: a link's empty fields leave the CDR's as they are.
pub fn channel_link(ev: &switch::CdrEvent) -> Option<crm::CdrEvent> {
    match ev {
        switch::CdrEvent::Start(s) if s.channel == switch::Channel::Web => {
            Some(crm::CdrEvent::Link(crm::CdrLink {
                call_id: s.call_id.clone(),
                queue: None,
                agent: None,
                customer_id: None,
                channel: Some(crm::CallChannel::Web),
            }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: the core's trunk record reaches the CRM (it was dropped before).
    #[test]
    fn trunk_records_map_to_the_crm() {
        let ev = cdr(switch::CdrEvent::Trunk(switch::CdrTrunk {
            call_id: "c1".into(),
            direction: switch::Direction::Outbound,
            trunk: "carrier-b".into(),
            did: None,
            caller_id: Some("+8215880000".into()),
            dialled: Some("0212345678".into()),
        }));
        assert_eq!(
            ev,
            crm::CdrEvent::Trunk(crm::CdrTrunk {
                call_id: "c1".into(),
                direction: crm::CallDirection::Outbound,
                trunk: "carrier-b".into(),
                did: None,
                caller_id: Some("+8215880000".into()),
                dialled: Some("0212345678".into()),
            })
        );
    }

    /// A web call's CDR is linked as `web` right after its start; other starts are not.
    #[test]
    fn a_web_call_start_is_followed_by_its_channel() {
        let start = |channel| {
            switch::CdrEvent::Start(switch::CdrStart {
                call_id: "c1".into(),
                caller: "web-1".into(),
                caller_name: None,
                callee: "1588".into(),
                callee_name: None,
                started_at: chrono::DateTime::UNIX_EPOCH,
                channel,
            })
        };
        match channel_link(&start(switch::Channel::Web)) {
            Some(crm::CdrEvent::Link(l)) => {
                assert_eq!(l.call_id, "c1");
                assert_eq!(l.channel, Some(crm::CallChannel::Web));
                assert_eq!((l.queue, l.agent, l.customer_id), (None, None, None));
            }
            other => panic!("{other:?}"),
        }
        assert!(channel_link(&start(switch::Channel::Voice)).is_none());
    }
}
