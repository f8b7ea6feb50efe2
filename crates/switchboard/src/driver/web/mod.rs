//! The web gateway: a visitor's browser call, from the WebSocket to the switch core.
//!
//! Each call is one task ([`call`]) that owns everything of the call: the WebSocket, the
//! [`webcall::WebLeg`] (the browser's WebRTC audio as plain RTP on a local socket) and the
//! call's SIP dialog with the core, which it places as a caller on the internal transport
//! ([`sip_leg`]; the core's side is `switch::web_in`). The driver hands the core's messages
//! for a call to its task through [`WebPeers`]. When any of the three ends, the task ends the
//! others, waits for the leg to free its ports, and gives back its admission.
//!
//! The agent's browser phone ([`phone`]) uses the same pieces the other way round: its task
//! registers the agent page as the agent's extension on the internal transport and answers
//! the calls the core offers it ([`phone_sip`]).

pub mod call;
pub mod phone;
pub mod phone_sip;
pub mod progress;
pub mod sip_leg;

use crate::config::web::WebSettings;
use crate::driver::sip::{Control, Inbound};
use sip::Peer;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use webcall::admission::{Admission, Refusal};

/// The calls' ends of the internal transport, by the address the core knows each call by.
#[derive(Debug, Default)]
pub struct WebPeers {
    next: AtomicU64,
    calls: Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<rsip::SipMessage>>>,
}

/// A call's place among the peers; dropping it forgets the call.
pub struct PeerGuard {
    peers: Arc<WebPeers>,
    pub peer: Peer,
}

impl Drop for PeerGuard {
    fn drop(&mut self) {
        if let Ok(mut calls) = self.peers.calls.lock() {
            calls.remove(&self.peer.addr);
        }
    }
}

impl WebPeers {
    /// A new call's peer and the channel of the core's messages to it.
    pub fn open(self: &Arc<Self>) -> (PeerGuard, mpsc::UnboundedReceiver<rsip::SipMessage>) {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        // The address only names the call (never a socket): 2^48 calls before it repeats.
        let ip = Ipv4Addr::from(((n >> 16) & 0xffff_ffff) as u32);
        let addr = SocketAddr::new(IpAddr::V4(ip), (n & 0xffff) as u16);
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut calls) = self.calls.lock() {
            calls.insert(addr, tx);
        }
        let guard = PeerGuard {
            peers: self.clone(),
            peer: Peer::internal(addr),
        };
        (guard, rx)
    }

    /// The core sent `bytes` to the call at `to` (dropped if the call is gone).
    pub fn deliver(&self, to: SocketAddr, bytes: &[u8]) {
        let msg = match sip::parse::parse(bytes) {
            Ok(msg) => msg,
            Err(error) => {
                tracing::warn!(%to, %error, "the core sent a web call a message that does not parse");
                return;
            }
        };
        let sender = self.calls.lock().ok().and_then(|c| c.get(&to).cloned());
        if let Some(sender) = sender {
            let _ = sender.send(msg);
        }
    }

    /// Calls whose task still runs (the status shows it: tests check it returns to 0).
    pub fn open_calls(&self) -> usize {
        self.calls.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// What the HTTP side and the call tasks share.
pub struct WebGateway {
    pub settings: WebSettings,
    pub domain: String,
    pub peers: Arc<WebPeers>,
    inbound: mpsc::Sender<Inbound>,
    control: mpsc::Sender<Control>,
    crm: crm::Crm,
    admission: Mutex<Admission>,
}

/// A call's admission; dropping it gives it back.
pub struct Ticket {
    gateway: Arc<WebGateway>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut a) = self.gateway.admission.lock() {
            a.release();
        }
    }
}

impl WebGateway {
    pub fn new(
        settings: WebSettings,
        domain: String,
        peers: Arc<WebPeers>,
        inbound: mpsc::Sender<Inbound>,
        control: mpsc::Sender<Control>,
        crm: crm::Crm,
    ) -> Self {
        let admission = Admission::new(settings.max_calls, settings.calls_per_minute_per_address);
        WebGateway {
            settings,
            domain,
            peers,
            inbound,
            control,
            crm,
            admission: Mutex::new(admission),
        }
    }

    /// Counts a call from `ip`, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, Refusal> {
        let mut a = self
            .admission
            .lock()
            .map_err(|_| Refusal::Full(self.settings.max_calls))?;
        a.admit(std::time::Instant::now(), ip)?;
        Ok(Ticket {
            gateway: self.clone(),
        })
    }

    /// Hands a message of a call to the core, as if it arrived on a socket.
    async fn to_core(&self, from: Peer, bytes: &[u8]) -> bool {
        self.inbound
            .send(crate::driver::sip::parsed(from, bytes))
            .await
            .is_ok()
    }

    /// What the visitor should see now; `None` once the core forgot the call.
    async fn progress(&self, sip_call_id: &str) -> Option<switch::WebProgress> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.control
            .send(Control::WebProgress {
                sip_call_id: sip_call_id.to_string(),
                reply,
            })
            .await
            .ok()?;
        rx.await.ok().flatten()
    }

    /// A channel the core's changes of the call's progress are pushed on (`progress.rs`).
    async fn watch_progress(&self, sip_call_id: &str) -> Option<progress::ProgressWatch> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.control
            .send(Control::WatchWebProgress {
                sip_call_id: sip_call_id.to_string(),
                reply,
            })
            .await
            .ok()?;
        rx.await.ok()
    }

    /// The extension agent `agent` answers at (its configured one).
    async fn agent_extension(&self, agent: &str) -> Option<String> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        self.control
            .send(Control::AgentSetup {
                id: agent.to_string(),
                reply,
            })
            .await
            .ok()?;
        rx.await.ok().flatten()?.extension
    }

    /// The number and name the CRM knows a verified customer id by.
    async fn customer(&self, id: &str) -> Option<(String, String)> {
        let id: i64 = id.trim().parse().ok()?;
        match self.crm.customer(id).await {
            Ok(Some(c)) => Some((c.phones.first()?.number.clone(), c.name)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "customer lookup for a web call failed");
                None
            }
        }
    }
}
