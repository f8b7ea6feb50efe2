//! Teams and their members. Setting a team replaces its supervisor and members; an agent
//! named by a team is moved out of any other team (one team at a time).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::db::{for_each_backend, in_transaction, with_conn, DbTime, RowExt};
use crate::qa::{name, QaTeam};
use crate::{Crm, CrmError};

pub(crate) trait TeamConn {
    async fn upsert_team(&mut self, t: &QaTeam, at: DateTime<Utc>) -> Result<(), CrmError>;
    async fn delete_team(&mut self, name: &str) -> Result<bool, CrmError>;
    async fn teams(&mut self) -> Result<Vec<QaTeam>, CrmError>;
}

for_each_backend! {
    impl TeamConn for Conn {
        async fn upsert_team(&mut self, t: &QaTeam, at: DateTime<Utc>) -> Result<(), CrmError> {
            sqlx::query(
                "INSERT INTO qa_teams (name, supervisor, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET supervisor = excluded.supervisor,
                    updated_at = excluded.updated_at",
            )
            .bind(&t.name)
            .bind(&t.supervisor)
            .bind(DbTime(at))
            .execute(&mut *self)
            .await?;
            sqlx::query("DELETE FROM qa_team_members WHERE team = $1")
                .bind(&t.name)
                .execute(&mut *self)
                .await?;
            for agent in &t.agents {
                sqlx::query(
                    "INSERT INTO qa_team_members (agent, team) VALUES ($1, $2)
                     ON CONFLICT (agent) DO UPDATE SET team = excluded.team",
                )
                .bind(agent)
                .bind(&t.name)
                .execute(&mut *self)
                .await?;
            }
            Ok(())
        }

        async fn delete_team(&mut self, name: &str) -> Result<bool, CrmError> {
            let done = sqlx::query("DELETE FROM qa_teams WHERE name = $1")
                .bind(name)
                .execute(self)
                .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn teams(&mut self) -> Result<Vec<QaTeam>, CrmError> {
            let rows = sqlx::query(
                "SELECT t.name, t.supervisor, m.agent FROM qa_teams t
                 LEFT JOIN qa_team_members m ON m.team = t.name ORDER BY t.name, m.agent",
            )
            .fetch_all(self)
            .await?;
            let mut teams: BTreeMap<String, QaTeam> = BTreeMap::new();
            for row in &rows {
                let name: String = row.col("name")?;
                let agent: Option<String> = row.col("agent")?;
                let team = match teams.entry(name.clone()) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => e.insert(QaTeam {
                        name,
                        supervisor: row.col("supervisor")?,
                        agents: Vec::new(),
                    }),
                };
                team.agents.extend(agent);
            }
            Ok(teams.into_values().collect())
        }
    }
}

impl Crm {
    /// Creates or replaces a team: its supervisor and exactly these agents. An agent in
    /// another team moves to this one.
    pub async fn set_qa_team(&self, team: &QaTeam, at: DateTime<Utc>) -> Result<(), CrmError> {
        name("name", &team.name)?;
        name("supervisor", &team.supervisor)?;
        let mut seen = std::collections::BTreeSet::new();
        for agent in &team.agents {
            name("agents", agent)?;
            if !seen.insert(agent.as_str()) {
                return Err(crate::customer::invalid(
                    "agents",
                    format!("agent {agent} is listed twice"),
                ));
            }
        }
        in_transaction!(immediate self, |conn| conn.upsert_team(team, at).await?);
        Ok(())
    }

    /// Removes a team (its members are then in no team). False if there was none.
    pub async fn delete_qa_team(&self, name: &str) -> Result<bool, CrmError> {
        with_conn!(self, |conn| conn.delete_team(name).await)
    }

    /// Every team with its agents, by name.
    pub async fn qa_teams(&self) -> Result<Vec<QaTeam>, CrmError> {
        with_conn!(self, |conn| conn.teams().await)
    }
}
