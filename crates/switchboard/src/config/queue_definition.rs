//! Queue definitions and agents' memberships given as JSON (HTTP API bodies, and the rows the
//! API stored in the CRM database), checked by the same code as the configuration file: the
//! JSON object is turned into a `[[queues]]` table and resolved by `acd_sections::resolve`, so
//! field names, defaults and rules have one source. Problems come back per field.

use crate::config::acd_sections::{resolve, AcdSection, MembershipSection, QueueSection};
use crate::switch::QueueSetup;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use std::ops::Range;

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
    let mut table = toml::Table::new();
    let mut errors = Vec::new();
    for (key, value) in map {
        match to_toml(value) {
            Ok(Some(v)) => {
                table.insert(key.clone(), v);
            }
            Ok(None) => {} // null: the key's default, as when a TOML key is left out
            Err(message) => errors.push(FieldError::new(key.clone(), message)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = toml::to_string(&table).map_err(|e| {
        vec![FieldError::new(
            "",
            format!("cannot read the definition: {e}"),
        )]
    })?;
    let section: QueueSection = toml::from_str(&text).map_err(|e| {
        let at = e.span().map(|s| field_at(&text, s)).unwrap_or_default();
        let missing = e
            .message()
            .strip_prefix("missing field `")
            .and_then(|r| r.split_once('`'))
            .map(|(k, _)| k);
        // A missing key's span is its whole table: name the key instead.
        let field = match missing {
            Some(k) if at.ends_with(']') => format!("{at}.{k}"),
            Some(k) => k.to_string(),
            None => at,
        };
        vec![FieldError::new(field, e.message().to_string())]
    })?;
    // The queue's own number is left out of what it may collide with here (409 later, not 400).
    let mut known: HashSet<String> = extensions.union(queues).cloned().collect();
    if let Some(n) = &section.number {
        known.remove(n.get_ref());
    }
    let mut problem = |span: Range<usize>, message: String| {
        errors.push(FieldError::new(field_at(&text, span), message));
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

fn to_toml(v: &Value) -> Result<Option<toml::Value>, String> {
    Ok(Some(match v {
        Value::Null => return Ok(None),
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => toml::Value::Integer(i),
            (None, Some(_)) if n.is_u64() => return Err("number too large".into()),
            (None, Some(f)) => toml::Value::Float(f),
            (None, None) => return Err("not a number".into()),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match to_toml(item)? {
                    Some(v) => out.push(v),
                    None => return Err("null inside a list".into()),
                }
            }
            toml::Value::Array(out)
        }
        Value::Object(map) => {
            let mut t = toml::Table::new();
            for (k, v) in map {
                if let Some(v) = to_toml(v)? {
                    t.insert(k.clone(), v);
                }
            }
            toml::Value::Table(t)
        }
    }))
}

/// The field a span of the generated TOML text points into: `key`, or `table[i].key` inside
/// the i-th `[[table]]` (how arrays of tables such as `profile` are written).
fn field_at(text: &str, span: Range<usize>) -> String {
    let mut section: Option<(String, usize)> = None;
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(name) = trimmed
            .strip_prefix("[[")
            .and_then(|r| r.strip_suffix("]]"))
        {
            let name = unquote(name);
            let n = counts.entry(name.clone()).or_insert(0);
            section = Some((name, *n));
            *n += 1;
        }
        let end = offset + line.len();
        if span.start < end {
            let key = trimmed
                .split_once('=')
                .map(|(k, _)| unquote(k))
                .filter(|_| !trimmed.starts_with('['));
            return match (section, key) {
                (Some((s, i)), Some(k)) => format!("{s}[{i}].{k}"),
                (Some((s, i)), None) => format!("{s}[{i}]"),
                (None, Some(k)) => k,
                (None, None) => String::new(),
            };
        }
        offset = end;
    }
    String::new()
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').trim_matches('\'').to_string()
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
