//! ACD events for the live stream (`GET /api/events`): serialized once by the driver, with the
//! SSE event type (`queue` or `agent`) carried as a value beside the JSON, not found in its text.

use crate::switch::AcdEvent;
use std::sync::Arc;

/// Which SSE event type an ACD event goes out as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventScope {
    Queue,
    Agent,
}

impl EventScope {
    /// The scope of an ACD event.
    pub fn of(event: &AcdEvent) -> Self {
        match event {
            AcdEvent::Queue(_) => EventScope::Queue,
            AcdEvent::Agent(_) => EventScope::Agent,
        }
    }

    /// The SSE `event:` name.
    pub fn name(self) -> &'static str {
        match self {
            EventScope::Queue => "queue",
            EventScope::Agent => "agent",
        }
    }
}

/// One event on the live channel, shared by every subscriber.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub scope: EventScope,
    /// The event as `EventView` JSON.
    pub json: Arc<str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::EventView;

    #[test]
    fn the_sse_type_is_the_views_scope() {
        let now = std::time::Instant::now();
        let agent = AcdEvent::Agent(acd::AgentEvent {
            at: now,
            agent: "a1".into(),
            kind: acd::AgentEventKind::Login,
        });
        let queue = AcdEvent::Queue(acd::QueueEvent {
            at: now,
            queue: "q".into(),
            call: "c1".into(),
            kind: acd::QueueEventKind::Enter { position: 1 },
        });
        for event in [agent, queue] {
            let view = EventView::new(chrono::Utc::now(), &event);
            assert_eq!(EventScope::of(&event).name(), view.scope);
        }
    }
}
