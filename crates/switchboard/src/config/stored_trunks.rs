//! At start, trunks and DIDs stored through the HTTP API are laid over the configuration
//! file's, as stored queues are (`stored_queues.rs`): each stored definition replaces the file
//! entry of the same name (or number) or adds one, and a stored removal drops the file entry.
//! A stored row that no longer makes sense (it fails the checks, or the plan with it does) is
//! skipped with a warning, never fatal.

use crate::config::trunks::{resolve_did, resolve_trunk, DidSection, TrunkSection};
use trunk::TrunkPlan;

/// What was applied, for the start-up log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub trunks: usize,
    pub dids: usize,
    pub removed: usize,
    pub skipped: usize,
}

/// Lay the stored trunks and DIDs over `plan` (from the configuration file).
pub async fn load(crm: &crm::Crm, plan: &mut TrunkPlan) -> Result<Applied, crm::CrmError> {
    let trunks = crm.trunk_definitions().await?;
    let dids = crm.did_definitions().await?;
    Ok(apply(plan, &trunks, &dids))
}

/// The pure part of [`load`].
pub fn apply(
    plan: &mut TrunkPlan,
    trunks: &[crm::StoredDefinition],
    dids: &[crm::StoredDefinition],
) -> Applied {
    let mut done = Applied::default();
    for row in trunks {
        let Some(text) = &row.definition else {
            plan.trunks.retain(|t| t.name != row.key);
            tracing::info!(trunk = %row.key, by = %row.updated_by,
                "trunk of the configuration file stays removed (removed through the API)");
            done.removed += 1;
            continue;
        };
        let parsed = serde_json::from_str::<TrunkSection>(text)
            .map_err(|e| e.to_string())
            .and_then(|s| resolve_trunk(&s).map_err(|e| format!("{e:?}")))
            .and_then(|s| match s.name == row.key {
                true => Ok(s),
                false => Err("its name does not match".to_string()),
            });
        let setup = match parsed {
            Ok(s) => s,
            Err(problem) => {
                tracing::warn!(trunk = %row.key, %problem, "stored trunk skipped");
                done.skipped += 1;
                continue;
            }
        };
        let mut next = plan.clone();
        match next.trunks.iter_mut().find(|t| t.name == row.key) {
            Some(slot) => *slot = setup,
            None => next.trunks.push(setup),
        }
        keep_if_valid(plan, next, &row.key, &mut done.trunks, &mut done.skipped);
    }
    for row in dids {
        let Some(text) = &row.definition else {
            plan.dids.retain(|d| d.number != row.key);
            done.removed += 1;
            continue;
        };
        let parsed = serde_json::from_str::<DidSection>(text)
            .map_err(|e| e.to_string())
            .and_then(|s| resolve_did(&s).map_err(|e| format!("{e:?}")));
        let setup = match parsed {
            Ok(d) if d.number == row.key => d,
            Ok(_) | Err(_) => {
                tracing::warn!(did = %row.key, "stored DID skipped: not a valid definition");
                done.skipped += 1;
                continue;
            }
        };
        let mut next = plan.clone();
        match next.dids.iter_mut().find(|d| d.number == row.key) {
            Some(slot) => *slot = setup,
            None => next.dids.push(setup),
        }
        keep_if_valid(plan, next, &row.key, &mut done.dids, &mut done.skipped);
    }
    done
}

fn keep_if_valid(
    plan: &mut TrunkPlan,
    next: TrunkPlan,
    key: &str,
    applied: &mut usize,
    skipped: &mut usize,
) {
    match next.validate() {
        Ok(()) => {
            *plan = next;
            *applied += 1;
        }
        Err(errors) => {
            let problem = errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            tracing::warn!(%key, %problem, "stored trunk or DID skipped");
            *skipped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(key: &str, def: Option<&str>) -> crm::StoredDefinition {
        crm::StoredDefinition {
            key: key.into(),
            definition: def.map(Into::into),
            updated_at: chrono::Utc::now(),
            updated_by: "admin".into(),
        }
    }

    #[test]
    fn stored_trunks_and_dids_override_the_file() {
        let file = |name: &str| TrunkSection {
            name: name.into(),
            host: "192.0.2.1".into(),
            ..Default::default()
        };
        let mut plan = TrunkPlan::default();
        for t in [file("carrier-a"), file("carrier-b")] {
            plan.trunks.push(resolve_trunk(&t).unwrap());
        }
        let trunks = [
            stored(
                "carrier-a",
                Some(r#"{"name":"carrier-a","host":"sip.example.net","max_channels":10}"#),
            ),
            stored("carrier-b", None),
            stored(
                "carrier-c",
                Some(r#"{"name":"carrier-c","host":"192.0.2.3"}"#),
            ),
            stored("renamed", Some(r#"{"name":"other","host":"192.0.2.4"}"#)),
            stored(
                "broken",
                Some(r#"{"name":"broken","host":"h","transport":"sctp"}"#),
            ),
            stored(
                "no-creds",
                Some(r#"{"name":"no-creds","host":"h","register":true}"#),
            ),
        ];
        let dids = [
            stored(
                "+8215880000",
                Some(r#"{"number":"+8215880000","queue":"loans"}"#),
            ),
            stored("+8215881111", Some(r#"{"number":"+8215881111"}"#)),
        ];
        let done = apply(&mut plan, &trunks, &dids);
        assert_eq!(
            done,
            Applied {
                trunks: 2,
                dids: 1,
                removed: 1,
                skipped: 4
            }
        );
        let names: Vec<&str> = plan.trunks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["carrier-a", "carrier-c"]);
        assert_eq!(plan.trunks[0].host, "sip.example.net");
        assert_eq!(plan.trunks[0].max_channels, Some(10));
        assert_eq!(plan.dids.len(), 1);
    }
}
