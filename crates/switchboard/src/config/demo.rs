//! The no-configuration demo: everything on 127.0.0.1, four extensions whose passwords are
//! generated once and kept in the data directory, so a softphone set up today still works tomorrow.

use crate::config::{Config, ConfigError, Resolved, UserConfig};
use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::Spanned;

#[derive(Serialize, Deserialize)]
struct DemoUsers {
    users: Vec<DemoUser>,
    /// The password of the `admin` HTTP account (added by later versions; generated if absent).
    #[serde(default)]
    admin_password: Option<String>,
    /// The `admin` account's bearer token for scripts (generated if absent; delete the line
    /// to revoke it: the next start makes a new one). The database keeps only its SHA-256.
    #[serde(default)]
    admin_token: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DemoUser {
    extension: String,
    password: String,
    name: String,
}

const NAMES: [(&str, &str); 4] = [
    ("1001", "Alice (agent)"),
    ("1002", "Bob (agent)"),
    ("1003", "Carol (supervisor)"),
    ("1004", "Dave (customer)"),
];

/// The demo configuration, creating `data/demo-users.toml` on first use.
pub fn config() -> Result<Resolved, anyhow::Error> {
    let base = Config::default();
    let path = base.data_dir.join("demo-users.toml");
    let users = load_or_create(&path)?;
    let (users, admin_password, admin_token) = with_admin_secrets(&path, users)?;
    let listen = base.http.listen.get_ref().clone();
    let config = build(base, users, admin_password.clone(), admin_token.clone());
    println!("HTTP API and pages: log in as `admin` with password {admin_password}");
    for a in config
        .accounts
        .iter()
        .filter_map(|a| a.get_ref().agent.as_ref())
    {
        let extension = config
            .agents
            .iter()
            .find(|g| g.id.get_ref() == a.get_ref())
            .and_then(|g| g.extension.as_ref())
            .map_or("?", |e| e.get_ref().as_str());
        println!(
            "Agent page http://{listen}/agent: `{}` with the password of extension {extension}",
            a.get_ref()
        );
    }
    println!(
        "HTTP API from scripts: curl -H 'Authorization: Bearer {admin_token}' http://{listen}/api/queues"
    );
    println!(
        "  (the admin's token; no CSRF header needed. Revoke it: delete `admin_token` from {} \
         and restart)",
        path.display()
    );
    config
        .resolve()
        .map_err(|e: ConfigError| anyhow::anyhow!(e))
}

/// The demo's configuration as a file would hold it, for `switchboard config export` (creates
/// the demo's credentials file on first use, like `serve`; prints nothing).
pub fn file_config() -> anyhow::Result<Config> {
    let base = Config::default();
    let path = base.data_dir.join("demo-users.toml");
    let users = load_or_create(&path)?;
    let (users, admin_password, admin_token) = with_admin_secrets(&path, users)?;
    Ok(build(base, users, admin_password, admin_token))
}

/// The admin's password and bearer token, generated and saved to `path` when missing (files
/// of older versions have neither).
fn with_admin_secrets(
    path: &Path,
    mut users: DemoUsers,
) -> anyhow::Result<(DemoUsers, String, String)> {
    let mut rng = rand::thread_rng();
    let mut changed = false;
    let password = users
        .admin_password
        .get_or_insert_with(|| {
            changed = true;
            Alphanumeric.sample_string(&mut rng, 16)
        })
        .clone();
    let token = users
        .admin_token
        .get_or_insert_with(|| {
            changed = true;
            Alphanumeric.sample_string(&mut rng, TOKEN_CHARS)
        })
        .clone();
    if changed {
        std::fs::write(path, toml::to_string(&users)?)?;
    }
    Ok((users, password, token))
}

/// Length of the demo admin's token: 43 alphanumerics are about 256 bits.
const TOKEN_CHARS: usize = 43;

/// The demo's configuration: its users, the `admin` account with its token, agent accounts for
/// Alice and Bob (their phone's password), the queues and agents.
fn build(base: Config, users: DemoUsers, admin_password: String, admin_token: String) -> Config {
    let admin = crate::config::accounts::AccountSection {
        username: Spanned::new(0..0, "admin".into()),
        password: Some(Spanned::new(0..0, admin_password)),
        password_hash: None,
        role: Spanned::new(0..0, "admin".into()),
        agent: None,
        // The admin's phone (Carol the supervisor's, 1003) for monitoring agents' calls
        // (`*96<agent>`; the wallboard's listen/whisper/barge buttons ring it).
        extension: Some(Spanned::new(0..0, "1003".into())),
        token: Some(Spanned::new(0..0, admin_token)),
        token_hash: None,
    };
    // The demo agents log in to the agent page with their phone's password.
    let agent_account = |username: &str, extension: &str| {
        let password = users
            .users
            .iter()
            .find(|u| u.extension == extension)
            .map(|u| u.password.clone())?;
        Some(Spanned::new(
            0..0,
            crate::config::accounts::AccountSection {
                username: Spanned::new(0..0, username.into()),
                password: Some(Spanned::new(0..0, password)),
                password_hash: None,
                role: Spanned::new(0..0, "agent".into()),
                agent: Some(Spanned::new(0..0, username.into())),
                extension: None,
                token: None,
                token_hash: None,
            },
        ))
    };
    let web = demo_web(base.http.listen.get_ref());
    let mut accounts = vec![Spanned::new(0..0, admin)];
    accounts.extend(agent_account("alice", "1001"));
    accounts.extend(agent_account("bob", "1002"));
    Config {
        accounts,
        users: users
            .users
            .into_iter()
            .map(|u| {
                Spanned::new(
                    0..0,
                    UserConfig {
                        extension: Spanned::new(0..0, u.extension),
                        password: Spanned::new(0..0, u.password),
                        name: Some(u.name),
                        offers: None,
                    },
                )
            })
            .collect(),
        queues: demo_queues(),
        agents: demo_agents(),
        web,
        ..base
    }
}

/// The demo's web entry: the loan page at `/demo` calls the phone-banking IVR (1588), whose
/// menu leads to the `loans` queue.
fn demo_web(listen: &str) -> crate::config::web::WebSection {
    let port = listen.rsplit(':').next().unwrap_or("8080");
    let text = format!(
        r#"
demo_page = "loans"
# Agents may answer in the agent page ("Answer in the browser").
agent_phones = true
# A demo has a few visitors at most: a small reserve leaves a narrowed media range room.
ports = 50
[[entries]]
name = "loans"
route = "1588"
allowed_origins = ["http://{listen}", "http://localhost:{port}"]
message = "Loan advisers answer weekdays 09:00-18:00 (KST); the demo answers at all hours."
"#
    );
    toml::from_str::<crate::config::web::WebSection>(&text).unwrap_or_default()
}

/// What the demo offers, printed at start: where to register, what to dial, and that it is open
/// at all hours (its IVR's business-hours example has its own number).
pub fn banner(config: &Resolved) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let sip = config
        .listen
        .iter()
        .map(|(t, a)| format!("{t} {a}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "Switchboard demo is running (SIP: {sip}; HTTP: http://{}).",
        config.http_listen
    );
    let _ = writeln!(
        out,
        "Register a softphone with one of these (domain {}):",
        config.domain
    );
    for u in &config.users {
        let _ = writeln!(
            out,
            "  extension {:<6} password {:<18} {}",
            u.extension,
            u.password,
            u.name.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(out, "What to dial (the demo is open at all hours):");
    let _ = writeln!(
        out,
        "  another extension      a call between phones, recorded under {}",
        config.recordings_dir.display()
    );
    for q in &config.acd.queues {
        if let Some(number) = &q.number {
            let _ = writeln!(
                out,
                "  {number:<22} the `{}` queue: agents answer once logged in",
                q.cfg.name
            );
        }
    }
    if !config.acd.agents.is_empty() {
        let _ = writeln!(
            out,
            "  *91 *92 *93 *94        from an agent's phone ({}): log in, log out, pause, back",
            config
                .acd
                .agents
                .iter()
                .filter_map(|a| a.extension.as_deref())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for a in &config.accounts {
        if let Some(ext) = &a.extension {
            let _ = writeln!(
                out,
                "  *96<agent>             from {ext} (`{}`'s phone): listen to an agent's call \
                 (e.g. *96alice); then 4 listen, 5 whisper, 6 barge",
                a.username
            );
        }
    }
    if config
        .dialplans_dir
        .as_ref()
        .is_some_and(|(d, _)| d.join("bank.toml").is_file())
    {
        let _ = writeln!(
            out,
            "  1588                   the sample phone-banking IVR (dialplans/bank.toml): its menu \
             at any hour, 0 for an agent"
        );
        let _ = writeln!(
            out,
            "  1589                   the same IVR in Seoul business hours only (Mon-Fri \
             09:00-18:00 KST, Korean holidays closed): \"closed\" otherwise"
        );
    }
    let _ = writeln!(out, "CDRs: {}", config.database_url);
    out
}

fn load_or_create(path: &Path) -> anyhow::Result<DemoUsers> {
    if let Ok(text) = std::fs::read_to_string(path) {
        if let Ok(users) = toml::from_str::<DemoUsers>(&text) {
            // Files written before SIP passwords had a minimum strength are written anew.
            if users
                .users
                .iter()
                .all(|u| super::sip_password_strength(&u.password).is_ok())
            {
                return Ok(users);
            }
        }
        tracing::warn!(path = %path.display(), "demo users file unreadable; writing a new one");
    }
    let mut rng = rand::thread_rng();
    let users = DemoUsers {
        users: NAMES
            .iter()
            .map(|(ext, name)| DemoUser {
                extension: ext.to_string(),
                // Two groups joined by `-`: always two kinds of characters (config/mod.rs).
                password: format!(
                    "{}-{}",
                    Alphanumeric.sample_string(&mut rng, 8),
                    Alphanumeric.sample_string(&mut rng, 8)
                ),
                name: name.to_string(),
            })
            .collect(),
        admin_password: Some(Alphanumeric.sample_string(&mut rng, 16)),
        admin_token: Some(Alphanumeric.sample_string(&mut rng, TOKEN_CHARS)),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, toml::to_string(&users)?)?;
    Ok(users)
}

/// The queues the sample plan (`dialplans/bank.toml`) sends callers to; `general` is also
/// reachable by dialling 7000.
fn demo_queues() -> Vec<crate::config::acd_sections::QueueSection> {
    let text = r#"
[[queues]]
name = "general"
number = "7000"
wrap_up_s = 10
announce_every_s = 45
announce = ["en/queue_position.wav", "number:${position}:en/digits",
            "en/queue_wait.wav", "number:${wait_minutes}:en/digits", "en/minutes.wav",
            "en/queue_options.wav"]
exit_keys = { "1" = "message", "2" = "callback" }
[[queues]]
name = "cards"
[[queues]]
name = "loans"
[[queues]]
name = "priority"
strategy = "ring-all"
"#;
    #[derive(serde::Deserialize)]
    struct Q {
        queues: Vec<crate::config::acd_sections::QueueSection>,
    }
    toml::from_str::<Q>(text)
        .map(|q| q.queues)
        .unwrap_or_default()
}

/// Alice (1001) and Bob (1002) are the demo agents: `*91` from their phones logs them in.
fn demo_agents() -> Vec<crate::config::acd_sections::AgentSection> {
    let text = r#"
[[agents]]
id = "alice"
name = "Alice (agent)"
extension = "1001"
skills = "en:5, ko:2, cards:4, loans:2, premium:3"
queues = ["general", "cards", "loans", "priority"]
[[agents]]
id = "bob"
name = "Bob (agent)"
extension = "1002"
skills = "en:3, ko:5, cards:2, loans:5"
queues = ["general", "cards", "loans", "priority"]
"#;
    #[derive(serde::Deserialize)]
    struct A {
        agents: Vec<crate::config::acd_sections::AgentSection>,
    }
    toml::from_str::<A>(text)
        .map(|a| a.agents)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's configuration with fixed passwords (no data directory written).
    fn demo_config() -> Config {
        let users = NAMES
            .iter()
            .map(|(ext, name)| {
                Spanned::new(
                    0..0,
                    UserConfig {
                        extension: Spanned::new(0..0, ext.to_string()),
                        password: Spanned::new(0..0, "demo-secret".into()),
                        name: Some(name.to_string()),
                        offers: None,
                    },
                )
            })
            .collect();
        Config {
            users,
            queues: demo_queues(),
            agents: demo_agents(),
            web: demo_web("127.0.0.1:8080"),
            ..Config::default()
        }
    }

    #[test]
    fn demo_queues_and_agents_parse_and_resolve() {
        assert_eq!(demo_queues().len(), 4);
        assert_eq!(demo_agents().len(), 2);
        let config = demo_config();
        let r = config.resolve().expect("demo resolves");
        assert_eq!(r.acd.queues.len(), 4);
        assert_eq!(r.acd.agents[0].extension.as_deref(), Some("1001"));
        let loans = r.web.entry("loans").expect("the demo's web entry");
        assert_eq!(
            loans.target,
            crate::config::web::WebTarget::Route("1588".into())
        );
        assert!(loans
            .allowed_origins
            .contains(&"http://127.0.0.1:8080".to_string()));
        let general = r
            .acd
            .queues
            .iter()
            .find(|q| q.cfg.name == "general")
            .expect("general");
        use crate::switch::ExitKey;
        assert_eq!(general.exit.keys.get(&'1'), Some(&ExitKey::Message));
        assert_eq!(general.exit.keys.get(&'2'), Some(&ExitKey::Callback));
        assert_eq!(
            general.announce.last().map(String::as_str),
            Some("en/queue_options.wav")
        );
    }

    /// Regression: the banner never said the demo's IVR is shut at night (it was: Seoul hours).
    #[test]
    fn banner_lists_what_to_dial_and_the_hours() {
        let mut r = demo_config().resolve().expect("demo resolves");
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dialplans");
        r.dialplans_dir = Some((shipped, false));
        let text = banner(&r);
        assert!(text.contains("open at all hours"), "{text}");
        assert!(
            text.contains("7000 ") && text.contains("`general` queue"),
            "{text}"
        );
        assert!(
            text.contains("1588 ") && text.contains("at any hour"),
            "{text}"
        );
        assert!(
            text.contains("1589 ") && text.contains("09:00-18:00"),
            "{text}"
        );
        assert!(
            text.contains("*91") && text.contains("1001, 1002"),
            "{text}"
        );
    }

    /// Issue 9: scripting the demo's API needed a cookie and a CSRF token; the admin now has a
    /// bearer token, kept across restarts (a file of an older version gets one) and stored
    /// hashed.
    #[test]
    fn the_demo_admin_has_a_stable_bearer_token() {
        let dir = std::env::temp_dir().join(format!("sb-demo-token-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("demo-users.toml");
        let first = load_or_create(&path).expect("created");
        // A file written before tokens existed.
        let mut old: toml::Table =
            toml::from_str(&std::fs::read_to_string(&path).expect("read")).expect("toml");
        old.remove("admin_token");
        std::fs::write(&path, toml::to_string(&old).expect("toml")).expect("write");
        let (_, _, token) =
            with_admin_secrets(&path, load_or_create(&path).expect("loaded")).expect("secrets");
        assert!(token.len() >= crate::config::accounts::MIN_TOKEN_CHARS);
        assert_ne!(Some(&token), first.admin_token.as_ref(), "a new one");
        let (users, password, again) =
            with_admin_secrets(&path, load_or_create(&path).expect("loaded")).expect("secrets");
        assert_eq!(again, token, "kept across restarts");
        let base = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        let resolved = build(base, users, password, again)
            .resolve()
            .expect("resolves");
        let admin = resolved
            .accounts
            .iter()
            .find(|a| a.username == "admin")
            .expect("admin");
        assert_eq!(
            admin.token_hash.as_deref(),
            Some(crate::password::token_hash(&token).as_str())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
