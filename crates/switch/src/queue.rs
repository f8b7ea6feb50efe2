//! The ACD inside the switch core: a dialplan's `queue` step (or a queue's own number) puts the
//! answered caller on hold music and hands it to `acd::Acd`; the ACD's offers ring the agent's
//! extension as branches of the same call, an answer bridges caller and agent, and every hang-up
//! tells the ACD (abandon, or the end of a connected call). Queue and agent events go out as
//! `Action::Acd` for the CRM database and the live view.

use super::call::{BranchState, Phase};
use super::queue_leg::QueueLeg;
use super::{Action, CallId, CoreTimer, Switch};
use crate::records::{Disposition, HangupSide};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Queues and agents the switch runs, resolved from the configuration.
#[derive(Debug, Clone, Default)]
pub struct AcdSetup {
    pub queues: Vec<QueueSetup>,
    pub agents: Vec<AgentSetup>,
    /// Reasons an agent picks by number with the pause feature code (1-based).
    pub pause_reasons: Vec<String>,
}

/// One queue: the ACD's settings plus what only the switch uses.
#[derive(Debug, Clone)]
pub struct QueueSetup {
    pub cfg: acd::QueueConfig,
    /// Dialling this number enters the queue.
    pub number: Option<String>,
    /// What waiting callers hear (a prompt spec); default the plan's music on hold.
    pub moh: Option<String>,
    /// Prompt specs of the periodic announcement; `${position}` and `${wait_minutes}` are
    /// replaced, and `number:N:DIR` speaks N with the number files in DIR.
    pub announce: Vec<String>,
    /// What a waiting caller's keys do, and the message and callback prompts.
    pub exit: super::queue_exit::QueueExitSetup,
}

/// One agent: the ACD's settings plus identity.
#[derive(Debug, Clone)]
pub struct AgentSetup {
    pub cfg: acd::AgentConfig,
    pub name: Option<String>,
    /// Where `*91` without an agent number logs this agent in.
    pub extension: Option<String>,
    /// Digits that let `*91<agent>` log this agent in from another extension (None: only
    /// from `extension`).
    pub pin: Option<String>,
}

/// A queue or agent event from the ACD, stamped with wall time.
#[derive(Debug, Clone, PartialEq)]
pub struct AcdRecord {
    pub at: DateTime<Utc>,
    pub event: AcdEvent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcdEvent {
    Queue(acd::QueueEvent),
    Agent(acd::AgentEvent),
}

/// What an agent (or a supervisor for them) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentCommand {
    /// Log in at this extension (default: the agent's configured extension).
    Login {
        extension: Option<String>,
    },
    Logout,
    Pause {
        reason: String,
    },
    Unpause,
    /// After-call work is done: available again before the wrap-up time ends.
    Ready,
}

/// What an agent's screen shows when a call is offered: who calls, through which queue, and
/// what the caller did in the IVR (the plan's variables: language, menu choices, digits
/// collected, the CRM lookup's `customer.*`). The driver adds the customer record and history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScreenPop {
    pub agent: String,
    pub call_id: String,
    pub caller: String,
    pub caller_name: Option<String>,
    pub dialled: String,
    pub queue: String,
    pub offered_at: DateTime<Utc>,
    /// Since the call started: IVR, queue and earlier offers (the agent page shows it; the
    /// same as `waited_total_s`, kept for pages written before the two below).
    pub waited_s: u64,
    /// Since the call started: the caller's whole wait, IVR included.
    pub waited_total_s: u64,
    /// In the queue only (since it entered, as the queue's service level counts it).
    pub waited_in_queue_s: u64,
    pub vars: BTreeMap<String, String>,
}

/// The ACD and the switch's side of it.
pub(super) struct AcdRuntime {
    pub core: acd::Acd,
    pub queues: HashMap<String, QueueSetup>,
    /// Queue number → queue name.
    pub numbers: HashMap<String, String>,
    pub agents: HashMap<String, AgentSetup>,
    /// Agent → the extension it is logged in at.
    pub logged_in: HashMap<String, String>,
    /// ACD call id → switch call.
    pub calls: HashMap<String, CallId>,
    pub pause_reasons: Vec<String>,
    /// When the ACD's next timer is armed in the core's heap.
    pub armed: Option<Instant>,
    /// Callers who left a queue with a key and are in the message or callback flow.
    pub exits: HashMap<CallId, super::queue_exit::ExitState>,
    /// ACD entries that are callbacks not yet taken by an agent (their CRM rows are open).
    pub pending_callbacks: std::collections::HashSet<String>,
    /// Agents paused because their phone is on a call the ACD did not give them.
    pub busy_elsewhere: std::collections::HashSet<String>,
    /// The UTC day the live counters belong to.
    pub day: chrono::NaiveDate,
    draining: bool,
}

impl AcdRuntime {
    pub fn new(setup: AcdSetup, now: Instant, wall: DateTime<Utc>, seed: u64) -> Self {
        let mut core = acd::Acd::new(now, seed);
        let mut queues = HashMap::new();
        let mut numbers = HashMap::new();
        for q in setup.queues {
            if let Err(e) = core.add_queue(q.cfg.clone()) {
                tracing::warn!(queue = %q.cfg.name, error = %e, "queue not added");
                continue;
            }
            if let Some(n) = &q.number {
                numbers.insert(n.clone(), q.cfg.name.clone());
            }
            queues.insert(q.cfg.name.clone(), q);
        }
        let mut agents = HashMap::new();
        for a in setup.agents {
            if let Err(e) = core.add_agent(a.cfg.clone()) {
                tracing::warn!(agent = %a.cfg.id, error = %e, "agent not added");
                continue;
            }
            agents.insert(a.cfg.id.clone(), a);
        }
        AcdRuntime {
            core,
            queues,
            numbers,
            agents,
            logged_in: HashMap::new(),
            calls: HashMap::new(),
            pause_reasons: setup.pause_reasons,
            armed: None,
            exits: HashMap::new(),
            pending_callbacks: std::collections::HashSet::new(),
            busy_elsewhere: Default::default(),
            day: wall.date_naive(),
            draining: false,
        }
    }

    /// The agent logged in at `extension`.
    pub fn agent_at(&self, extension: &str) -> Option<&str> {
        self.logged_in
            .iter()
            .find(|(_, e)| e.as_str() == extension)
            .map(|(a, _)| a.as_str())
    }
}

impl Switch {
    /// Put a call in a queue: answer it if needed, play hold music, hand it to the ACD.
    pub(super) fn enqueue(
        &mut self,
        now: Instant,
        id: CallId,
        queue: &str,
        priority: i32,
        skills: &[String],
        vars: BTreeMap<String, String>,
    ) {
        if self.is_callback(id) {
            // A callback's dialplan route may ring someone, not queue the agent's leg.
            tracing::warn!(call = id, %queue, "callback route leads to a queue");
            let cause = format!("{} route leads to a queue", self.callback_kind(id));
            self.end_callback(now, id, Disposition::Failed, 480, &cause, None);
            return;
        }
        if !self.acd.queues.contains_key(queue) {
            tracing::warn!(call = id, %queue, "no such queue");
            self.ivr_hangup(now, id, "queue unavailable");
            return;
        }
        let mut wanted = acd::Skills::new();
        for s in skills {
            match acd::parse_skills(&[s]) {
                Ok(parsed) => wanted.extend(parsed),
                Err(e) => tracing::warn!(call = id, skill = %s, error = %e, "skill ignored"),
            }
        }
        if self.calls.get(&id).is_some_and(|c| !c.a.final_sent) {
            self.ivr_answer(now, id);
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.phase == Phase::Ended {
            return;
        }
        let key = call.cdr_id.clone();
        call.phase = Phase::Held;
        call.queue = Some(QueueLeg::waiting(&key, queue, priority));
        call.vars.insert("queue".into(), queue.to_string());
        let moh = self.queue_music(id, queue);
        self.play_waiting(id, moh);
        self.maybe_record(id, super::record::Moment::Start);
        self.acd.calls.insert(key.clone(), id);
        let input = acd::Input::Enqueue(acd::Enqueue {
            call: key.clone(),
            queue: queue.to_string(),
            priority,
            emergency: false,
            skills: wanted,
            vars,
        });
        if let Some(call) = self.calls.get(&id) {
            super::call_log::queued(call, queue, priority);
        }
        if let Err(e) = self.acd_input(now, input) {
            tracing::warn!(call = id, %queue, error = %e, "queue refused the call");
            self.acd.calls.remove(&key);
            if let Some(call) = self.calls.get_mut(&id) {
                call.queue = None;
            }
            self.ivr_hangup(now, id, "queue unavailable");
        }
    }

    /// The queue's hold music, else the plan's.
    pub(super) fn queue_music(&self, id: CallId, queue: &str) -> Option<ivr::Prompt> {
        self.acd
            .queues
            .get(queue)
            .and_then(|q| q.moh.as_deref())
            .and_then(|spec| self.dialplans.as_ref().and_then(|d| d.prompt(spec)))
            .or_else(|| self.calls.get(&id).and_then(|c| c.moh.clone()))
    }

    /// Tell a waiting caller their position and estimated wait with the queue's announcement;
    /// hold music resumes when it ends (`announcement_done`).
    fn announce(&mut self, key: &str, position: usize, wait: Duration) {
        let Some(&id) = self.acd.calls.get(key) else {
            return;
        };
        let (Some(call), Some(plans)) = (self.calls.get(&id), self.dialplans.as_ref()) else {
            return;
        };
        let Some(setup) = call
            .queue
            .as_ref()
            .filter(|q| q.agent.is_none())
            .and_then(|q| self.acd.queues.get(&q.queue))
        else {
            return;
        };
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let mut prompts = Vec::new();
        for spec in &setup.announce {
            let spec = spec
                .replace("${position}", &position.to_string())
                .replace("${wait_minutes}", &minutes.to_string());
            match spec.strip_prefix("number:").and_then(|r| r.split_once(':')) {
                Some((n, dir)) => match n.parse::<u64>() {
                    Ok(n) => prompts.extend(plans.number_prompts(n, dir)),
                    Err(_) => tracing::warn!(%spec, "announcement: not a number"),
                },
                None => prompts.extend(plans.prompt(&spec)),
            }
        }
        if prompts.is_empty() {
            return;
        }
        let codec = call.caller_media.codec();
        self.actions.push_back(Action::Play {
            call: id,
            prompts,
            codec,
            looping: false,
        });
    }

    /// A prompt ended for a call the switch holds in a queue (an announcement): back to the
    /// hold music. False when the call is not waiting in a queue.
    pub(super) fn announcement_done(&mut self, id: CallId) -> bool {
        let Some(queue) = self
            .calls
            .get(&id)
            .filter(|c| c.phase != Phase::Ended)
            .and_then(|c| c.queue.as_ref())
            .filter(|q| q.agent.is_none())
            .map(|q| q.queue.clone())
        else {
            return false;
        };
        let moh = self.queue_music(id, &queue);
        self.play_waiting(id, moh);
        true
    }

    /// What a waiting caller hears: the given music, else ringback (440+480 Hz, 2 s on, 4 off).
    pub(super) fn play_waiting(&mut self, id: CallId, music: Option<ivr::Prompt>) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let codec = call.caller_media.codec();
        self.play_waiting_in(id, music, codec);
    }

    /// [`Switch::play_waiting`] in `codec`, to whichever side the relay plays to.
    pub(super) fn play_waiting_in(
        &mut self,
        id: CallId,
        music: Option<ivr::Prompt>,
        codec: media::g711::Codec,
    ) {
        let prompts = match music {
            Some(p) => vec![p],
            None => vec![
                ivr::Prompt::Tone {
                    freqs: vec![440, 480],
                    duration: Duration::from_secs(2),
                },
                ivr::Prompt::Silence(Duration::from_secs(4)),
            ],
        };
        self.actions.push_back(Action::Play {
            call: id,
            prompts,
            codec,
            looping: true,
        });
    }

    /// Give the ACD an input and carry out what it asks.
    pub(super) fn acd_input(
        &mut self,
        now: Instant,
        input: acd::Input,
    ) -> Result<(), acd::AcdError> {
        let result = self.acd.core.handle(now, input);
        if let Err(e) = &result {
            tracing::debug!(error = %e, "ACD refused input");
        }
        self.run_acd(now);
        result
    }

    /// Drain the ACD's actions (they may feed it more input) and arm its next timer.
    pub(super) fn run_acd(&mut self, now: Instant) {
        if self.acd.draining {
            return;
        }
        self.acd.draining = true;
        while let Some(action) = self.acd.core.poll_action() {
            self.acd_action(now, action);
        }
        self.acd.draining = false;
        if let Some((at, _)) = self.acd.core.poll_timeout() {
            if self
                .acd
                .armed
                .is_none_or(|armed| at < armed || armed <= now)
            {
                self.acd.armed = Some(at);
                self.arm(at, CoreTimer::Acd);
            }
        }
    }

    /// The ACD's timer fired.
    pub(super) fn acd_timeout(&mut self, now: Instant) {
        if self.acd.armed.is_some_and(|at| at <= now) {
            self.acd.armed = None;
        }
        let today = self.wall(now).date_naive();
        if today != self.acd.day {
            self.acd.day = today;
            self.acd.core.reset_counters();
        }
        let _ = self.acd_input(now, acd::Input::Timeout);
    }

    fn acd_action(&mut self, now: Instant, action: acd::Action) {
        match action {
            acd::Action::Offer {
                call,
                agent,
                queue,
                callback: Some(number),
                ..
            } => self.offer_callback(now, &call, &agent, &queue, &number),
            acd::Action::Offer {
                call,
                agent,
                ring_timeout,
                ..
            } => self.offer(now, &call, &agent, ring_timeout),
            acd::Action::CancelOffer { call, agent } => self.cancel_offer(now, &call, &agent),
            acd::Action::Overflow { call, target, .. } => self.overflow(now, &call, target),
            acd::Action::Announce {
                call,
                position,
                estimated_wait,
            } => self.announce(&call, position, estimated_wait),
            acd::Action::QueueEvent(e) => {
                let at = self.wall(e.at);
                self.actions.push_back(Action::Acd(AcdRecord {
                    at,
                    event: AcdEvent::Queue(e),
                }));
            }
            acd::Action::AgentEvent(e) => {
                let at = self.wall(e.at);
                self.actions.push_back(Action::Acd(AcdRecord {
                    at,
                    event: AcdEvent::Agent(e),
                }));
            }
            _ => {}
        }
    }

    /// Ring the agent's extension as a new branch of the caller's call.
    fn offer(&mut self, now: Instant, key: &str, agent: &str, ring_timeout: Duration) {
        let reject = acd::Input::OfferRejected {
            call: key.to_string(),
            agent: agent.to_string(),
        };
        let (Some(&id), Some(ext)) = (self.acd.calls.get(key), self.acd.logged_in.get(agent))
        else {
            let _ = self.acd.core.handle(now, reject);
            return;
        };
        let ext = ext.clone();
        let before = self.calls.get(&id).map_or(0, |c| c.branches.len());
        let in_queue = self.acd.core.waited(key, now).unwrap_or_default().as_secs();
        match self.ring(now, id, &ext, ring_timeout) {
            Ok(()) => {
                let offered_at = self.wall(now);
                if let Some(call) = self.calls.get_mut(&id) {
                    for b in call.branches.iter_mut().skip(before) {
                        b.agent = Some(agent.to_string());
                    }
                    let pop = ScreenPop {
                        agent: agent.to_string(),
                        call_id: key.to_string(),
                        caller: call.caller.number.clone(),
                        caller_name: call.caller.name.clone(),
                        dialled: call.a.dialog.contact_user.clone(),
                        queue: call.vars.get("queue").cloned().unwrap_or_default(),
                        offered_at,
                        waited_s: now.saturating_duration_since(call.started).as_secs(),
                        waited_total_s: now.saturating_duration_since(call.started).as_secs(),
                        waited_in_queue_s: in_queue,
                        vars: call.vars.clone(),
                    };
                    self.actions.push_back(Action::ScreenPop(Box::new(pop)));
                }
            }
            Err((_, _, cause)) => {
                tracing::info!(%agent, extension = %ext, %cause, "agent cannot be rung");
                let _ = self.acd.core.handle(now, reject);
            }
        }
    }

    /// Stop ringing one agent for a call.
    fn cancel_offer(&mut self, now: Instant, key: &str, agent: &str) {
        if self.cancel_callback_offer(now, key, agent) {
            return;
        }
        let Some(&id) = self.acd.calls.get(key) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut txs = Vec::new();
        for b in call.branches.iter_mut() {
            if b.agent.as_deref() == Some(agent)
                && matches!(b.state, BranchState::Trying | BranchState::Early)
            {
                b.state = BranchState::Cancelled;
                b.ended = Some(now);
                txs.push(b.tx);
            }
        }
        if matches!(call.phase, Phase::Ringing { .. }) && !call.branches_ringing() {
            call.phase = Phase::Held;
        }
        for t in txs {
            let _ = self.tx.cancel(now, t);
        }
    }

    /// The caller leaves the queue for `target`: another queue, an extension, a dialplan
    /// route, or nowhere.
    fn overflow(&mut self, now: Instant, key: &str, target: Option<String>) {
        let Some(id) = self.acd.calls.remove(key) else {
            // A callback has no call to send anywhere: it is over.
            self.callback_done(now, key, "overflow");
            return;
        };
        let priority = self
            .calls
            .get_mut(&id)
            .and_then(|c| c.queue.take())
            .map_or(0, |q| q.priority);
        match target {
            Some(t) => self.send_to_target(now, id, &t, priority, "queue overflow"),
            None => self.ivr_hangup(now, id, "queue overflow"),
        }
    }

    /// Whether branch `i` of call `id` may still be taken: always outside the ACD; for a queued
    /// call only while the ACD is ringing that agent for it (a ring timeout may have won).
    pub(super) fn offer_still_open(&self, id: CallId, i: usize) -> bool {
        let Some(call) = self.calls.get(&id) else {
            return false;
        };
        let (Some(q), Some(agent)) = (
            call.queue.as_ref(),
            call.branches.get(i).and_then(|b| b.agent.as_deref()),
        ) else {
            return true;
        };
        q.rings(&self.acd.core, agent)
    }

    /// Branch `i` of a queued call failed (busy, declined, timed out) or was cancelled by us.
    pub(super) fn queue_branch_done(&mut self, now: Instant, id: CallId, i: usize) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(key) = call.queue.as_ref().map(|q| q.key.clone()) else {
            return;
        };
        let Some(branch) = call.branches.get(i) else {
            return;
        };
        let agent = branch.agent.clone();
        let by_us = branch.state == BranchState::Cancelled;
        let agent_still_ringing = call.branches.iter().any(|b| {
            b.agent == agent && matches!(b.state, BranchState::Trying | BranchState::Early)
        });
        if matches!(call.phase, Phase::Ringing { .. }) && !call.branches_ringing() {
            call.phase = Phase::Held;
        }
        if let (Some(agent), false, false) = (agent, by_us, agent_still_ringing) {
            let _ = self.acd_input(now, acd::Input::OfferRejected { call: key, agent });
        }
    }

    /// An agent answered a queued call: the ACD connects them.
    pub(super) fn queue_answered(&mut self, now: Instant, id: CallId, i: usize) {
        if self.is_callback(id) {
            // The agent was connected when it answered; this is the customer.
            self.callback_customer_answered(now, id);
            return;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (Some(q), Some(agent)) = (
            call.queue.as_mut(),
            call.branches.get(i).and_then(|b| b.agent.clone()),
        ) else {
            return;
        };
        q.agent = Some(agent.clone());
        let key = q.key.clone();
        if let Some(b) = call.branches.get(i) {
            self.extension_calls.set_callee(call, b.extension.clone());
        }
        call.callee.name = self
            .acd
            .agents
            .get(&agent)
            .and_then(|a| a.name.clone())
            .or_else(|| Some(agent.clone()));
        call.vars.insert("agent".into(), agent.clone());
        let waited = now.saturating_duration_since(call.started).as_millis();
        super::call_log::agent_answered(call, &agent, &call.callee.number, waited);
        let _ = self.acd_input(now, acd::Input::OfferAnswered { call: key, agent });
    }

    /// A call ends: a queued caller abandons, a connected one completes.
    pub(super) fn queue_call_ended(&mut self, now: Instant, id: CallId, side: Option<HangupSide>) {
        self.acd.exits.remove(&id);
        let Some(q) = self.calls.get_mut(&id).and_then(|c| c.queue.take()) else {
            return;
        };
        self.acd.calls.remove(&q.key);
        let _ = self.acd_input(now, q.ended(now, side));
    }
}
