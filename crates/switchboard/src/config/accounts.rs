//! `[[accounts]]` and the access-control keys of `[http]` in the configuration: validated at
//! load (so `switchboard check` reports mistakes with file:line); `http::auth::accounts` writes
//! the accounts to the database when the HTTP API starts.

use std::ops::Range;
use std::time::Duration;

use crm::Role;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::password::{is_argon2_hash, token_hash};

/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Shortest accepted bearer token: tokens are stored with a fast hash, so they must be long
/// random strings, not words.
pub const MIN_TOKEN_CHARS: usize = 32;

/// `[http]` settings of access control, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// Add `Secure` to the session cookie (when served over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// Serve `/metrics` without a login.
    pub open_metrics: bool,
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after its login, however much it is used.
    pub session_lifetime: Duration,
    /// How long a username/address pair is refused after too many failed logins.
    pub login_lockout: Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl AuthSettings {
    /// When browser sessions end.
    pub fn session_limits(&self) -> crm::SessionLimits {
        crm::SessionLimits {
            idle: self.session_idle,
            lifetime: self.session_lifetime,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            secure_cookies: false,
            open_metrics: false,
            session_idle: Duration::from_secs(8 * 3600),
            session_lifetime: Duration::from_secs(12 * 3600),
            login_lockout: Duration::from_secs(30),
            trusted_proxies: Vec::new(),
        }
    }
}

/// One `[[accounts]]` table as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSection {
    pub username: Spanned<String>,
    /// Plain password, hashed with argon2id at start.
    #[serde(default)]
    pub password: Option<Spanned<String>>,
    /// An argon2 PHC string, instead of `password`.
    #[serde(default)]
    pub password_hash: Option<Spanned<String>>,
    /// admin, supervisor, qa or agent.
    pub role: Spanned<String>,
    /// The ACD agent id, for role agent.
    #[serde(default)]
    pub agent: Option<Spanned<String>>,
    /// A supervisor's or admin's phone: `*96<agent>` from this extension monitors the agent's
    /// call as this account (docs/acd.md, "Monitoring").
    #[serde(default)]
    pub extension: Option<Spanned<String>>,
    /// A bearer token for machine clients (stored as its SHA-256).
    #[serde(default)]
    pub token: Option<Spanned<String>>,
    /// The SHA-256 (64 lowercase hex digits) of a bearer token, instead of `token`: a file that
    /// need not hold the token itself (`switchboard config export` writes this).
    #[serde(default)]
    pub token_hash: Option<Spanned<String>>,
}

/// The secret an account logs in with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Plain(String),
    Hash(String),
}

/// A validated account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    pub username: String,
    pub secret: Secret,
    pub role: Role,
    pub agent: Option<String>,
    /// The phone this supervisor or admin monitors agents from.
    pub extension: Option<String>,
    /// SHA-256 hex of the bearer token.
    pub token_hash: Option<String>,
}

/// Validates the `[[accounts]]` tables; `agents` are the configured ACD agent ids.
pub fn resolve(
    sections: &[Spanned<AccountSection>],
    agents: &[String],
    problem: &mut dyn FnMut(Range<usize>, String),
) -> Vec<AccountSpec> {
    let mut out: Vec<AccountSpec> = Vec::new();
    for s in sections {
        let a = s.get_ref();
        let name = a.username.get_ref().to_ascii_lowercase();
        if let Err(e) = crm::validate_username(&name) {
            problem(a.username.span(), format!("accounts.username: {e}"));
            continue;
        }
        if out.iter().any(|o| o.username == name) {
            problem(
                a.username.span(),
                format!("accounts.username `{name}` is defined twice"),
            );
            continue;
        }
        let secret = match (&a.password, &a.password_hash) {
            (Some(p), None) if p.get_ref().chars().count() >= MIN_PASSWORD_CHARS => {
                Secret::Plain(p.get_ref().clone())
            }
            (Some(p), None) => {
                problem(
                    p.span(),
                    format!(
                        "accounts.password for `{name}` is too short ({MIN_PASSWORD_CHARS} characters at least)"
                    ),
                );
                continue;
            }
            (None, Some(h)) if is_argon2_hash(h.get_ref()) => Secret::Hash(h.get_ref().clone()),
            (None, Some(h)) => {
                problem(
                    h.span(),
                    format!("accounts.password_hash for `{name}` is not an argon2 PHC string"),
                );
                continue;
            }
            _ => {
                problem(
                    s.span(),
                    format!("account `{name}`: give exactly one of password, password_hash"),
                );
                continue;
            }
        };
        let Some(role) = Role::parse(a.role.get_ref()) else {
            problem(
                a.role.span(),
                format!(
                    "accounts.role `{}`: admin, supervisor, qa or agent",
                    a.role.get_ref()
                ),
            );
            continue;
        };
        let agent = match (role, &a.agent) {
            (Role::Agent, Some(id)) if agents.contains(id.get_ref()) => Some(id.get_ref().clone()),
            (Role::Agent, Some(id)) => {
                problem(
                    id.span(),
                    format!(
                        "accounts.agent `{}` is not a configured agent",
                        id.get_ref()
                    ),
                );
                continue;
            }
            (Role::Agent, None) => {
                problem(
                    s.span(),
                    format!("agent account `{name}` needs `agent = \"<id>\"`"),
                );
                continue;
            }
            (_, Some(id)) => {
                problem(id.span(), "accounts.agent is only for role agent".into());
                continue;
            }
            (_, None) => None,
        };
        let token_hash = match (&a.token, &a.token_hash) {
            (Some(_), Some(h)) => {
                problem(
                    h.span(),
                    "accounts: give `token` or `token_hash`, not both".into(),
                );
                continue;
            }
            (Some(t), None) if t.get_ref().len() < MIN_TOKEN_CHARS => {
                problem(
                    t.span(),
                    format!("accounts.token: at least {MIN_TOKEN_CHARS} random characters"),
                );
                continue;
            }
            (Some(t), None) => Some(token_hash(t.get_ref())),
            (None, Some(h)) if !is_token_hash(h.get_ref()) => {
                problem(
                    h.span(),
                    "accounts.token_hash: the SHA-256 of the token, 64 lowercase hex digits".into(),
                );
                continue;
            }
            (None, Some(h)) => Some(h.get_ref().clone()),
            (None, None) => None,
        };
        if token_hash.is_some() && out.iter().any(|o| o.token_hash == token_hash) {
            problem(
                s.span(),
                format!("account `{name}`: token already used by another account"),
            );
            continue;
        }
        let extension = match (role, &a.extension) {
            (Role::Admin | Role::Supervisor, Some(ext))
                if out
                    .iter()
                    .any(|o| o.extension.as_ref() == Some(ext.get_ref())) =>
            {
                problem(
                    ext.span(),
                    format!(
                        "accounts.extension `{}` is another account's phone",
                        ext.get_ref()
                    ),
                );
                continue;
            }
            (Role::Admin | Role::Supervisor, ext) => ext.as_ref().map(|e| e.get_ref().clone()),
            (_, Some(ext)) => {
                problem(
                    ext.span(),
                    "accounts.extension is only for role supervisor or admin (the phone they monitor from)".into(),
                );
                continue;
            }
            (_, None) => None,
        };
        out.push(AccountSpec {
            username: name,
            secret,
            role,
            agent,
            extension,
            token_hash,
        });
    }
    out
}

/// 64 lowercase hex digits, as `password::token_hash` writes.
fn is_token_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<AccountSpec>, Vec<String>) {
        #[derive(Deserialize)]
        struct F {
            accounts: Vec<Spanned<AccountSection>>,
        }
        let f: F = toml::from_str(text).expect("toml");
        let mut problems = Vec::new();
        let specs = resolve(&f.accounts, &["alice".into()], &mut |_, m| problems.push(m));
        (specs, problems)
    }

    #[test]
    fn a_supervisors_or_admins_phone_is_theirs_alone_and_never_an_agents() {
        let (specs, problems) = parse(
            r#"
[[accounts]]
username = "carol"
password = "long enough"
role = "supervisor"
extension = "1003"
[[accounts]]
username = "root"
password = "long enough"
role = "admin"
extension = "1003"
[[accounts]]
username = "alice"
password = "alice-secret"
role = "agent"
agent = "alice"
extension = "1001"
[[accounts]]
username = "boss"
password = "long enough"
role = "admin"
extension = "1009"
"#,
        );
        let names: Vec<_> = specs
            .iter()
            .map(|s| (s.username.as_str(), s.extension.as_deref()))
            .collect();
        assert_eq!(names, [("carol", Some("1003")), ("boss", Some("1009"))]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("another account's phone"),
            "{problems:?}"
        );
        assert!(
            problems[1].contains("only for role supervisor or admin"),
            "{problems:?}"
        );
    }

    #[test]
    fn accounts_resolve_with_roles_agents_and_tokens() {
        let (specs, problems) = parse(
            r#"
[[accounts]]
username = "Admin"
password = "long enough"
role = "admin"
token = "0123456789abcdef0123456789abcdef"
[[accounts]]
username = "alice"
password = "alice-secret"
role = "agent"
agent = "alice"
[[accounts]]
username = "script"
password = "long enough"
role = "supervisor"
token_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
"#,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(specs[0].username, "admin");
        assert_eq!(specs[0].token_hash.as_ref().map(String::len), Some(64));
        assert_eq!(
            specs[2].token_hash.as_deref(),
            Some(token_hash("test").as_str()),
            "a token given by its hash"
        );
        assert_eq!(specs[1].agent.as_deref(), Some("alice"));
        assert_eq!(specs[1].secret, Secret::Plain("alice-secret".into()));
    }

    #[test]
    fn mistakes_are_reported() {
        let (specs, problems) = parse(
            r#"
[[accounts]]
username = "a"
password = "short"
role = "admin"
[[accounts]]
username = "b"
password = "long enough"
role = "boss"
[[accounts]]
username = "c"
password = "long enough"
role = "agent"
agent = "nobody"
[[accounts]]
username = "d"
password = "long enough"
password_hash = "$argon2id$x"
role = "qa"
[[accounts]]
username = "e"
password = "long enough"
role = "qa"
token = "short"
[[accounts]]
username = "f"
password = "long enough"
role = "qa"
token_hash = "9F86D081"
[[accounts]]
username = "g"
password = "long enough"
role = "qa"
token = "0123456789abcdef0123456789abcdef"
token_hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
"#,
        );
        assert!(specs.is_empty());
        assert_eq!(problems.len(), 7, "{problems:?}");
        assert!(problems[5].contains("64 lowercase hex"), "{problems:?}");
        assert!(problems[6].contains("not both"), "{problems:?}");
        assert!(problems[1].contains("boss"));
        assert!(problems[2].contains("not a configured agent"));
    }
}
