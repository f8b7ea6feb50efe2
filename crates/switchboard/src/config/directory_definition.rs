//! Extensions and agents given as JSON (HTTP API bodies, and the rows the API stored in the
//! CRM database), checked by the same rules as the configuration file: an extension's shape
//! and its SIP password's strength (`config::extension_shape`, `sip_password_strength`), an
//! agent's `[[agents]]` keys through `acd_sections::resolve_agents` (`AgentSection<String>`).
//! Problems come back per field. Secrets are write-only: [`agent_json`] says whether a PIN is
//! set, never which.

use crate::config::acd_sections::{resolve_agents, AgentSection, Place};
use crate::config::queue_definition::{field_error, FieldError};
use crate::config::{extension_shape, sip_password_strength, User};
use crate::switch::AgentSetup;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashSet;

/// Longest display name of an extension.
const MAX_NAME_CHARS: usize = 100;

/// An extension's body: `password` may be left out when it stays as it is (`current`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserBody {
    extension: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// Check an extension's body. `current` is the password it has now (changing only the name);
/// a new extension must bring one.
pub fn parse_user(body: &Value, current: Option<&str>) -> Result<User, Vec<FieldError>> {
    let b: UserBody =
        serde_path_to_error::deserialize(body.clone()).map_err(|e| vec![field_error(e)])?;
    let mut errors = Vec::new();
    if let Err(why) = extension_shape(&b.extension) {
        errors.push(FieldError::new("extension", why));
    }
    let name = b
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control))
    {
        errors.push(FieldError::new(
            "name",
            format!("at most {MAX_NAME_CHARS} characters, no control characters"),
        ));
    }
    let password = match (b.password, current) {
        (Some(p), _) => {
            if let Err(why) = sip_password_strength(&p) {
                errors.push(FieldError::new("password", format!("too weak: {why}")));
            }
            p
        }
        (None, Some(c)) => c.to_string(),
        (None, None) => {
            errors.push(FieldError::new(
                "password",
                "a new extension needs a password",
            ));
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(User {
        extension: b.extension,
        password,
        name,
    })
}

/// An extension's stored definition (with its password: the database is as private as the file).
pub fn user_json(u: &User) -> Value {
    json!({ "extension": u.extension, "name": u.name, "password": u.password })
}

/// Check an agent's body (the `[[agents]]` keys) against the queues and extensions that exist.
pub fn parse_agent(
    body: &Value,
    queues: &HashSet<String>,
    extensions: &HashSet<String>,
) -> Result<AgentSetup, Vec<FieldError>> {
    if !body.is_object() {
        return Err(vec![FieldError::new("", "expected a JSON object")]);
    }
    // TOML has no null: a null key is a key left out, as for queues.
    let body = match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    let section: AgentSection<String> =
        serde_path_to_error::deserialize(body).map_err(|e| vec![field_error(e)])?;
    let mut errors = Vec::new();
    let mut problem = |at: Place, message: String| errors.push(FieldError::new(at.field, message));
    let mut agents = resolve_agents(vec![section], queues, extensions, &mut problem);
    if !errors.is_empty() {
        return Err(errors);
    }
    agents
        .pop()
        .ok_or_else(|| vec![FieldError::new("id", "the agent was not accepted")])
}

/// Skills as the file writes them: `"loans:4, korean:5"`.
fn skills_text(skills: &acd::Skills) -> String {
    skills
        .iter()
        .map(|(name, level)| format!("{name}:{level}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An agent as the API shows it: the `[[agents]]` keys, queues with weight and order, and
/// `has_pin` instead of the PIN.
pub fn agent_json(a: &AgentSetup) -> Value {
    let mut v = stored_agent_json(a);
    if let Value::Object(map) = &mut v {
        map.remove("pin");
        map.insert("has_pin".into(), Value::Bool(a.pin.is_some()));
    }
    v
}

/// An agent as stored: the `[[agents]]` keys, PIN included, that [`parse_agent`] reads back.
pub fn stored_agent_json(a: &AgentSetup) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("id".into(), json!(a.cfg.id));
    let optional = [
        ("name", a.name.clone()),
        ("extension", a.extension.clone()),
        ("pin", a.pin.clone()),
        (
            "skills",
            Some(skills_text(&a.cfg.skills)).filter(|s| !s.is_empty()),
        ),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            map.insert(key.into(), json!(v));
        }
    }
    map.insert(
        "queues".into(),
        crate::config::queue_definition::memberships_json(&a.cfg.queues),
    );
    map.insert("max_missed".into(), json!(a.cfg.max_missed));
    if let Some(w) = a.cfg.wrap_up {
        map.insert("wrap_up_s".into(), json!(w.as_secs()));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn users_follow_the_files_rules() {
        let u = parse_user(
            &json!({"extension": "2001", "name": " Kim ", "password": "secret-2001"}),
            None,
        )
        .unwrap();
        assert_eq!(
            (u.name.as_deref(), u.password.as_str()),
            (Some("Kim"), "secret-2001")
        );
        let kept = parse_user(&json!({"extension": "2001"}), Some("old-pass-1")).unwrap();
        assert_eq!(kept.password, "old-pass-1", "no password: it stays");
        for (body, field) in [
            (
                json!({"extension": "20 01", "password": "secret-2001"}),
                "extension",
            ),
            (
                json!({"extension": "2001", "password": "1234567890"}),
                "password",
            ),
            (
                json!({"extension": "2001", "password": "short-1"}),
                "password",
            ),
            (json!({"extension": "2001"}), "password"),
            (json!({"password": "secret-2001"}), "extension"),
            (json!({"extension": "2001", "colour": "red"}), "colour"),
        ] {
            let errs = parse_user(&body, None).unwrap_err();
            assert_eq!(errs[0].field, field, "{body}: {errs:?}");
        }
    }

    #[test]
    fn agents_resolve_like_the_file_and_hide_the_pin() {
        let body = json!({
            "id": "a2001", "name": "Lee", "extension": "2001", "pin": "4321",
            "skills": "loans:4, korean", "queues": ["general", {"queue": "vip", "weight": 2}]
        });
        let a = parse_agent(&body, &set(&["general", "vip"]), &set(&["2001"])).unwrap();
        assert_eq!(a.cfg.skills.get("loans"), Some(&4));
        assert_eq!(a.cfg.queues[1].weight, 2);
        let shown = agent_json(&a);
        assert_eq!(shown["has_pin"], true);
        assert!(shown.get("pin").is_none(), "write-only: {shown}");
        assert_eq!(
            shown["queues"][1],
            json!({"queue": "vip", "weight": 2, "order": 1})
        );
        let stored = stored_agent_json(&a);
        let again = parse_agent(&stored, &set(&["general", "vip"]), &set(&["2001"])).unwrap();
        assert_eq!(again.cfg, a.cfg, "the stored form reads back the same");
        assert_eq!(again.pin.as_deref(), Some("4321"));
        for (body, field) in [
            (json!({"id": "a", "extension": "9999"}), "extension"),
            (json!({"id": "a", "pin": "12"}), "pin"),
            (json!({"id": "a", "skills": "loans:9"}), "skills"),
            (json!({"id": "a", "queues": ["nope"]}), "queues[0]"),
            (json!({"id": "bad id"}), "id"),
            (json!({"name": "x"}), "id"),
            (json!({"id": "a", "max_missed": "x"}), "max_missed"),
        ] {
            let errs = parse_agent(&body, &set(&["general"]), &set(&["2001"])).unwrap_err();
            assert_eq!(errs[0].field, field, "{body}: {errs:?}");
        }
    }
}
