//! The OpenAPI 3.1 document of the whole HTTP API, served at `GET /api/openapi.json` (open, like
//! `/health`: it describes the API, it gives nothing away).
//!
//! Operations come from one table ([`ops`]), checked against the router both ways by a test, so
//! the document cannot drift from what is served. Who may call each operation is not written
//! by hand: `x-roles` is asked of the permission table (`http::auth::roles`) for every role,
//! so the document says what the middleware enforces.

mod ops;

use std::sync::OnceLock;

use axum::http::Method;
use crm::Role;
use serde_json::{json, Map, Value};

use super::auth::roles::{self, Decision};
use super::routing::Routes;

/// What an operation's request body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    None,
    /// A JSON object (see docs/ for its fields).
    Json,
    /// CSV text.
    Csv,
}

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Op {
    pub method: &'static str,
    /// As axum writes it: `/api/cdrs/{id}`.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub body: Body,
    /// Query parameters; a trailing `*` marks a required one.
    pub query: &'static [&'static str],
}

const ROLES: [Role; 4] = [Role::Admin, Role::Supervisor, Role::Qa, Role::Agent];

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/openapi.json", || async {
        (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            document_text(),
        )
    })
}

/// The document as served, serialized once (it never changes while the process runs).
fn document_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| document().to_string())
}

/// The document, built once.
pub(crate) fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

fn build() -> Value {
    let mut paths = Map::new();
    for op in ops::OPS {
        let entry = paths
            .entry(op.path)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(op.method.to_ascii_lowercase(), operation(op));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard HTTP API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The softswitch's JSON API: the console pages use nothing else. \
                Log in with POST /api/login (a session cookie; state-changing requests then \
                send the returned token in X-CSRF-Token) or send an account's bearer token. \
                `x-roles` lists the roles the permission table lets through; agents are further \
                limited to their own agent id and calls where the path names them. \
                See docs/configuration.md and docs/operations.md.",
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": { "type": "apiKey", "in": "cookie", "name": "sb_session" },
                "bearer": { "type": "http", "scheme": "bearer" },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": { "type": "string", "description": "What was wrong, for a person." },
                        "field": { "type": "string", "description": "The input field at fault." },
                        "reason": { "type": "string", "description": "A stable code for programs." },
                    },
                },
            },
            "responses": {
                "Error": {
                    "description": "The request was refused; the body says why.",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
                },
            },
        },
    })
}

/// A path as a request names it, for asking the permission table (`{id}` → `x`).
fn sample_path(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "x" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

fn operation(op: &Op) -> Value {
    let method = Method::from_bytes(op.method.as_bytes()).unwrap_or(Method::GET);
    let sample = sample_path(op.path);
    let open = roles::is_open(&method, &sample, false) || roles::login_optional(&method, &sample);
    let allowed: Vec<&str> = ROLES
        .iter()
        .filter(|r| matches!(roles::decide(**r, &method, &sample), Decision::Allow(_)))
        .map(|r| r.as_str())
        .collect();
    let mut parameters: Vec<Value> = op
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    parameters.extend(op.query.iter().map(|q| {
        let (name, required) = match q.strip_suffix('*') {
            Some(n) => (n, true),
            None => (*q, false),
        };
        json!({ "name": name, "in": "query", "required": required, "schema": { "type": "string" } })
    }));
    let mut responses = Map::new();
    responses.insert(
        "2XX".into(),
        json!({ "description": "Done; see docs/ for the body." }),
    );
    let errors: &[&str] = if open {
        &["400"]
    } else {
        &["400", "401", "403", "404"]
    };
    for code in errors {
        responses.insert(
            (*code).into(),
            json!({ "$ref": "#/components/responses/Error" }),
        );
    }
    let mut out = json!({
        "operationId": operation_id(op),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
        "x-roles": if open { json!(["anyone"]) } else { json!(allowed) },
    });
    if open {
        out["security"] = json!([]);
    } else {
        out["security"] = json!([{ "session": [] }, { "bearer": [] }]);
    }
    let content = match op.body {
        Body::None => None,
        Body::Json => Some(("application/json", json!({ "type": "object" }))),
        Body::Csv => Some(("text/csv", json!({ "type": "string" }))),
    };
    if let Some((mime, schema)) = content {
        out["requestBody"] = json!({ "required": true, "content": { mime: { "schema": schema } } });
    }
    out
}

/// `GET /api/cdrs/{id}/recordings` → `get_cdrs_id_recordings`: unique because (method, path) is.
fn operation_id(op: &Op) -> String {
    let raw: String = std::iter::once(op.method.to_ascii_lowercase())
        .chain(
            op.path
                .split('/')
                .filter(|s| !s.is_empty() && *s != "api")
                .map(str::to_string),
        )
        .collect::<Vec<_>>()
        .join("_")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    raw.split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The document and the router list the same operations: a route served but not
    /// documented, or documented but not served, fails here. The console's static files
    /// (pages, scripts, messages) are not API and are left out.
    #[test]
    fn the_document_lists_exactly_the_routes_served() {
        let served: BTreeSet<(String, String)> = crate::http::routes_for_tests()
            .list()
            .iter()
            .filter(|(m, p)| !(*m == Method::GET && crate::http::pages::is_page(p)))
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        let documented: BTreeSet<(String, String)> = ops::OPS
            .iter()
            .map(|o| (o.method.to_string(), o.path.to_string()))
            .collect();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let not_served: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty() && not_served.is_empty(),
            "served but not in http/openapi/ops.rs: {undocumented:#?}\n\
             documented but not served: {not_served:#?}"
        );
        assert_eq!(
            documented.len(),
            ops::OPS.len(),
            "an operation listed twice"
        );
    }

    #[test]
    fn every_operation_is_well_formed() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut ids = BTreeSet::new();
        let paths = doc["paths"].as_object().expect("paths");
        for (path, methods) in paths {
            for (method, op) in methods.as_object().expect("methods") {
                let id = op["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
                let params = op["parameters"].as_array().expect("parameters");
                for seg in path.split('/').filter_map(|s| s.strip_prefix('{')) {
                    let name = seg.trim_end_matches('}');
                    assert!(
                        params
                            .iter()
                            .any(|p| p["in"] == "path" && p["name"] == name),
                        "{method} {path}: path parameter {name} not declared"
                    );
                }
                let roles = op["x-roles"].as_array().expect("x-roles");
                assert!(!roles.is_empty(), "{method} {path}: nobody may call it");
                assert!(!op["summary"].as_str().unwrap_or("").is_empty());
            }
        }
        assert_eq!(ids.len(), ops::OPS.len());
    }

    /// `x-roles` comes from the permission table: spot checks of what it enforces.
    #[test]
    fn roles_are_those_the_permission_table_enforces() {
        let doc = document();
        let roles = |path: &str, method: &str| doc["paths"][path][method]["x-roles"].clone();
        assert_eq!(roles("/api/trunks", "get"), json!(["admin"]));
        assert_eq!(roles("/health", "get"), json!(["anyone"]));
        assert_eq!(roles("/api/openapi.json", "get"), json!(["anyone"]));
        assert_eq!(roles("/api/session", "get"), json!(["anyone"]));
        assert_eq!(
            roles("/api/cdrs/{id}", "get"),
            json!(["admin", "supervisor", "qa", "agent"])
        );
        assert_eq!(roles("/api/queues", "post"), json!(["admin", "supervisor"]));
        assert_eq!(
            doc["paths"]["/api/trunks"]["get"]["security"],
            json!([{ "session": [] }, { "bearer": [] }])
        );
        assert_eq!(doc["paths"]["/health"]["get"]["security"], json!([]));
    }

    #[test]
    fn operation_ids_read_like_their_route() {
        let op = |method, path| Op {
            method,
            path,
            tag: "t",
            summary: "s",
            body: Body::None,
            query: &[],
        };
        assert_eq!(
            operation_id(&op("GET", "/api/cdrs/{id}/recordings")),
            "get_cdrs_id_recordings"
        );
        assert_eq!(operation_id(&op("GET", "/health")), "get_health");
        assert_eq!(
            operation_id(&op("GET", "/api/wrap-up-codes")),
            "get_wrap_up_codes"
        );
        assert_eq!(
            operation_id(&op("GET", "/api/openapi.json")),
            "get_openapi_json"
        );
    }
}
