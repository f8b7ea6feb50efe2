//! The switch's trunks at run time: the plan, each trunk's limits, health and registration,
//! the addresses the driver resolved, and the public API the binary drives them through
//! (`set_trunks`, `trunk_addresses`, `trunk_status`). Inbound calls are in `trunk_in.rs`,
//! outbound ones in `trunk_out.rs`, REGISTER and OPTIONS in `trunk_register.rs`.

use super::Switch;
use sip::transaction::ClientTxId;
use sip::Peer;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;
use trunk::{HealthCheck, Registrar, TrunkLimits, TrunkPlan, TrunkSetup, TrunkStatus};

/// Everything the switch keeps about trunks.
#[derive(Debug, Default)]
pub(crate) struct Trunks {
    pub plan: TrunkPlan,
    pub state: HashMap<String, TrunkRuntime>,
    /// The driver's DNS answers for trunks whose host is a name, in RFC 3263 order.
    pub resolved: HashMap<String, Vec<SocketAddr>>,
    /// The same addresses' IPs, for recognising inbound requests.
    pub resolved_ips: HashMap<String, Vec<IpAddr>>,
    /// Our REGISTERs and OPTIONS in flight.
    pub txs: HashMap<ClientTxId, TrunkTx>,
    /// Draws each trunk's retry jitter.
    pub seed: u64,
}

/// Why a client transaction of a trunk is out.
#[derive(Debug, Clone)]
pub(crate) enum TrunkTx {
    Register {
        trunk: String,
    },
    /// An un-REGISTER of a removed trunk (its answer is only logged).
    Unregister {
        trunk: String,
    },
    Ping {
        trunk: String,
    },
}

/// A trunk the new plan no longer has, with what releasing its registration needs.
#[derive(Debug)]
pub(crate) struct Removed {
    pub setup: TrunkSetup,
    pub runtime: TrunkRuntime,
    pub peer: Option<Peer>,
}

/// One trunk's live state.
#[derive(Debug)]
pub(crate) struct TrunkRuntime {
    pub limits: TrunkLimits,
    pub health: Option<HealthCheck>,
    pub registrar: Option<Registrar>,
    /// The registration's dialog (Call-ID, From tag, last CSeq, nonce count), kept across
    /// refreshes as RFC 3261 §10.2.4 asks.
    pub reg: super::trunk_register::RegDialog,
    pub calls_in: u64,
    pub calls_out: u64,
    pub refused_full: u64,
}

impl TrunkRuntime {
    fn new(t: &TrunkSetup, now: Instant, seed: u64) -> Self {
        TrunkRuntime {
            limits: TrunkLimits::new(t.max_channels, t.max_cps, now),
            health: t.ping.clone().map(|p| HealthCheck::new(p, now)),
            registrar: t
                .register
                .as_ref()
                .map(|r| Registrar::new(r.expiry, now, seed)),
            reg: super::trunk_register::RegDialog::default(),
            calls_in: 0,
            calls_out: 0,
            refused_full: 0,
        }
    }
}

impl Trunks {
    pub fn new(plan: TrunkPlan, now: Instant, seed: u64) -> Self {
        let mut t = Trunks {
            seed,
            ..Default::default()
        };
        t.install(plan, now);
        t
    }

    /// Take `plan`, keeping what still applies of trunks that stay: channels in use and
    /// counters always; registration and health while their settings are unchanged. Returns
    /// the trunks that went away (their registrations are to be released).
    pub fn install(&mut self, plan: TrunkPlan, now: Instant) -> Vec<Removed> {
        let mut old = std::mem::take(&mut self.state);
        let old_plan = std::mem::replace(&mut self.plan, plan);
        for (i, t) in self.plan.trunks.iter().enumerate() {
            let seed = self.seed.wrapping_add(i as u64);
            let mut fresh = TrunkRuntime::new(t, now, seed);
            if let Some(prev) = old.remove(&t.name) {
                fresh.limits.carry_over(&prev.limits);
                fresh.calls_in = prev.calls_in;
                fresh.calls_out = prev.calls_out;
                fresh.refused_full = prev.refused_full;
                let same =
                    |f: fn(&TrunkSetup) -> String| old_plan.trunk(&t.name).map(f) == Some(f(t));
                if same(|x| format!("{:?}{:?}{:?}", x.register, x.credentials, x.host)) {
                    fresh.registrar = prev.registrar;
                    fresh.reg = prev.reg;
                }
                if same(|x| format!("{:?}{}", x.ping, x.host)) {
                    fresh.health = prev.health;
                }
            }
            self.state.insert(t.name.clone(), fresh);
        }
        let removed = old
            .into_iter()
            .filter_map(|(name, runtime)| {
                let setup = old_plan.trunk(&name)?.clone();
                let peer = self.peer(&setup);
                Some(Removed {
                    setup,
                    runtime,
                    peer,
                })
            })
            .collect();
        self.resolved
            .retain(|name, _| self.state.contains_key(name));
        self.resolved_ips
            .retain(|name, _| self.state.contains_key(name));
        removed
    }

    /// Where requests to `trunk` go: the first resolved address, else the host's IP literal
    /// (port 5060 unless set). None: a host name not resolved yet.
    pub fn peer(&self, trunk: &TrunkSetup) -> Option<Peer> {
        self.addresses(trunk).into_iter().next()
    }

    /// Every address of `trunk` in the order to try them: the driver's RFC 3263 answer,
    /// else the host's IP literal. Empty: a host name not resolved yet.
    pub fn addresses(&self, trunk: &TrunkSetup) -> Vec<Peer> {
        let addrs = match self.resolved.get(&trunk.name).filter(|a| !a.is_empty()) {
            Some(a) => a.clone(),
            None => trunk
                .host_ip()
                .map(|ip| SocketAddr::new(ip, trunk.port.unwrap_or(5060)))
                .into_iter()
                .collect(),
        };
        addrs
            .into_iter()
            .map(|addr| Peer {
                transport: trunk.transport,
                addr,
            })
            .collect()
    }

    /// Whether a call could be tried on `trunk` now: it has an address, its pings do not say
    /// it is down, and it has a channel free (the call rate is checked when the call goes).
    pub fn can_try(&self, trunk: &TrunkSetup) -> bool {
        let Some(runtime) = self.state.get(&trunk.name) else {
            return false;
        };
        self.peer(trunk).is_some()
            && runtime.health.as_ref().is_none_or(HealthCheck::usable)
            && runtime.limits.has_channel()
    }

    /// The host part of URIs towards the carrier (`host[:port]`, IPv6 in brackets).
    pub fn host_port(trunk: &TrunkSetup) -> String {
        let host = match trunk.host_ip() {
            Some(IpAddr::V6(v6)) => format!("[{v6}]"),
            _ => trunk.host.clone(),
        };
        match trunk.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }

    /// The earliest REGISTER or OPTIONS due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.state
            .values()
            .flat_map(|r| {
                [
                    r.registrar.as_ref().and_then(|g| g.poll_timeout()),
                    r.health.as_ref().and_then(|h| h.poll_timeout()),
                ]
            })
            .flatten()
            .min()
    }

    /// Give back the channel a call held on `trunk` (a trunk removed meanwhile has none).
    pub fn release(&mut self, trunk: &str) {
        if let Some(r) = self.state.get_mut(trunk) {
            r.limits.release();
        }
    }
}

impl Switch {
    /// Replace the trunks (configuration reload or the HTTP API). Calls in progress keep
    /// going; removed trunks' registrations are released (REGISTER with Expires: 0), new ones
    /// start at once.
    pub fn set_trunks(&mut self, now: Instant, plan: TrunkPlan) {
        let gone = self.trunks.install(plan, now);
        for removed in gone {
            self.unregister(now, removed);
        }
        self.trunk_timers(now);
        self.process(now);
    }

    /// The driver's DNS answer for `trunk` (RFC 3263 order). A trunk with a name for a host
    /// is down for outbound calls until its first answer with addresses.
    pub fn trunk_addresses(&mut self, now: Instant, trunk: &str, addrs: Vec<SocketAddr>) {
        if !self.trunks.state.contains_key(trunk) {
            return;
        }
        let had_none = self.trunks.resolved.get(trunk).is_none_or(Vec::is_empty);
        self.trunks.resolved_ips.insert(
            trunk.to_string(),
            addrs.iter().map(SocketAddr::ip).collect(),
        );
        self.trunks.resolved.insert(trunk.to_string(), addrs);
        if had_none {
            if let Some(g) = self
                .trunks
                .state
                .get_mut(trunk)
                .and_then(|r| r.registrar.as_mut())
            {
                g.retry_now(now);
            }
        }
        self.trunk_timers(now);
        self.process(now);
    }

    /// Each trunk's state, in plan order.
    pub fn trunk_status(&self, now: Instant) -> Vec<TrunkStatus> {
        self.trunks
            .plan
            .trunks
            .iter()
            .filter_map(|t| {
                let r = self.trunks.state.get(&t.name)?;
                Some(TrunkStatus {
                    name: t.name.clone(),
                    registration: r
                        .registrar
                        .as_ref()
                        .map_or(trunk::Registration::NotConfigured, |g| g.status(now)),
                    health: r
                        .health
                        .as_ref()
                        .map_or(trunk::Health::Unknown, HealthCheck::health),
                    channels: r.limits.channels(),
                    calls_in: r.calls_in,
                    calls_out: r.calls_out,
                    refused_full: r.refused_full,
                })
            })
            .collect()
    }

    /// Give back the trunk channels call `id` holds (idempotent: every end of a call may call
    /// it, the last one before the call is forgotten always does).
    pub(super) fn release_trunk_channels(&mut self, id: super::CallId) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let inbound = call.trunk_in.take();
        let outbound = call
            .trunk_out
            .as_mut()
            .and_then(|d| d.attempt.as_mut())
            .filter(|a| a.channel)
            .map(|a| {
                a.channel = false;
                a.trunk.clone()
            });
        for t in inbound.into_iter().chain(outbound) {
            self.trunks.release(&t);
        }
    }
}
