//! A call through the B2BUA: the caller's leg (A), the callee's forked branches (B), and the
//! facts the CDR needs.
//!
//! Which states go together is in the types, not in comments: a call's [`Phase`] (what only
//! matters while ringing lives in `Phase::Ringing`), its [`Route`] (what runs it: an
//! extension's ringing, a feature code, a queue's number or a dialplan session, never two at
//! once), its [`CallerMedia`] (the switch's own SDP and codec, or the callee's relayed), and a
//! leg per concern: `QueueLeg` while the ACD has the call, `CallbackLeg` for a callback the
//! switch placed. A plan's call may be queued, and a callback's customer may be dialled
//! through a plan: those are the combinations the options allow.

use super::dialog::{set_body, Dialog, Me};
use super::feature::FeatureCode;
use media::g711::Codec;
use media::sdp::SessionDescription;
use rsip::Request;
use sip::transaction::{ClientTxId, ServerTxId};
use std::net::IpAddr;
use std::time::Instant;

/// Our handle for a call (never reused within a run).
pub type CallId = u64;

/// Which leg of a call: A faces the caller, B the callee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    A,
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// Where a call is in its life. What only matters in one phase lives in it: the ring
/// deadline and the most telling failure exist only while ringing. What runs the call is its
/// [`Route`], what the caller's media is set up against its [`CallerMedia`], and its place in
/// a queue its `QueueLeg`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the relay to give us ports.
    AwaitingMedia,
    /// The switch itself holds the caller (a plan's prompts and menus, a queue's music, a
    /// feature code's tone); no INVITE is out to a callee.
    Held,
    /// INVITEs are out to the callee's contacts (or to agents offered a queued call).
    Ringing {
        /// When the caller stops waiting (None: the ACD times its offers, or a callback's
        /// agent leg rings).
        deadline: Option<Instant>,
        /// The most telling failure of a branch so far, ranked (486 beats 480...).
        best_failure: Option<u16>,
    },
    /// A branch answered; both legs are confirmed dialogs.
    Answered,
    /// Final: no new requests are accepted; we wait for outstanding transactions.
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchState {
    Trying,
    Early,
    Answered,
    /// Failed with this status (408 for a transaction timeout).
    Failed(u16),
    /// We sent CANCEL (or BYE for a late 2xx).
    Cancelled,
}

/// One INVITE sent to one registered contact of the callee.
#[derive(Debug)]
pub struct Branch {
    pub tx: ClientTxId,
    pub dialog: Dialog,
    pub invite_cseq: u32,
    pub state: BranchState,
    pub started: Instant,
    pub answered: Option<Instant>,
    pub ended: Option<Instant>,
    pub final_status: Option<u16>,
    /// A late-offer call: B's 2xx carried the offer, so its ACK waits for A's ACK (the answer).
    pub ack_deferred: bool,
    /// A client transaction of this branch's INVITE still expects a final response.
    pub invite_pending: bool,
    /// The extension this branch rings.
    pub extension: String,
    /// The ACD agent this branch offers a queued call to.
    pub agent: Option<String>,
}

impl Branch {
    /// A branch whose INVITE (`tx`, the dialog's last CSeq) just went out to `extension`.
    pub fn trying(tx: ClientTxId, dialog: Dialog, now: Instant, extension: String) -> Self {
        Branch {
            tx,
            invite_cseq: dialog.local_cseq,
            dialog,
            state: BranchState::Trying,
            started: now,
            answered: None,
            ended: None,
            final_status: None,
            ack_deferred: false,
            invite_pending: true,
            extension,
            agent: None,
        }
    }
}

/// The caller's leg (the first leg: for a callback the switch places, the agent's).
#[derive(Debug)]
pub struct CallerLeg {
    /// The caller's INVITE server transaction; None for a leg the switch originated (a
    /// callback's agent leg), which has nobody to answer.
    pub invite_tx: Option<ServerTxId>,
    /// The INVITE that opened the leg (received, or sent for an originated leg).
    pub invite: Request,
    pub dialog: Dialog,
    /// Our To-tag on this leg.
    pub local_tag: String,
    pub final_sent: bool,
    /// The switch hung this leg up and the call goes on without it: the agent who placed a
    /// click-to-dial call and handed the customer on after a consultation (`consult.rs`).
    pub gone: bool,
}

/// An in-dialog request we forwarded to the other leg, waiting for its final response.
#[derive(Debug)]
pub struct Forwarded {
    pub origin: ServerTxId,
    pub from: Side,
    pub method: rsip::Method,
    pub request: Request,
}

/// Our ACK for the other leg's 2xx to a forwarded re-INVITE that had no offer: that 2xx carried
/// the offer, so the ACK waits for the originator's ACK, which carries the answer.
#[derive(Debug)]
pub struct DeferredAck {
    pub call: CallId,
    pub ctx: ClientTxId,
    /// The leg the ACK goes to.
    pub to: Side,
    pub seq: u32,
}

/// What runs a call. Chosen from the dialled number when the call arrives, and changed only
/// when a dialplan takes over: a queued caller sent on to a route (`queue_exit.rs`), or a
/// callback's customer number that is a route (`callback.rs`). Each variant is one legal
/// combination: a feature code never runs a plan, and a plan's call has no direct target.
#[derive(Debug)]
pub enum Route {
    /// An extension dialled with no dialplan loaded (or a callback's customer, rung as an
    /// extension): the callee's contacts ring and their failures end the call.
    Extension,
    /// A feature code, answered by the switch itself: never recorded, hung up once its tone
    /// has played.
    Feature(FeatureCode),
    /// A queue's own number: the caller goes to the ACD once media is ready.
    QueueNumber(String),
    /// A dialplan session runs the call; dial results go back to it.
    Dialplan(Box<ivr::Session>),
    /// `*91<agent>` from another extension than the agent's: the switch answered and waits
    /// for the agent's PIN (`switch/feature.rs`).
    AgentPin(super::feature::PinEntry),
    /// `*96<agent>` accepted: a supervisor on this agent's call (`switch/monitor.rs`). The
    /// call has no relay session of its own; its media is a listener on the agent's call.
    Monitor(String),
    /// A consultation's third party, rung for this agent (`switch/consult.rs`); like a
    /// monitoring call, its media is a listener on the agent's call.
    Consult(String),
}

impl Route {
    /// The dialplan session running the call, if any.
    pub fn plan(&self) -> Option<&ivr::Session> {
        match self {
            Route::Dialplan(s) => Some(s),
            _ => None,
        }
    }

    pub fn plan_mut(&mut self) -> Option<&mut ivr::Session> {
        match self {
            Route::Dialplan(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_feature(&self) -> bool {
        matches!(self, Route::Feature(_))
    }
}

/// What the caller's (leg A's) RTP is set up against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerMedia {
    /// Nothing of the switch's own: the callee's SDP is relayed to the caller (B2BUA).
    Relayed,
    /// The switch gave the caller SDP of its own (answering for a plan, a queue or a feature
    /// code; early media; a callback's agent leg). A callee dialled later is offered exactly
    /// this SDP, so the caller's codec needs no change when the two are bridged; prompts are
    /// played in `codec`.
    Switch { sdp: Vec<u8>, codec: Codec },
}

impl CallerMedia {
    /// The SDP the switch gave the caller, if it did.
    pub fn sdp(&self) -> Option<&Vec<u8>> {
        match self {
            CallerMedia::Switch { sdp, .. } => Some(sdp),
            CallerMedia::Relayed => None,
        }
    }

    pub fn is_switch(&self) -> bool {
        matches!(self, CallerMedia::Switch { .. })
    }

    /// The codec prompts are played in (G.711 µ-law until the switch agreed on one).
    pub fn codec(&self) -> Codec {
        match self {
            CallerMedia::Switch { codec, .. } => *codec,
            CallerMedia::Relayed => Codec::Pcmu,
        }
    }
}

#[derive(Debug)]
pub struct Party {
    pub number: String,
    pub name: Option<String>,
}

#[derive(Debug)]
pub struct Call {
    /// The CDR's id (a UUID: SIP Call-IDs are chosen by phones and may collide).
    pub cdr_id: String,
    pub phase: Phase,
    pub caller: Party,
    pub callee: Party,
    pub a: CallerLeg,
    pub branches: Vec<Branch>,
    pub answered_branch: Option<usize>,
    pub started: Instant,
    pub answered: Option<Instant>,
    /// The caller's offer (None: late offer, the callee will offer in its 2xx).
    pub a_sdp: Option<SessionDescription>,
    pub relay: Option<RelayPorts>,
    /// Client transactions (branch INVITEs, BYEs, forwarded requests) still open.
    pub open_client_txs: usize,
    /// A re-INVITE in progress (for 491 on glare).
    pub reinvite_pending: bool,
    /// What runs the call: an extension's ringing, a feature code, a queue's number or a plan.
    pub route: Route,
    /// What the caller's media is set up against: the callee's, relayed, or the switch's own.
    pub caller_media: CallerMedia,
    /// What the caller hears while the plan rings someone (a `moh` step), else ringback.
    pub moh: Option<ivr::Prompt>,
    /// The last digit taken, when, and whether it came by SIP INFO (for deduplication).
    pub last_dtmf: Option<(char, std::time::Instant, bool)>,
    /// Variables the plan set (menu choices, customer grade...), kept with the CDR.
    pub vars: std::collections::BTreeMap<String, String>,
    /// The call's place in the ACD while it waits in a queue or talks to an agent.
    pub queue: Option<super::queue_leg::QueueLeg>,
    /// A callback the switch placed for the ACD: the agent's leg first, then the customer.
    pub callback: Option<super::callback::CallbackLeg>,
    /// A recording was started (it runs until the media is released).
    pub recording: bool,
    /// What offers passed between the legs may carry (`record.rs`, resolved at the INVITE).
    pub offers: super::record::OfferPolicy,
    /// The trunk that delivered the call; it holds one of the trunk's channels until the call
    /// ends (`trunk_in.rs`).
    pub trunk_in: Option<String>,
    /// A dial over trunks: the carriers to try in order and the one being tried
    /// (`trunk_out.rs`).
    pub trunk_out: Option<Box<super::trunk_out::TrunkDial>>,
    /// A phone's call or a web page's (`web_in.rs`): web calls are always customers'.
    pub channel: crate::records::Channel,
}

/// The relay ports of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayPorts {
    pub ip: IpAddr,
    pub a_port: u16,
    pub b_port: u16,
}

impl RelayPorts {
    pub fn port(&self, side: Side) -> u16 {
        match side {
            Side::A => self.a_port,
            Side::B => self.b_port,
        }
    }
}

impl Call {
    /// The caller's 2xx to its INVITE: our Contact, Allow and Server, and `sdp` as the body.
    pub fn caller_ok(&self, me: &Me, code: u16, sdp: Option<Vec<u8>>) -> rsip::Response {
        let mut ok =
            sip::message::make_response(&self.a.invite, code, None, Some(&self.a.local_tag));
        ok.headers
            .push(me.contact(&self.callee.number, self.a.dialog.peer));
        ok.headers
            .push(rsip::Header::Allow(super::dialog::ALLOW.into()));
        ok.headers.push(me.server());
        set_body(
            &mut ok.headers,
            &mut ok.body,
            sdp.map(|b| ("application/sdp", b)),
        );
        ok
    }

    pub fn answered_dialog_mut(&mut self, side: Side) -> Option<&mut Dialog> {
        match side {
            Side::A => (!self.a.gone).then_some(&mut self.a.dialog),
            Side::B => {
                let i = self.answered_branch?;
                self.branches.get_mut(i).map(|b| &mut b.dialog)
            }
        }
    }

    /// Some branch is still ringing (not answered, failed or cancelled).
    pub fn branches_ringing(&self) -> bool {
        self.branches
            .iter()
            .any(|b| matches!(b.state, BranchState::Trying | BranchState::Early))
    }

    pub fn all_branches_done(&self) -> bool {
        self.branches
            .iter()
            .all(|b| matches!(b.state, BranchState::Failed(_) | BranchState::Cancelled))
    }
}

/// Rank failure statuses so the caller hears the most telling one (RFC 3261 §16.7 spirit):
/// busy and decline win over unavailable, which wins over errors.
pub fn failure_rank(code: u16) -> u8 {
    match code {
        486 | 600 => 6,
        603 => 5,
        404 | 604 => 1,
        480 | 408 | 487 => 3,
        400..=499 => 2,
        _ => 0,
    }
}
