//! Queue definitions and agents' memberships given as JSON (HTTP API bodies, and the rows the
//! API stored in the CRM database), checked by the same code as the configuration file: the
//! JSON object is deserialized into the `[[queues]]` section type (`QueueSection<String>`) and
//! resolved by `acd_sections::resolve`, so field names, defaults and rules have one source.
//! Problems come back per field, by the path serde or the resolver was at.

use crate::config::acd_sections::{resolve, AcdSection, MembershipSection, Place, QueueSection};
use crate::switch::QueueSetup;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;

/// One problem with a body, by field (`profile[1].skills`; empty for the body as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Check a queue definition (a JSON object with the `[[queues]]` keys). `queues` are the names
/// of the other queues and `extensions` the users' extensions, which an `overflow` may name.
/// A number used elsewhere is not checked here: the switch refuses it when applying.
pub fn parse_queue(
    body: &Value,
    queues: &HashSet<String>,
    extensions: &HashSet<String>,
) -> Result<QueueSetup, Vec<FieldError>> {
    let Value::Object(map) = body else {
        return Err(vec![FieldError::new("", "expected a JSON object")]);
    };
    let mut values = serde_json::Map::new();
    let mut errors = Vec::new();
    for (key, value) in map {
        match as_in_file(value) {
            Ok(Some(v)) => {
                values.insert(key.clone(), v);
            }
            Ok(None) => {} // null: the key's default, as when a TOML key is left out
            Err(message) => errors.push(FieldError::new(key.clone(), message)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let section: QueueSection<String> = serde_path_to_error::deserialize(Value::Object(values))
        .map_err(|e| vec![field_error(e)])?;
    // The switch reads offer policies once, from the file: a stored queue cannot carry one.
    if section.offers.is_some() {
        return Err(vec![FieldError::new(
            "offers",
            "offers can only be set in the configuration file",
        )]);
    }
    // The queue's own number is left out of what it may collide with here (409 later, not 400).
    let mut known: HashSet<String> = extensions.union(queues).cloned().collect();
    if let Some(n) = &section.number {
        known.remove(n);
    }
    let mut problem = |at: Place, message: String| {
        errors.push(FieldError::new(at.field, message));
    };
    let mut setup = resolve(
        AcdSection::default(),
        vec![section],
        Vec::new(),
        &known,
        &mut problem,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    setup
        .queues
        .pop()
        .ok_or_else(|| vec![FieldError::new("name", "the queue was not accepted")])
}

/// A body's problem as its field: the path serde was at (`profile[1].skills`), and for a missing
/// key the key inside that object (`profile[0].for_s`), as a file's problem names its line.
pub(crate) fn field_error(e: serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let path = e.path().to_string();
    let at = if path == "." { "" } else { path.as_str() };
    let message = e.inner().to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|r| r.split_once('`'))
        .map(|(k, _)| k);
    let field = match missing {
        Some(k) if !at.is_empty() => format!("{at}.{k}"),
        Some(k) => k.to_string(),
        None => at.to_string(),
    };
    FieldError::new(field, message)
}

/// Check a membership list (the `[[agents]] queues` value: names, or objects with `queue`,
/// `weight` and `order`; order defaults to the position in the list).
pub fn parse_memberships(list: &Value) -> Result<Vec<acd::Membership>, Vec<FieldError>> {
    let Value::Array(items) = list else {
        return Err(vec![FieldError::new("queues", "expected a JSON array")]);
    };
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("queues[{i}]");
        match serde_json::from_value::<MembershipSection>(item.clone()) {
            Ok(MembershipSection::Name(queue)) => out.push(acd::Membership {
                queue,
                weight: 0,
                order: i as u32,
            }),
            Ok(MembershipSection::Full {
                queue,
                weight,
                order,
            }) => out.push(acd::Membership {
                queue,
                weight,
                order: order.unwrap_or(i as u32),
            }),
            Err(_) => errors.push(FieldError::new(
                field,
                "a queue name, or {\"queue\": name, \"weight\": n, \"order\": n}",
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Memberships as stored and shown: objects with every key.
pub fn memberships_json(list: &[acd::Membership]) -> Value {
    Value::Array(
        list.iter()
            .map(|m| serde_json::json!({ "queue": m.queue, "weight": m.weight, "order": m.order }))
            .collect(),
    )
}

/// The value as the configuration file could hold it: TOML has no null (a key left out takes
/// its default, so nulls in objects are dropped; in a list they are refused) and no integer
/// beyond i64, so both rules are the file's for API bodies too.
fn as_in_file(v: &Value) -> Result<Option<Value>, String> {
    Ok(Some(match v {
        Value::Null => return Ok(None),
        Value::Number(n) if n.as_i64().is_none() && n.is_u64() => {
            return Err("number too large".into())
        }
        Value::Bool(_) | Value::Number(_) | Value::String(_) => v.clone(),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match as_in_file(item)? {
                    Some(v) => out.push(v),
                    None => return Err("null inside a list".into()),
                }
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                if let Some(v) = as_in_file(v)? {
                    out.insert(k.clone(), v);
                }
            }
            Value::Object(out)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(items: &[&str]) -> HashSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_definition_resolves_like_the_file() {
        let body = json!({
            "name": "vip", "number": "7100", "strategy": "ring-all", "ring_timeout_s": 9,
            "overflow": "general", "max_wait_s": null,
            "profile": [{ "skills": "loans:4, korean", "for_s": 30 }]
        });
        let q = parse_queue(&body, &set(&["general"]), &set(&["1001"])).unwrap();
        assert_eq!(q.cfg.name, "vip");
        assert_eq!(q.number.as_deref(), Some("7100"));
        assert_eq!(q.cfg.strategy, acd::Strategy::RingAll);
        assert_eq!(q.cfg.ring_timeout, std::time::Duration::from_secs(9));
        assert_eq!(q.cfg.max_wait, None);
        assert_eq!(q.cfg.profile[0].skills.get("korean"), Some(&1));
        let plain = parse_queue(&json!({"name": "x"}), &set(&[]), &set(&[])).unwrap();
        assert_eq!(plain.cfg, acd::QueueConfig::new("x"), "same defaults");
    }

    #[test]
    fn problems_name_their_field() {
        let body = json!({
            "name": "vip", "strategy": "fastest", "overflow": "nowhere",
            "profile": [{ "skills": "loans", "for_s": 5 }, { "skills": "loans:9", "for_s": 5 }]
        });
        let errs = parse_queue(&body, &set(&[]), &set(&[])).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["strategy", "overflow", "profile[1].skills"],
            "{errs:?}"
        );
        assert!(errs[0].message.contains("unknown strategy `fastest`"));
        for (body, field) in [
            (
                json!({"name": "q", "ring_timeout_s": "ten"}),
                "ring_timeout_s",
            ),
            (json!({"name": "q", "colour": "red"}), "colour"),
            (json!({"name": "bad name"}), "name"),
            (json!({"strategy": "linear"}), "name"),
            (json!({"name": "q", "max_len": -1}), "max_len"),
            (
                json!({"name": "q", "profile": [{"skills": "a"}]}),
                "profile[0].for_s",
            ),
            (json!([1]), ""),
            // Paths the TOML text used to lose: an exit key's value, a list item, a table
            // where a list belongs.
            (json!({"name": "q", "exit_keys": {"1": 5}}), "exit_keys.1"),
            (
                json!({"name": "q", "exit_keys": {"3": "voicemail"}}),
                "exit_keys.3",
            ),
            (json!({"name": "q", "announce": [1]}), "announce[0]"),
            (json!({"name": "q", "profile": {"skills": "a"}}), "profile"),
            (json!({"name": "q", "announce": ["a", null]}), "announce"),
            (
                json!({"name": "q", "ring_timeout_s": 18446744073709551615u64}),
                "ring_timeout_s",
            ),
        ] {
            let errs = parse_queue(&body, &set(&[]), &set(&[])).unwrap_err();
            assert_eq!(errs[0].field, field, "{body}: {errs:?}");
        }
    }

    #[test]
    fn memberships_take_names_or_objects() {
        let list = json!(["general", {"queue": "vip", "weight": 2}, {"queue": "x", "order": 9}]);
        let m = parse_memberships(&list).unwrap();
        assert_eq!(
            (m[0].queue.as_str(), m[0].weight, m[0].order),
            ("general", 0, 0)
        );
        assert_eq!(
            (m[1].queue.as_str(), m[1].weight, m[1].order),
            ("vip", 2, 1)
        );
        assert_eq!(m[2].order, 9);
        assert_eq!(
            memberships_json(&m)[1],
            json!({"queue": "vip", "weight": 2, "order": 1})
        );
        let errs = parse_memberships(&json!(["ok", {"weight": 1}, 5])).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["queues[1]", "queues[2]"]);
        assert!(parse_memberships(&json!({"queue": "x"})).is_err());
    }
}
