//! At start, queues and memberships stored through the HTTP API are laid over the
//! configuration file's: file queues first, then each stored definition replaces the file
//! queue of the same name or adds a queue, and a stored removal drops the file queue (and
//! every agent's membership of it). Stored memberships then replace the agent's `queues`.
//! A stored row that no longer makes sense (an unknown agent, a queue that fails the checks
//! after the file changed) is skipped with a warning, never fatal.

use crate::config::queue_definition::{parse_memberships, parse_queue};
use crate::switch::AcdSetup;
use std::collections::HashSet;

/// What was applied, for the start-up log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub queues: usize,
    pub removed: usize,
    pub agents: usize,
    pub skipped: usize,
}

/// Lay the stored queues and memberships over `setup` (from the configuration file).
pub async fn load(
    crm: &crm::Crm,
    setup: &mut AcdSetup,
    extensions: &HashSet<String>,
) -> Result<Applied, crm::CrmError> {
    let queues = crm.queue_definitions().await?;
    let memberships = crm.agent_memberships().await?;
    Ok(apply(setup, extensions, &queues, &memberships))
}

/// The pure part of [`load`].
pub fn apply(
    setup: &mut AcdSetup,
    extensions: &HashSet<String>,
    queues: &[crm::StoredQueue],
    memberships: &[crm::StoredMemberships],
) -> Applied {
    let mut done = Applied::default();
    // Every name that will exist, so overflows between stored queues resolve in any order.
    let mut names: HashSet<String> = setup.queues.iter().map(|q| q.cfg.name.clone()).collect();
    for q in queues {
        match q.definition {
            Some(_) => names.insert(q.name.clone()),
            None => names.remove(&q.name),
        };
    }
    for q in queues {
        let Some(text) = &q.definition else {
            setup.queues.retain(|f| f.cfg.name != q.name);
            for a in &mut setup.agents {
                a.cfg.queues.retain(|m| m.queue != q.name);
            }
            tracing::info!(queue = %q.name, by = %q.updated_by, at = %q.updated_at,
                "queue of the configuration file stays removed (removed through the API)");
            done.removed += 1;
            continue;
        };
        let others: HashSet<String> = names.iter().filter(|n| **n != q.name).cloned().collect();
        let parsed = serde_json::from_str(text)
            .map_err(|e| e.to_string())
            .and_then(|v| parse_queue(&v, &others, extensions).map_err(|e| format!("{e:?}")));
        match parsed {
            Ok(def) if def.cfg.name == q.name => {
                let taken = def.number.as_ref().and_then(|n| {
                    setup
                        .queues
                        .iter()
                        .find(|o| o.cfg.name != q.name && o.number.as_ref() == Some(n))
                        .map(|o| (n.clone(), o.cfg.name.clone()))
                });
                if let Some((n, other)) = taken {
                    tracing::warn!(queue = %q.name, number = %n, %other,
                        "stored queue skipped: its number belongs to another queue");
                    done.skipped += 1;
                    continue;
                }
                match setup.queues.iter_mut().find(|f| f.cfg.name == q.name) {
                    Some(slot) => *slot = def,
                    None => setup.queues.push(def),
                }
                done.queues += 1;
            }
            Ok(_) => {
                tracing::warn!(queue = %q.name, "stored queue skipped: its name does not match");
                done.skipped += 1;
            }
            Err(problem) => {
                tracing::warn!(queue = %q.name, %problem, "stored queue skipped");
                done.skipped += 1;
            }
        }
    }
    let live: HashSet<String> = setup.queues.iter().map(|q| q.cfg.name.clone()).collect();
    for m in memberships {
        let Some(agent) = setup.agents.iter_mut().find(|a| a.cfg.id == m.agent_id) else {
            tracing::warn!(agent = %m.agent_id, "stored memberships skipped: no such agent");
            done.skipped += 1;
            continue;
        };
        let parsed = serde_json::from_str(&m.queues)
            .map_err(|e| e.to_string())
            .and_then(|v| parse_memberships(&v).map_err(|e| format!("{e:?}")));
        match parsed {
            Ok(list) => {
                let (keep, gone): (Vec<_>, Vec<_>) =
                    list.into_iter().partition(|x| live.contains(&x.queue));
                for g in gone {
                    tracing::warn!(agent = %m.agent_id, queue = %g.queue,
                        "stored membership dropped: no such queue");
                }
                agent.cfg.queues = keep;
                done.agents += 1;
            }
            Err(problem) => {
                tracing::warn!(agent = %m.agent_id, %problem, "stored memberships skipped");
                done.skipped += 1;
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::{AgentSetup, QueueSetup};

    fn file() -> AcdSetup {
        let q = |name: &str, number: &str| QueueSetup {
            cfg: acd::QueueConfig::new(name),
            number: Some(number.into()),
            moh: None,
            announce: Vec::new(),
            exit: Default::default(),
        };
        AcdSetup {
            queues: vec![q("general", "7000"), q("loans", "7001")],
            agents: vec![AgentSetup {
                cfg: acd::AgentConfig::new("alice")
                    .member_of("general", 0)
                    .member_of("loans", 1),
                name: None,
                extension: None,
                pin: None,
            }],
            pause_reasons: Vec::new(),
        }
    }

    fn stored(name: &str, def: Option<&str>) -> crm::StoredQueue {
        crm::StoredQueue {
            name: name.into(),
            definition: def.map(Into::into),
            updated_at: chrono::Utc::now(),
            updated_by: "admin".into(),
        }
    }

    #[test]
    fn stored_queues_override_the_file() {
        let mut setup = file();
        let queues = [
            stored(
                "general",
                Some(r#"{"name":"general","number":"7000","strategy":"linear"}"#),
            ),
            stored("loans", None),
            stored(
                "vip",
                Some(r#"{"name":"vip","number":"7100","overflow":"general"}"#),
            ),
            stored("clash", Some(r#"{"name":"clash","number":"7000"}"#)),
            stored("broken", Some(r#"{"name":"broken","strategy":"fastest"}"#)),
        ];
        let members = [
            crm::StoredMemberships {
                agent_id: "alice".into(),
                queues: r#"[{"queue":"vip","weight":3,"order":0},"loans","general"]"#.into(),
                updated_at: chrono::Utc::now(),
                updated_by: "admin".into(),
            },
            crm::StoredMemberships {
                agent_id: "ghost".into(),
                queues: "[]".into(),
                updated_at: chrono::Utc::now(),
                updated_by: "admin".into(),
            },
        ];
        let done = apply(&mut setup, &HashSet::new(), &queues, &members);
        assert_eq!(
            done,
            Applied {
                queues: 2,
                removed: 1,
                agents: 1,
                skipped: 3
            }
        );
        let names: Vec<&str> = setup.queues.iter().map(|q| q.cfg.name.as_str()).collect();
        assert_eq!(names, ["general", "vip"]);
        assert_eq!(setup.queues[0].cfg.strategy, acd::Strategy::Linear);
        let alice: Vec<(&str, u32)> = setup.agents[0]
            .cfg
            .queues
            .iter()
            .map(|m| (m.queue.as_str(), m.weight))
            .collect();
        assert_eq!(alice, [("vip", 3), ("general", 0)], "removed loans dropped");
    }
}
