//! ACD for Switchboard: queues, agents, skills with proficiency, distribution strategies,
//! caller priority as an offset on waiting time, wrap-up, overflow and live statistics, as a
//! sans-IO state machine.
//!
//! Configure with [`Acd::add_queue`] and [`Acd::add_agent`]. Then the switch loops: feed each
//! [`Input`] with the current `Instant` to [`Acd::handle`], drain [`Acd::poll_action`] and
//! perform each [`Action`] (ring an agent, cancel a ring, overflow a caller, announce a
//! position, store a queue or agent event), and sleep until [`Acd::poll_timeout`], then send
//! [`Input::Timeout`]. Nothing here reads a clock or does I/O, so an hour of traffic simulates
//! in milliseconds; `tests/erlang_sim.rs` checks it against Erlang C (`crates/staffing`).
//!
//! Rules in one place (details in docs/acd.md): callers rank by emergency band, then
//! `waited + priority`, then arrival; a call's skill requirement widens step by step until any
//! agent of the queue qualifies; an agent on a call, ringing, in wrap-up or paused, or whose
//! phone is offline, is never offered a call.
#![forbid(unsafe_code)]

mod acd;
mod action;
mod admin;
mod agent;
mod agent_flow;
mod call_flow;
mod config;
mod dispatch;
mod error;
mod input;
mod queue;
mod rng;
mod stats;

pub use acd::{Acd, Timer};
pub use action::{Action, AgentEvent, AgentEventKind, OverflowReason, QueueEvent, QueueEventKind};
pub use agent::{AgentState, AgentStatus};
pub use call_flow::NO_ANSWER;
pub use config::{
    parse_skills, AgentConfig, EmptyRule, Membership, QueueConfig, RoutingStep, Skills, Strategy,
    MAX_LEVEL,
};
pub use error::AcdError;
pub use input::{EndedBy, Enqueue, Input};
pub use queue::Counters;
pub use rng::SeededRng;
pub use stats::{AgentCounts, QueueStats, WaitingStatus};
