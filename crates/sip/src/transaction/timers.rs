//! Timer names and durations (RFC 3261 §17 table 4, RFC 6026 L and M) and the deadline queue
//! shared by all transactions.
//!
//! The queue is a min-heap with lazy deletion: cancelling a timer only forgets its generation in
//! the transaction's [`TimerSlots`]; the stale heap entry is dropped when it reaches the top.
//! Re-arming is a push, cancelling is free, and no per-transaction heap search is needed.

use super::{ClientTxId, ServerTxId};
use crate::Transport;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Protocol constants. Defaults are RFC 3261's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate (500 ms).
    pub t1: Duration,
    /// Longest retransmit interval for non-INVITE requests and INVITE responses (4 s).
    pub t2: Duration,
    /// Longest time a message stays in the network (5 s).
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// B, F, H, J (UDP), L, M.
    pub(crate) fn t1x64(&self) -> Duration {
        self.t1 * 64
    }

    /// Timer D: "at least 32 s" on unreliable transports, zero on reliable ones.
    pub(crate) fn timer_d(&self, transport: Transport) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            self.t1x64().max(Duration::from_secs(32))
        }
    }

    /// Timers I and K: T4 on unreliable transports, zero on reliable ones.
    pub(crate) fn t4_unless_reliable(&self, transport: Transport) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            self.t4
        }
    }

    /// Timer J: 64*T1 on unreliable transports, zero on reliable ones.
    pub(crate) fn timer_j(&self, transport: Transport) -> Duration {
        if transport.is_reliable() {
            Duration::ZERO
        } else {
            self.t1x64()
        }
    }
}

/// Which RFC 3261 / RFC 6026 timer fired. Timer C (proxy only) is not implemented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// INVITE client: retransmit the request (unreliable transports).
    A,
    /// INVITE client: no final response in time.
    B,
    /// INVITE client, Completed: wait for retransmitted non-2xx finals.
    D,
    /// Non-INVITE client: retransmit the request (unreliable transports).
    E,
    /// Non-INVITE client: no final response in time.
    F,
    /// INVITE server: retransmit the final response (non-2xx in Completed, 2xx in Accepted).
    G,
    /// INVITE server, Completed: give up waiting for the ACK.
    H,
    /// INVITE server, Confirmed: absorb ACK retransmissions.
    I,
    /// Non-INVITE server, Completed: absorb request retransmissions.
    J,
    /// Non-INVITE client, Completed: absorb response retransmissions.
    K,
    /// INVITE server, Accepted (RFC 6026): absorb INVITE retransmissions; no ACK means failure.
    L,
    /// INVITE client, Accepted (RFC 6026): absorb 2xx retransmissions.
    M,
}

impl Timer {
    const COUNT: usize = 12;

    fn index(self) -> usize {
        self as usize
    }
}

/// Which transaction a queued deadline belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TxRef {
    Client(ClientTxId),
    Server(ServerTxId),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub at: Instant,
    pub gen: u64,
    pub tx: TxRef,
    pub timer: Timer,
}

// Generations are unique, so (at, gen) is a total order consistent with equality.
impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.gen == other.gen
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.gen).cmp(&(other.at, other.gen))
    }
}

/// Every deadline of every transaction, earliest first.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    next_gen: u64,
}

impl TimerQueue {
    /// Queues a deadline and records its generation in `slots`, replacing any earlier arming of
    /// the same timer.
    pub(crate) fn arm(&mut self, slots: &mut TimerSlots, tx: TxRef, timer: Timer, at: Instant) {
        self.next_gen += 1;
        let gen = self.next_gen;
        *slots.slot(timer) = gen;
        self.heap.push(Reverse(Entry { at, gen, tx, timer }));
    }

    pub(crate) fn peek(&self) -> Option<&Entry> {
        self.heap.peek().map(|Reverse(e)| e)
    }

    pub(crate) fn pop(&mut self) -> Option<Entry> {
        self.heap.pop().map(|Reverse(e)| e)
    }

    /// Entries still queued, stale ones included (for leak tests).
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.heap.len()
    }
}

/// The generation each timer of one transaction was last armed with; 0 means not armed.
#[derive(Clone, Debug, Default)]
pub(crate) struct TimerSlots([u64; Timer::COUNT]);

impl TimerSlots {
    fn slot(&mut self, timer: Timer) -> &mut u64 {
        #[allow(clippy::indexing_slicing)] // every Timer's index() is below Timer::COUNT
        &mut self.0[timer.index()]
    }

    fn get(&self, timer: Timer) -> u64 {
        self.0.get(timer.index()).copied().unwrap_or(0)
    }

    pub(crate) fn cancel(&mut self, timer: Timer) {
        *self.slot(timer) = 0;
    }

    #[cfg(test)]
    pub(crate) fn is_armed(&self, timer: Timer) -> bool {
        self.get(timer) != 0
    }

    /// True if `entry` is the live arming of its timer. Consumes it, so a timer fires once.
    pub(crate) fn take_if_current(&mut self, timer: Timer, gen: u64) -> bool {
        let slot = self.slot(timer);
        if *slot == gen {
            *slot = 0;
            true
        } else {
            false
        }
    }

    /// True if `entry` is still the live arming (without consuming it).
    pub(crate) fn is_current(&self, timer: Timer, gen: u64) -> bool {
        self.get(timer) == gen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_orders_by_deadline_and_slots_invalidate_rearmed_timers() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        let mut slots = TimerSlots::default();
        let tx = TxRef::Client(ClientTxId(1));
        q.arm(&mut slots, tx, Timer::B, t0 + Duration::from_secs(32));
        q.arm(&mut slots, tx, Timer::A, t0 + Duration::from_millis(500));
        q.arm(&mut slots, tx, Timer::A, t0 + Duration::from_secs(1));
        let first = q.pop().unwrap();
        assert_eq!(first.timer, Timer::A);
        assert!(
            !slots.take_if_current(first.timer, first.gen),
            "re-armed: stale"
        );
        let second = q.pop().unwrap();
        assert_eq!(second.at, t0 + Duration::from_secs(1));
        assert!(slots.take_if_current(second.timer, second.gen));
        assert!(!slots.is_armed(Timer::A));
        assert!(slots.is_armed(Timer::B));
        slots.cancel(Timer::B);
        let third = q.pop().unwrap();
        assert!(!slots.is_current(third.timer, third.gen));
        assert_eq!(q.queued(), 0);
    }

    #[test]
    fn reliable_transports_zero_the_wait_timers() {
        let cfg = TimerConfig::default();
        assert_eq!(cfg.timer_d(Transport::Udp), Duration::from_secs(32));
        assert_eq!(cfg.timer_d(Transport::Tcp), Duration::ZERO);
        assert_eq!(cfg.timer_j(Transport::Udp), Duration::from_secs(32));
        assert_eq!(cfg.t4_unless_reliable(Transport::Tcp), Duration::ZERO);
    }
}
