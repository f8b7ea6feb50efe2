//! The trunk plan the switch runs, as the driver keeps it: changes from the HTTP API are applied
//! to a copy, checked with `TrunkPlan::validate` and only then handed to the core (and to the
//! DNS task, which re-resolves named trunks). Also the log lines of trunks' state changes
//! (registration, health), found by comparing each status snapshot with the last.

use std::collections::HashMap;
use trunk::{DidSetup, Registration, TrunkPlan, TrunkSetup, TrunkStatus};

/// A change to the plan from the HTTP API.
#[derive(Debug, Clone)]
pub enum TrunkChange {
    /// Add a trunk (`create`) or replace the one of the same name.
    PutTrunk {
        trunk: Box<TrunkSetup>,
        create: bool,
    },
    RemoveTrunk(String),
    /// Add a DID (`create`) or replace the one of the same number.
    PutDid {
        did: DidSetup,
        create: bool,
    },
    RemoveDid(String),
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrunkChangeError {
    #[error("no trunk or DID {0}")]
    NotFound(String),
    #[error("{0} exists already")]
    Exists(String),
    #[error("the plan would be invalid")]
    Invalid(Vec<trunk::SetupError>),
}

/// The plan after `change`, checked; `plan` itself is left as it was.
pub fn apply(plan: &TrunkPlan, change: TrunkChange) -> Result<TrunkPlan, TrunkChangeError> {
    let mut next = plan.clone();
    match change {
        TrunkChange::PutTrunk { trunk, create } => {
            match next.trunks.iter_mut().find(|t| t.name == trunk.name) {
                Some(_) if create => return Err(TrunkChangeError::Exists(trunk.name)),
                Some(slot) => *slot = *trunk,
                None if create => next.trunks.push(*trunk),
                None => return Err(TrunkChangeError::NotFound(trunk.name)),
            }
        }
        TrunkChange::RemoveTrunk(name) => {
            let before = next.trunks.len();
            next.trunks.retain(|t| t.name != name);
            if next.trunks.len() == before {
                return Err(TrunkChangeError::NotFound(name));
            }
        }
        TrunkChange::PutDid { did, create } => {
            match next.dids.iter_mut().find(|d| d.number == did.number) {
                Some(_) if create => return Err(TrunkChangeError::Exists(did.number)),
                Some(slot) => *slot = did,
                None if create => next.dids.push(did),
                None => return Err(TrunkChangeError::NotFound(did.number)),
            }
        }
        TrunkChange::RemoveDid(number) => {
            let before = next.dids.len();
            next.dids.retain(|d| d.number != number);
            if next.dids.len() == before {
                return Err(TrunkChangeError::NotFound(number));
            }
        }
    }
    next.validate().map_err(TrunkChangeError::Invalid)?;
    Ok(next)
}

/// One trunk's figures for `/api/status` and `/metrics` (docs/metrics.md).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TrunkFigures {
    pub name: String,
    /// `not_configured`, `registering`, `registered` or `failed`.
    pub registration: &'static str,
    /// `unknown`, `up` or `down`.
    pub health: &'static str,
    pub channels: u32,
    pub calls_in: u64,
    pub calls_out: u64,
    /// Calls refused or skipped because the trunk was full or over its calls per second.
    pub refused: u64,
}

impl From<&TrunkStatus> for TrunkFigures {
    fn from(s: &TrunkStatus) -> Self {
        TrunkFigures {
            name: s.name.clone(),
            registration: s.registration.as_str(),
            health: s.health.as_str(),
            channels: s.channels,
            calls_in: s.calls_in,
            calls_out: s.calls_out,
            refused: s.refused_full,
        }
    }
}

/// The plan and each trunk's state, for the HTTP API.
#[derive(Debug, Clone)]
pub struct TrunkView {
    pub plan: TrunkPlan,
    pub status: Vec<TrunkStatus>,
}

/// Logs each trunk's registration and health when they change.
#[derive(Debug, Default)]
pub struct StateLog {
    last: HashMap<String, (&'static str, &'static str)>,
}

impl StateLog {
    /// Compare with the last snapshot; returns the lines logged (for tests).
    pub fn observe(&mut self, statuses: &[TrunkStatus]) -> Vec<String> {
        let mut lines = Vec::new();
        for s in statuses {
            let now = (s.registration.as_str(), s.health.as_str());
            let before = self.last.insert(s.name.clone(), now);
            if before == Some(now) {
                continue;
            }
            let (was_reg, was_health) = before.unwrap_or(("-", "-"));
            if was_reg != now.0 {
                let line = format!("trunk {}: registration {} -> {}", s.name, was_reg, now.0);
                match s.registration {
                    Registration::Failed { status, retry_in } => tracing::warn!(
                        trunk = %s.name, status, retry_in_s = retry_in.as_secs(),
                        "trunk registration failed"
                    ),
                    _ => tracing::info!(trunk = %s.name, from = was_reg, to = now.0,
                        "trunk registration changed"),
                }
                lines.push(line);
            }
            if was_health != now.1 {
                let line = format!("trunk {}: health {} -> {}", s.name, was_health, now.1);
                match s.health {
                    trunk::Health::Down => tracing::warn!(trunk = %s.name, "trunk is down"),
                    _ => tracing::info!(trunk = %s.name, from = was_health, to = now.1,
                        "trunk health changed"),
                }
                lines.push(line);
            }
        }
        self.last
            .retain(|name, _| statuses.iter().any(|s| s.name == *name));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::trunks::{resolve_did, resolve_trunk, DidSection, TrunkSection};
    use std::time::Duration;
    use trunk::Health;

    fn trunk(name: &str) -> TrunkSetup {
        let s = TrunkSection {
            name: name.into(),
            host: "192.0.2.1".into(),
            ..Default::default()
        };
        resolve_trunk(&s).unwrap()
    }

    fn did(number: &str) -> DidSetup {
        resolve_did(&DidSection {
            number: number.into(),
            route: Some("1588".into()),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn changes_are_checked_before_they_apply() {
        let plan = TrunkPlan {
            trunks: vec![trunk("a")],
            ..Default::default()
        };
        let put = |t: TrunkSetup, create| TrunkChange::PutTrunk {
            trunk: Box::new(t),
            create,
        };
        let two = apply(&plan, put(trunk("b"), true)).unwrap();
        assert_eq!(two.trunks.len(), 2);
        assert_eq!(
            apply(&plan, put(trunk("a"), true)).unwrap_err(),
            TrunkChangeError::Exists("a".into())
        );
        assert_eq!(
            apply(&plan, put(trunk("c"), false)).unwrap_err(),
            TrunkChangeError::NotFound("c".into())
        );
        let mut bad = trunk("a");
        bad.max_channels = Some(0);
        assert!(matches!(
            apply(&plan, put(bad, false)),
            Err(TrunkChangeError::Invalid(_))
        ));
        assert!(apply(&plan, TrunkChange::RemoveTrunk("a".into()))
            .unwrap()
            .trunks
            .is_empty());
        let with_did = apply(
            &plan,
            TrunkChange::PutDid {
                did: did("+8215880000"),
                create: true,
            },
        )
        .unwrap();
        assert_eq!(with_did.dids.len(), 1);
        assert_eq!(
            apply(&with_did, TrunkChange::RemoveDid("+82".into())).unwrap_err(),
            TrunkChangeError::NotFound("+82".into())
        );
        assert_eq!(plan.trunks.len(), 1, "the running plan is untouched");
    }

    #[test]
    fn state_changes_are_logged_once() {
        let status = |registration, health| TrunkStatus {
            name: "a".into(),
            registration,
            health,
            channels: 0,
            calls_in: 0,
            calls_out: 0,
            refused_full: 0,
        };
        let mut log = StateLog::default();
        let first = log.observe(&[status(Registration::Registering, Health::Unknown)]);
        assert_eq!(first.len(), 2);
        assert!(log
            .observe(&[status(Registration::Registering, Health::Unknown)])
            .is_empty());
        let registered = Registration::Registered {
            expires_in: Duration::from_secs(3600),
        };
        let later = Registration::Registered {
            expires_in: Duration::from_secs(1800),
        };
        assert_eq!(
            log.observe(&[status(registered, Health::Up)]),
            [
                "trunk a: registration registering -> registered",
                "trunk a: health unknown -> up"
            ]
        );
        assert!(log.observe(&[status(later, Health::Up)]).is_empty());
        assert_eq!(
            log.observe(&[status(later, Health::Down)]),
            ["trunk a: health up -> down"]
        );
    }
}
