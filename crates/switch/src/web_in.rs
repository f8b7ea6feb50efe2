//! Calls from web pages. The web gateway (the binary's `driver/web`) answers a visitor's
//! browser itself (WebRTC, the `webcall` crate) and brings the call in as a SIP caller whose
//! media is the gateway's plain RTP socket: an INVITE on the internal transport
//! ([`sip::Transport::Internal`]), which no network peer can use, so it needs no credentials.
//! From here on the call is a customer's like any other: its entry's dialplan route or queue
//! runs it, it is recorded, and its CDR and contact row say channel web.
//!
//! [`WebInvite`] is the one place that writes and reads what such an INVITE carries (the
//! entry, the target, the visitor); [`Switch::web_progress`] tells the gateway what to show
//! the visitor (in the IVR, queued with position and estimated wait, ringing, connected), and
//! [`Switch::web_progress_of`] the same for many calls at once (the driver pushes changes).

use super::call::Route;
use super::{CallId, Switch};
use rsip::headers::UntypedHeader;
use rsip::{Header, Request};
use sip::transaction::ServerTxId;
use sip::Peer;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const ENTRY: &str = "X-Web-Entry";
const QUEUE: &str = "X-Web-Queue";
const CUSTOMER: &str = "X-Web-Customer";
const VERIFIED: &str = "X-Web-Verified";
const PAGE: &str = "X-Web-Page";

/// Where a web call goes: its entry's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebTarget {
    /// A number a dialplan route takes.
    Route(String),
    /// A queue by name.
    Queue(String),
}

/// A web call as the gateway places it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebInvite {
    /// The `[[web.entries]]` name.
    pub entry: String,
    pub target: WebTarget,
    /// The caller as the CRM knows callers: a verified customer's number, else `web`.
    pub caller: String,
    /// What the agent's phone and the CDR show.
    pub caller_name: String,
    /// The customer id the page gave, and whether the site's signature vouched for it.
    pub customer_id: Option<String>,
    pub verified: bool,
    pub page_url: Option<String>,
}

/// Drops what would break a header line (a page's text goes into them).
fn header_safe(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(512)
        .collect::<String>()
        .trim()
        .to_string()
}

/// A SIP user part: what is not a letter, digit or `-_.!~*'()+` is dropped.
fn user_safe(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.!~*'()+".contains(*c))
        .take(64)
        .collect()
}

impl WebInvite {
    /// The INVITE's bytes: `call_id` and `tag` identify the dialog, `domain` is the switch's,
    /// `sdp` offers the gateway's plain RTP socket.
    pub fn to_bytes(&self, call_id: &str, tag: &str, domain: &str, sdp: &str) -> Vec<u8> {
        let user = match &self.target {
            WebTarget::Route(n) | WebTarget::Queue(n) => user_safe(n),
        };
        let caller = user_safe(&self.caller);
        let name = header_safe(&self.caller_name).replace(['"', '\\'], "");
        let mut text = format!(
            "INVITE sip:{user}@{domain} SIP/2.0\r\n\
             Via: SIP/2.0/TCP web.invalid;branch=z9hG4bK{tag}\r\n\
             Max-Forwards: 70\r\n\
             From: \"{name}\" <sip:{caller}@web.invalid>;tag={tag}\r\n\
             To: <sip:{user}@{domain}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: 1 INVITE\r\n\
             Contact: <sip:{caller}@web.invalid>\r\n\
             {ENTRY}: {}\r\n",
            user_safe(&self.entry)
        );
        if let WebTarget::Queue(q) = &self.target {
            text.push_str(&format!("{QUEUE}: {}\r\n", user_safe(q)));
        }
        if let Some(id) = &self.customer_id {
            text.push_str(&format!("{CUSTOMER}: {}\r\n", header_safe(id)));
            let yes = if self.verified { "yes" } else { "no" };
            text.push_str(&format!("{VERIFIED}: {yes}\r\n"));
        }
        if let Some(url) = &self.page_url {
            text.push_str(&format!("{PAGE}: {}\r\n", header_safe(url)));
        }
        text.push_str(&format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            sdp.len()
        ));
        text.into_bytes()
    }

    /// What a gateway's INVITE carries; `None` when it names no entry.
    pub fn read(req: &Request) -> Option<WebInvite> {
        let header = |name: &str| {
            req.headers.iter().find_map(|h| match h {
                Header::Other(n, v) if n.eq_ignore_ascii_case(name) => Some(v.trim().to_string()),
                _ => None,
            })
        };
        let entry = header(ENTRY)?;
        let target = match header(QUEUE) {
            Some(q) => WebTarget::Queue(q),
            None => WebTarget::Route(super::sip_fields::request_user(req)?),
        };
        let from = req.headers.iter().find_map(|h| match h {
            Header::From(f) => Some(f.value().to_string()),
            _ => None,
        });
        let caller = from
            .as_deref()
            .and_then(|f| f.split("<sip:").nth(1))
            .and_then(|f| f.split('@').next())
            .unwrap_or("web")
            .to_string();
        Some(WebInvite {
            entry,
            target,
            caller,
            caller_name: super::sip_fields::from_display_name(req).unwrap_or_default(),
            customer_id: header(CUSTOMER),
            verified: header(VERIFIED).as_deref() == Some("yes"),
            page_url: header(PAGE),
        })
    }
}

/// What a web call's visitor should see now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebProgress {
    /// The call runs its dialplan (prompts, menus).
    Ivr,
    /// Waiting in a queue at `position` (1-based).
    Queued {
        position: usize,
        estimated_wait: Duration,
    },
    /// An agent (or a number the plan dialled) rings.
    Ringing,
    /// Someone answered.
    Connected,
}

impl Switch {
    /// The dialplan session for a call from `caller` to `dialled`, if a route takes it.
    pub(super) fn plan_session(
        &self,
        now: Instant,
        caller: &str,
        caller_name: &str,
        dialled: &str,
    ) -> Option<ivr::Session> {
        let plans = self.dialplans.as_ref()?;
        let info = ivr::CallInfo {
            caller: caller.to_string(),
            caller_name: caller_name.to_string(),
            dialled: dialled.to_string(),
        };
        ivr::Session::start(plans, now, self.wall(now), info).ok()
    }

    /// A new INVITE from the web gateway (internal transport: see the module documentation).
    pub(super) fn on_web_invite(&mut self, now: Instant, tx: ServerTxId, from: Peer, req: Request) {
        let Some(web) = WebInvite::read(&req) else {
            self.reply(now, tx, &req, 400, "No Web Entry");
            return;
        };
        let (callee, route) = match &web.target {
            WebTarget::Queue(q) if self.acd.queues.contains_key(q) => {
                (q.clone(), Route::QueueNumber(q.clone()))
            }
            WebTarget::Queue(q) => {
                tracing::warn!(entry = %web.entry, queue = %q, "web entry's queue does not exist: 404");
                self.reply(now, tx, &req, 404, "Not Found (No Queue)");
                return;
            }
            WebTarget::Route(number) => {
                let session = self.plan_session(now, &web.caller, &web.caller_name, number);
                let Some(session) = session else {
                    tracing::warn!(entry = %web.entry, route = %number, "web entry's route matches no dialplan: 404");
                    self.reply(now, tx, &req, 404, "Not Found (No Route)");
                    return;
                };
                (number.clone(), Route::Dialplan(Box::new(session)))
            }
        };
        let sip_call_id = super::sip_fields::call_id(&req).unwrap_or_default();
        let Some(id) = self.admit(now, tx, from, req, (web.caller.clone(), callee), route) else {
            return;
        };
        self.web_calls.insert(sip_call_id, id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // Kept with the CDR and shown with the screen pop: the agent sees where the visitor
        // came from and whether the site vouched for the customer id.
        call.vars.insert("web.entry".into(), web.entry.clone());
        if let Some(customer) = &web.customer_id {
            call.vars.insert("web.customer_id".into(), customer.clone());
            call.vars
                .insert("web.verified".into(), web.verified.to_string());
        }
        if let Some(url) = &web.page_url {
            call.vars.insert("web.page_url".into(), url.clone());
        }
        tracing::info!(call = id, entry = %web.entry, caller = %web.caller, "web call");
    }

    /// The progress of the web call whose SIP Call-ID is `sip_call_id`, from the ACD's view
    /// (the one the wallboard shows); `None` once the call is gone.
    pub fn web_progress(&self, now: Instant, sip_call_id: &str) -> Option<WebProgress> {
        let id: CallId = *self.web_calls.get(sip_call_id)?;
        self.progress_of(now, id, &mut HashMap::new())
    }

    /// [`Switch::web_progress`] of each of `sip_call_ids`, reading each queue's waiting list
    /// once: the driver asks it after every step of the core to push changes to the visitors.
    pub fn web_progress_of(&self, now: Instant, sip_call_ids: &[&str]) -> Vec<Option<WebProgress>> {
        let mut queues = HashMap::new();
        sip_call_ids
            .iter()
            .map(|c| {
                let id = *self.web_calls.get(*c)?;
                self.progress_of(now, id, &mut queues)
            })
            .collect()
    }

    /// Call `id`'s progress; `queues` keeps the waiting lists read so far.
    fn progress_of(
        &self,
        now: Instant,
        id: CallId,
        queues: &mut HashMap<String, Vec<acd::WaitingStatus>>,
    ) -> Option<WebProgress> {
        let call = self.calls.get(&id)?;
        if call.answered_branch.is_some() {
            return Some(WebProgress::Connected);
        }
        if let Some(q) = &call.queue {
            if q.agent.is_some() {
                return Some(WebProgress::Connected);
            }
            let waiting = queues
                .entry(q.queue.clone())
                .or_insert_with(|| self.acd.core.waiting(&q.queue, now));
            let me = waiting.iter().find(|w| w.call == q.key)?;
            if !me.ringing.is_empty() {
                return Some(WebProgress::Ringing);
            }
            let estimated_wait = self
                .acd
                .core
                .estimated_wait(&q.queue, me.position)
                .unwrap_or_default();
            return Some(WebProgress::Queued {
                position: me.position,
                estimated_wait,
            });
        }
        if matches!(call.phase, super::call::Phase::Ringing { .. }) {
            return Some(WebProgress::Ringing);
        }
        Some(WebProgress::Ivr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_reads_back_what_the_gateway_wrote() {
        let web = WebInvite {
            entry: "loans".into(),
            target: WebTarget::Queue("loans".into()),
            caller: "+821012345678".into(),
            caller_name: "Kim \"VIP\"\r\nX-Evil: 1".into(),
            customer_id: Some("C-1001\r\nVia: x".into()),
            verified: true,
            page_url: Some("https://bank.example/loans?a=1".into()),
        };
        let bytes = web.to_bytes("abc@web", "t1", "switchboard.local", "v=0\r\n");
        let rsip::SipMessage::Request(req) = sip::parse::parse(&bytes).expect("parses") else {
            panic!("a request");
        };
        let back = WebInvite::read(&req).expect("an entry");
        assert_eq!(back.entry, "loans");
        assert_eq!(back.target, WebTarget::Queue("loans".into()));
        assert_eq!(back.caller, "+821012345678");
        assert_eq!(
            back.caller_name, "Kim VIPX-Evil: 1",
            "no quotes, no line breaks"
        );
        assert_eq!(back.customer_id.as_deref(), Some("C-1001Via: x"));
        assert!(back.verified);
        assert_eq!(
            back.page_url.as_deref(),
            Some("https://bank.example/loans?a=1")
        );
        assert_eq!(req.body, b"v=0\r\n");

        let route = WebInvite {
            target: WebTarget::Route("1588".into()),
            caller: "web".into(),
            customer_id: None,
            verified: false,
            page_url: None,
            ..web
        };
        let bytes = route.to_bytes("x", "t", "d", "");
        let rsip::SipMessage::Request(req) = sip::parse::parse(&bytes).expect("parses") else {
            panic!("a request");
        };
        let back = WebInvite::read(&req).expect("an entry");
        assert_eq!(back.target, WebTarget::Route("1588".into()));
        assert_eq!((back.customer_id, back.verified), (None, false));
    }
}
