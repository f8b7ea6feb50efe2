//! The RFC 3261 §17 transaction layer, sans-IO, with the RFC 6026 Accepted states.
//!
//! [`Transactions`] owns every client and server transaction of one endpoint. Drive it like
//! quinn-proto: hand in parsed messages and timeouts with `now`, then drain
//! [`poll_transmit`](Transactions::poll_transmit), [`poll_event`](Transactions::poll_event) and
//! sleep until [`poll_timeout`](Transactions::poll_timeout). Nothing here reads a clock or a socket.
//!
//! Files: `key.rs` (matching), `timers.rs` (timer names, durations, deadline queue),
//! `client.rs` / `server.rs` (the state machines), `build.rs` (messages the layer writes itself).
//!
//! Requests without the RFC 3261 magic cookie (RFC 2543 peers) are matched statefully on
//! Request-URI, From tag, Call-ID, CSeq number and top Via (§17.2.3); an ACK to a non-2xx must
//! also carry the To tag of our response.

mod build;
mod client;
mod key;
mod server;
mod timers;

#[cfg(test)]
mod tests;

pub use timers::{Timer, TimerConfig};

use crate::{Peer, Transmit};
use bytes::Bytes;
use client::ClientTx;
use key::{AckKey, ClientKey, ServerKey};
use server::ServerTx;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;
use timers::{TimerQueue, TimerSlots, TxRef};

/// Handle of a client transaction (a request we sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientTxId(u64);

/// Handle of a server transaction (a request we received).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerTxId(u64);

/// What the transaction user must know about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransactionEvent {
    /// A new request (not ACK, not CANCEL, not a retransmission): a server transaction now
    /// exists. For INVITE the layer has already sent `100 Trying`.
    Request {
        tx: ServerTxId,
        from: Peer,
        request: rsip::Request,
    },
    /// ACK for a 2xx we sent (matched by Call-ID, CSeq number and To tag: `tx` is Some; only
    /// the first copy is reported), or an ACK that matches nothing (`tx` None).
    Ack {
        tx: Option<ServerTxId>,
        from: Peer,
        request: rsip::Request,
    },
    /// A CANCEL matched INVITE server transaction `tx` before its final response; the layer
    /// already answered the CANCEL with 200. The TU should now send 487 on `tx`.
    Cancelled {
        tx: ServerTxId,
        request: rsip::Request,
    },
    /// A response on our client transaction: every provisional, the first copy of each final,
    /// and each 2xx with a new To tag (forking). Retransmissions are absorbed.
    Response {
        tx: ClientTxId,
        response: rsip::Response,
    },
    /// No final response in time (Timer B or F): treat as 408.
    Timeout { tx: ClientTxId, timer: Timer },
    /// A 2xx we sent was never ACKed within Timer L (64*T1): the TU should end the dialog.
    AckTimeout { tx: ServerTxId },
    /// A client transaction ended, for any reason. Every id returned by `send_request` or
    /// `cancel` ends with exactly one of these.
    Terminated { tx: ClientTxId },
}

/// Misuse of the API by the transaction user.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionError {
    #[error("no live client transaction {0:?}")]
    UnknownClient(ClientTxId),
    #[error("no live server transaction {0:?}")]
    UnknownServer(ServerTxId),
    #[error("the request has no top Via with a branch parameter")]
    MissingBranch,
    #[error("the message lacks a usable {0} header")]
    MissingHeader(&'static str),
    #[error("ACK is not a transaction: use ack_2xx for 2xx, the layer ACKs other finals")]
    AckIsNotATransaction,
    #[error("a client transaction with this branch and method already exists")]
    DuplicateBranch,
    #[error("{0:?} is not an INVITE client transaction")]
    NotInvite(ClientTxId),
    #[error("client transaction {0:?} is not in the Accepted state")]
    NotAccepted(ClientTxId),
    #[error("client transaction {0:?} already received a final response")]
    AlreadyFinal(ClientTxId),
    #[error("server transaction {0:?} already sent a final response")]
    FinalAlreadySent(ServerTxId),
    #[error("status code {0} is outside 100..=699")]
    InvalidStatus(u16),
}

/// Counters for metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Responses matching no client transaction (dropped).
    pub stray_responses: u64,
    /// Retransmitted requests and responses absorbed by an existing transaction.
    pub retransmissions_absorbed: u64,
    /// Messages lacking the headers needed to match them (dropped).
    pub unmatchable: u64,
}

/// Where state machines put their outputs; a separate struct so a transaction borrowed from its
/// map can write here without borrowing the whole [`Transactions`].
#[derive(Debug, Default)]
struct Outputs {
    transmits: VecDeque<Transmit>,
    events: VecDeque<TransactionEvent>,
    timers: TimerQueue,
    stats: Stats,
}

impl Outputs {
    fn send(&mut self, to: Peer, bytes: Bytes) {
        self.transmits.push_back(Transmit { to, bytes });
    }

    fn event(&mut self, event: TransactionEvent) {
        self.events.push_back(event);
    }

    fn arm(&mut self, slots: &mut TimerSlots, tx: TxRef, timer: Timer, at: Instant) {
        self.timers.arm(slots, tx, timer, at);
    }
}

/// Whether a transaction survives the step that was just applied to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Next {
    Keep,
    Terminate,
}

/// All transactions of one SIP endpoint.
#[derive(Debug)]
pub struct Transactions {
    cfg: TimerConfig,
    next_id: u64,
    clients: HashMap<ClientTxId, ClientTx>,
    client_keys: HashMap<ClientKey, ClientTxId>,
    servers: HashMap<ServerTxId, ServerTx>,
    server_keys: HashMap<ServerKey, ServerTxId>,
    accepted: HashMap<AckKey, ServerTxId>,
    out: Outputs,
}

impl Transactions {
    pub fn new(cfg: TimerConfig) -> Self {
        Transactions {
            cfg,
            next_id: 0,
            clients: HashMap::new(),
            client_keys: HashMap::new(),
            servers: HashMap::new(),
            server_keys: HashMap::new(),
            accepted: HashMap::new(),
            out: Outputs::default(),
        }
    }

    /// A parsed message arrived from `from`. Retransmitted requests are absorbed (the last
    /// response is resent); responses are matched to client transactions by top Via branch and
    /// CSeq method (§17.1.3); stray responses are dropped and counted.
    pub fn handle_message(&mut self, now: Instant, from: Peer, msg: rsip::SipMessage) {
        match msg {
            rsip::SipMessage::Request(request) => self.on_request(now, from, request),
            rsip::SipMessage::Response(response) => self.on_response(now, response),
        }
        self.drop_stale_timers();
    }

    /// Fires every timer due at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(entry) = self.out.timers.peek().copied() {
            if entry.at > now {
                break;
            }
            self.out.timers.pop();
            match entry.tx {
                TxRef::Client(id) => self.on_client_timer(now, id, entry.timer, entry.gen),
                TxRef::Server(id) => self.on_server_timer(now, id, entry.timer, entry.gen),
            }
        }
        self.drop_stale_timers();
    }

    /// The earliest deadline over all transactions.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.out.timers.peek().map(|e| e.at)
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.out.events.pop_front()
    }

    /// Number of live transactions (client and server).
    pub fn len(&self) -> usize {
        self.clients.len() + self.servers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> Stats {
        self.out.stats
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Pops cancelled or superseded deadlines off the top of the heap so `poll_timeout` is exact
    /// and the heap does not hold entries of dead transactions longer than their deadline.
    fn drop_stale_timers(&mut self) {
        while let Some(e) = self.out.timers.peek() {
            let live = match e.tx {
                TxRef::Client(id) => self
                    .clients
                    .get(&id)
                    .is_some_and(|t| t.timers.is_current(e.timer, e.gen)),
                TxRef::Server(id) => self
                    .servers
                    .get(&id)
                    .is_some_and(|t| t.timers.is_current(e.timer, e.gen)),
            };
            if live {
                break;
            }
            self.out.timers.pop();
        }
    }

    /// Whether client transaction `id` still holds its request (None: no such transaction).
    #[cfg(test)]
    fn client_holds_request(&self, id: ClientTxId) -> Option<bool> {
        self.clients.get(&id).map(ClientTx::holds_request)
    }

    /// Heap entries, stale ones included: lets leak tests check the timer structure too.
    #[cfg(test)]
    fn queued_timers(&self) -> usize {
        self.out.timers.queued()
    }
}
