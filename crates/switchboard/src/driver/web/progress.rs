//! Web calls' progress pushed to their tasks: each call's task watches a
//! [`tokio::sync::watch`] channel that the SIP driver updates after every step of the core
//! (an INVITE, a response, a timer, an ACD change), so a visitor sees "ringing", a new queue
//! position or "connected" as soon as the core decides it, not at the next poll. The driver
//! reads the core once per step for all watched calls ([`switch::Switch::web_progress_of`]:
//! each queue's waiting list is read once), and a watch channel only wakes its task when the
//! value changes.

use std::collections::HashMap;
use std::time::Instant;
use switch::WebProgress;
use tokio::sync::watch;

/// What a call's task reads: `None` until the core has the call, then its progress; `None`
/// again once the core forgot it.
pub type ProgressWatch = watch::Receiver<Option<WebProgress>>;

/// The driver's side: the watched calls by SIP Call-ID.
#[derive(Debug, Default)]
pub struct ProgressWatchers {
    calls: HashMap<String, Watched>,
}

#[derive(Debug)]
struct Watched {
    sender: watch::Sender<Option<WebProgress>>,
    /// The core has had the call (a later `None` means it is gone).
    seen: bool,
}

impl ProgressWatchers {
    /// A channel for the call `sip_call_id` (placed by the gateway), its first value `None`.
    pub fn watch(&mut self, sip_call_id: String) -> ProgressWatch {
        let (sender, receiver) = watch::channel(None);
        self.calls.insert(
            sip_call_id,
            Watched {
                sender,
                seen: false,
            },
        );
        receiver
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Pushes what changed: `read` gives the core's progress of each call asked. Calls whose
    /// task has ended, or that the core has forgotten, are dropped.
    pub fn publish(
        &mut self,
        now: Instant,
        read: impl FnOnce(Instant, &[&str]) -> Vec<Option<WebProgress>>,
    ) {
        self.calls.retain(|_, w| !w.sender.is_closed());
        if self.calls.is_empty() {
            return;
        }
        let ids: Vec<String> = self.calls.keys().cloned().collect();
        let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
        let read = read(now, &asked);
        for (id, progress) in ids.into_iter().zip(read) {
            let Some(w) = self.calls.get_mut(&id) else {
                continue;
            };
            match progress {
                Some(p) => {
                    w.seen = true;
                    w.sender.send_if_modified(|old| {
                        let changed = *old != Some(p);
                        *old = Some(p);
                        changed
                    });
                }
                None if w.seen => {
                    w.sender.send_replace(None);
                    self.calls.remove(&id);
                }
                // Not in the core yet (its INVITE is on the way), or refused: the task ends
                // then and its channel closes.
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn changes_are_pushed_once_and_the_forgotten_call_is_told() {
        let mut w = ProgressWatchers::default();
        let mut rx = w.watch("c1@web".into());
        let now = Instant::now();
        // Not in the core yet: nothing changes.
        w.publish(now, |_, ids| vec![None; ids.len()]);
        assert!(!rx.has_changed().expect("open"));
        let queued = WebProgress::Queued {
            position: 2,
            estimated_wait: Duration::from_secs(30),
        };
        w.publish(now, |_, ids| {
            assert_eq!(ids, ["c1@web"]);
            vec![Some(queued)]
        });
        assert!(rx.has_changed().expect("open"));
        assert_eq!(*rx.borrow_and_update(), Some(queued));
        // The same again: no wake-up.
        w.publish(now, |_, _| vec![Some(queued)]);
        assert!(!rx.has_changed().expect("open"));
        w.publish(now, |_, _| vec![Some(WebProgress::Ringing)]);
        assert_eq!(*rx.borrow_and_update(), Some(WebProgress::Ringing));
        // The core forgot it: the task hears `None`, the driver stops watching.
        w.publish(now, |_, _| vec![None]);
        assert_eq!(*rx.borrow_and_update(), None);
        assert!(w.is_empty());
    }

    #[test]
    fn a_call_whose_task_ended_is_dropped_without_reading_the_core() {
        let mut w = ProgressWatchers::default();
        drop(w.watch("gone@web".into()));
        w.publish(Instant::now(), |_, _| panic!("nothing to read"));
        assert!(w.is_empty());
    }
}
