//! The month's sample: for each agent, N answered, recorded calls drawn at random, stratified by
//! queue and channel, plus the calls that re-check the agent's open improvement points.
//!
//! The draw is a pure function of the request: the calls are sorted by id before drawing and
//! each agent draws from its own generator (the seed mixed with the agent's id), so the same
//! seed gives the same sample whatever order the database returned the calls in, and adding an
//! agent leaves the others' samples as they were. Allocation across strata is proportional with
//! largest remainders (ties to the stratum that sorts first), so an agent whose calls are 70 %
//! queue A gets 70 % of its sample from A, rounded fairly.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::assign::assign;
use crate::follow_up::{follow_up_calls, FollowUp};
use crate::month::ReviewMonth;
use crate::rng::SplitMix64;
use crate::Reviewer;

/// An answered, recorded call, as the CRM hands it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedCall {
    pub call_id: String,
    /// The agent who answered it.
    pub agent: String,
    /// The ACD queue it came through; `None` for a direct or outbound call.
    pub queue: Option<String>,
    /// How it reached the agent (`inbound`, `outbound`, `callback`...): a stratum, as a label.
    pub channel: String,
    pub answered_at: DateTime<Utc>,
    /// Talk time, answer to end.
    pub talk_ms: u64,
}

/// A team: agents and the supervisor who sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub name: String,
    pub supervisor: String,
    pub agents: Vec<String>,
}

/// How many calls to draw per agent: the agent's own figure, else the team's, else `default`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleSize {
    pub default: u32,
    #[serde(default)]
    pub per_team: BTreeMap<String, u32>,
    #[serde(default)]
    pub per_agent: BTreeMap<String, u32>,
}

impl SampleSize {
    fn for_agent(&self, agent: &str, team: Option<&str>) -> u32 {
        self.per_agent
            .get(agent)
            .or_else(|| team.and_then(|t| self.per_team.get(t)))
            .copied()
            .unwrap_or(self.default)
    }
}

/// Everything a draw depends on; `requested_at` and `seed` come from the caller (a clock and a
/// random source are I/O).
#[derive(Debug, Clone)]
pub struct SampleRequest<'a> {
    pub month: ReviewMonth,
    /// The center's time zone: the month is a calendar month on its wall clock.
    pub zone: Tz,
    /// Answered, recorded calls; those answered outside the month are ignored.
    pub calls: &'a [RecordedCall],
    pub teams: &'a [Team],
    pub size: SampleSize,
    /// Calls with less talk time are not worth a review and are left out.
    pub min_talk_ms: u64,
    /// The reviewers available now; one who left is not in the list and gets nothing.
    pub reviewers: &'a [Reviewer],
    /// The open follow-ups: their agents get calls to re-check the points against.
    pub open_follow_ups: &'a [FollowUp],
    /// How many calls per agent re-check the open points (0: none).
    pub follow_up_calls: u32,
    pub seed: u64,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

/// Why a review task exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TaskKind {
    /// Drawn at random for the month.
    Sampled,
    /// Picked to check these open improvement points (their ids).
    FollowUp { points: Vec<String> },
}

/// One call to review, and who reviews it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewTask {
    pub call_id: String,
    pub agent: String,
    pub team: Option<String>,
    pub queue: Option<String>,
    pub channel: String,
    pub answered_at: DateTime<Utc>,
    /// `None` when no reviewer may take it (none left, or the only one is the agent).
    pub reviewer: Option<String>,
    #[serde(flatten)]
    pub kind: TaskKind,
}

/// One agent's line in the sample's record: what the draw was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPopulation {
    pub agent: String,
    pub team: Option<String>,
    /// The month's calls that could be drawn (long enough).
    pub population: u32,
    /// The month's calls left out as shorter than the minimum.
    pub too_short: u32,
    /// N for this agent.
    pub wanted: u32,
    /// Calls drawn: `min(wanted, population)`.
    pub sampled: u32,
    /// Calls picked to re-check open points.
    pub follow_up: u32,
}

/// The record of a draw, to store beside its tasks: enough to explain and repeat it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleRecord {
    pub month: ReviewMonth,
    /// The IANA name of the zone the month was read in.
    pub zone: String,
    pub seed: u64,
    pub size: SampleSize,
    pub min_talk_ms: u64,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub agents: Vec<AgentPopulation>,
    /// Tasks no reviewer could take.
    pub unassigned: u32,
}

/// A draw: its record and its tasks (sampled calls per agent, then follow-up calls).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub record: SampleRecord,
    pub tasks: Vec<ReviewTask>,
}

/// Why a request cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    #[error("agent {agent} is in two teams: {first} and {second}")]
    AgentInTwoTeams {
        agent: String,
        first: String,
        second: String,
    },
    #[error("call {0} is listed twice")]
    DuplicateCall(String),
}

/// Draws the month's sample and assigns its tasks to reviewers.
pub fn draw(req: &SampleRequest<'_>) -> Result<Sample, SampleError> {
    let team_of = team_index(req.teams)?;
    let by_agent = month_calls(req)?;

    let mut tasks = Vec::new();
    let mut agents = Vec::new();
    for (agent, calls) in &by_agent {
        let team = team_of.get(agent.as_str()).map(|t| (*t).to_owned());
        let (eligible, short): (Vec<&RecordedCall>, Vec<&RecordedCall>) =
            calls.iter().partition(|c| c.talk_ms >= req.min_talk_ms);
        let wanted = req.size.for_agent(agent, team.as_deref());
        let mut rng = SplitMix64::for_part(req.seed, agent);
        let drawn = stratified(
            &eligible,
            usize::try_from(wanted).unwrap_or(usize::MAX),
            &mut rng,
        );

        let taken: BTreeSet<&str> = drawn.iter().map(|c| c.call_id.as_str()).collect();
        let open: Vec<&FollowUp> = req
            .open_follow_ups
            .iter()
            .filter(|f| f.agent == *agent && f.is_open())
            .collect();
        let rechecks = follow_up_calls(&open, &eligible, &taken, req.follow_up_calls, req.seed);

        agents.push(AgentPopulation {
            agent: agent.clone(),
            team: team.clone(),
            population: count(eligible.len()),
            too_short: count(short.len()),
            wanted,
            sampled: count(drawn.len()),
            follow_up: count(rechecks.calls.len()),
        });
        for call in drawn {
            tasks.push(task(call, team.clone(), TaskKind::Sampled));
        }
        for call in rechecks.calls {
            let kind = TaskKind::FollowUp {
                points: rechecks.points.clone(),
            };
            tasks.push(task(call, team.clone(), kind));
        }
    }

    assign(&mut tasks, req.reviewers);
    let unassigned = count(tasks.iter().filter(|t| t.reviewer.is_none()).count());
    Ok(Sample {
        record: SampleRecord {
            month: req.month,
            zone: req.zone.name().to_owned(),
            seed: req.seed,
            size: req.size.clone(),
            min_talk_ms: req.min_talk_ms,
            requested_by: req.requested_by.clone(),
            requested_at: req.requested_at,
            agents,
            unassigned,
        },
        tasks,
    })
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn task(call: &RecordedCall, team: Option<String>, kind: TaskKind) -> ReviewTask {
    ReviewTask {
        call_id: call.call_id.clone(),
        agent: call.agent.clone(),
        team,
        queue: call.queue.clone(),
        channel: call.channel.clone(),
        answered_at: call.answered_at,
        reviewer: None,
        kind,
    }
}

/// Agent → team name; an agent in two teams is a configuration error worth reporting.
fn team_index(teams: &[Team]) -> Result<BTreeMap<&str, &str>, SampleError> {
    let mut index = BTreeMap::new();
    for team in teams {
        for agent in &team.agents {
            if let Some(first) = index.insert(agent.as_str(), team.name.as_str()) {
                if first != team.name {
                    return Err(SampleError::AgentInTwoTeams {
                        agent: agent.clone(),
                        first: first.to_owned(),
                        second: team.name.clone(),
                    });
                }
            }
        }
    }
    Ok(index)
}

/// The month's calls per agent, each agent's sorted by call id (the draw's fixed order).
fn month_calls<'a>(
    req: &SampleRequest<'a>,
) -> Result<BTreeMap<String, Vec<&'a RecordedCall>>, SampleError> {
    let mut seen = BTreeSet::new();
    let mut by_agent: BTreeMap<String, Vec<&RecordedCall>> = BTreeMap::new();
    for call in req.calls {
        if !seen.insert(call.call_id.as_str()) {
            return Err(SampleError::DuplicateCall(call.call_id.clone()));
        }
        if req.month.contains(call.answered_at, req.zone) {
            by_agent.entry(call.agent.clone()).or_default().push(call);
        }
    }
    for calls in by_agent.values_mut() {
        calls.sort_by(|a, b| a.call_id.cmp(&b.call_id));
    }
    Ok(by_agent)
}

type Stratum<'a> = (Option<&'a str>, &'a str);

/// `n` of `calls` at random, each (queue, channel) stratum getting its proportional share by
/// largest remainders; all of them when there are no more than `n`.
fn stratified<'a>(
    calls: &[&'a RecordedCall],
    n: usize,
    rng: &mut SplitMix64,
) -> Vec<&'a RecordedCall> {
    if calls.len() <= n {
        return calls.to_vec();
    }
    let mut strata: BTreeMap<Stratum<'a>, Vec<&'a RecordedCall>> = BTreeMap::new();
    for call in calls {
        strata
            .entry((call.queue.as_deref(), call.channel.as_str()))
            .or_default()
            .push(call);
    }
    let sizes: Vec<usize> = strata.values().map(Vec::len).collect();
    let quotas = largest_remainders(&sizes, n);
    let mut out = Vec::with_capacity(n);
    for (members, quota) in strata.values_mut().zip(quotas) {
        let k = rng.choose(members, quota);
        out.extend(members.iter().take(k).copied());
    }
    out
}

/// Splits `n` across groups in proportion to `sizes` (Hamilton's method): each gets the floor
/// of its exact share, and the seats left go to the largest remainders, ties to the earlier
/// group. Requires `n <= sum(sizes)`; no group gets more than its size.
pub(crate) fn largest_remainders(sizes: &[usize], n: usize) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    if total == 0 {
        return vec![0; sizes.len()];
    }
    let n = n.min(total);
    let mut quotas: Vec<usize> = sizes.iter().map(|s| s * n / total).collect();
    let given: usize = quotas.iter().sum();
    let mut order: Vec<(usize, usize)> = sizes
        .iter()
        .enumerate()
        .map(|(i, s)| (s * n % total, i))
        .collect();
    // Largest remainder first; the earlier group wins a tie.
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in order.into_iter().take(n - given) {
        if let Some(q) = quotas.get_mut(i) {
            *q += 1;
        }
    }
    quotas
}

#[cfg(test)]
#[path = "sampling_tests.rs"]
mod tests;
