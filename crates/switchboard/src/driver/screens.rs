//! Screen pops: when a call is offered to an agent, the agent's screen gets the caller's
//! customer record (grade, segment, language, notes), the IVR variables (language, menu choices,
//! digits, lookup results) and the last contacts on every channel, pushed over server-sent events
//! (`GET /api/agents/{id}/screen`) and kept as the agent's latest pop for a page that loads later.

use crate::switch::ScreenPop;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// How many earlier contacts a pop shows.
pub const HISTORY: u32 = 5;

/// The pops of every agent: a live channel and the latest per agent; and the wrap-up codes
/// agents choose from after a call.
pub struct Screens {
    tx: broadcast::Sender<(String, Arc<str>)>,
    last: Mutex<HashMap<String, Arc<str>>>,
    pub wrap_up_codes: Vec<String>,
    /// Pause reasons agents choose from (`[acd] pause_reasons`).
    pub pause_reasons: Vec<String>,
}

#[derive(Serialize)]
struct Pop<'a> {
    #[serde(flatten)]
    offer: &'a ScreenPop,
    customer: Option<crm::Customer>,
    history: Vec<crm::Contact>,
}

impl Screens {
    pub fn new(wrap_up_codes: Vec<String>, pause_reasons: Vec<String>) -> Arc<Screens> {
        let (tx, _) = broadcast::channel(256);
        Arc::new(Screens {
            tx,
            last: Mutex::new(HashMap::new()),
            wrap_up_codes,
            pause_reasons,
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<(String, Arc<str>)> {
        self.tx.subscribe()
    }

    /// The agent's latest pop, as JSON.
    pub fn last(&self, agent: &str) -> Option<Arc<str>> {
        self.last.lock().ok()?.get(agent).cloned()
    }

    /// Look the caller up and push the pop to the agent.
    pub async fn pop(&self, crm: &crm::Crm, offer: ScreenPop) {
        let customer = match crm.customer_by_number(&offer.caller).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(caller = %offer.caller, error = %e, "screen pop: lookup failed");
                None
            }
        };
        let history = match &customer {
            Some(c) => crm.contacts_of_customer(c.id, HISTORY).await,
            None => crm.contacts_of_number(&offer.caller, HISTORY).await,
        }
        .unwrap_or_else(|e| {
            tracing::warn!(caller = %offer.caller, error = %e, "screen pop: history failed");
            Vec::new()
        });
        let pop = Pop {
            offer: &offer,
            customer,
            history,
        };
        let json: Arc<str> = match serde_json::to_string(&pop) {
            Ok(j) => j.into(),
            Err(e) => {
                tracing::error!(error = %e, "screen pop not serializable");
                return;
            }
        };
        if let Ok(mut last) = self.last.lock() {
            last.insert(offer.agent.clone(), json.clone());
        }
        let _ = self.tx.send((offer.agent.clone(), json));
    }
}
