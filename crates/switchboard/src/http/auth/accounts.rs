//! The configured `[[accounts]]` (`config::accounts`) written to the database when the HTTP API
//! starts: plain passwords hashed with argon2id, other accounts disabled.

use chrono::Utc;
use crm::{Crm, NewAccount};

use crate::config::accounts::{AccountSpec, Secret};
use crate::password::{hash_password, verify_password};

/// Writes the configured accounts to the database (disabling any others). A plain password
/// whose stored hash still verifies keeps that hash, so restarts do not end sessions; argon2
/// runs on the blocking pool.
pub async fn sync(crm: &Crm, specs: &[AccountSpec]) -> anyhow::Result<crm::AccountSync> {
    let mut accounts = Vec::with_capacity(specs.len());
    for spec in specs {
        let password_hash = match &spec.secret {
            Secret::Hash(h) => h.clone(),
            Secret::Plain(p) => {
                let stored = crm
                    .account_by_username(&spec.username)
                    .await?
                    .map(|a| a.password_hash);
                let p = p.clone();
                tokio::task::spawn_blocking(move || match stored {
                    Some(h) if verify_password(&p, &h) => Ok(h),
                    _ => hash_password(&p),
                })
                .await?
                .map_err(anyhow::Error::msg)?
            }
        };
        accounts.push(NewAccount {
            username: spec.username.clone(),
            password_hash,
            token_hash: spec.token_hash.clone(),
            role: spec.role,
            agent_id: spec.agent.clone(),
            extension: spec.extension.clone(),
        });
    }
    Ok(crm.sync_accounts(&accounts, Utc::now()).await?)
}
