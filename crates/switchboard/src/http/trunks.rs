//! Managing SIP trunks and DIDs over HTTP (admins only): `GET /api/trunks` (the plan and each
//! trunk's live state), `POST /api/trunks`, `PUT` and `DELETE /api/trunks/{name}`, and the same
//! for `/api/dids` (`{number}`). Bodies use the `[[trunks]]` / `[[dids]]` keys and are checked by
//! the configuration's code (`config::trunks`), then as a whole plan (`TrunkPlan::validate`) by
//! the driver before the switch takes it; the definition is stored in the CRM database (so it
//! survives a restart, over the configuration file's, as stored queues do) and the change is
//! audited. A trunk's password is never shown (`password_set`) nor audited; a `PUT` without
//! one keeps the password the trunk has. docs/trunks.md, "Managing trunks over HTTP".

use crate::config::queue_definition::FieldError;
use crate::config::trunks::{
    did_json, resolve_did, resolve_trunk, trunk_json, DidSection, TrunkSection,
};
use crate::driver::sip::Control;
use crate::driver::trunks::{TrunkChange, TrunkChangeError, TrunkFigures, TrunkView};
use crate::http::auth::Principal;
use crate::http::error::{ApiError, ApiResult};
use crate::http::routing::Routes;
use crate::http::{ask_switch, App};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::net::SocketAddr;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/trunks", list_trunks)
        .post("/api/trunks", create_trunk)
        .put("/api/trunks/{name}", replace_trunk)
        .delete("/api/trunks/{name}", remove_trunk)
        .get("/api/dids", list_dids)
        .post("/api/dids", create_did)
        .put("/api/dids/{number}", replace_did)
        .delete("/api/dids/{number}", remove_did)
}

impl From<TrunkChangeError> for ApiError {
    fn from(e: TrunkChangeError) -> Self {
        match e {
            TrunkChangeError::NotFound(what) => ApiError::not_found(format!("no {what}")),
            TrunkChangeError::Exists(what) => ApiError::conflict(format!("{what} exists already")),
            TrunkChangeError::Invalid(errors) => ApiError::invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError::new("", e.to_string()))
                    .collect(),
            ),
        }
    }
}

async fn view(app: &App) -> ApiResult<TrunkView> {
    ask_switch(app, |reply| Control::TrunkView { reply })
        .await
        .ok_or_else(ApiError::stopping)
}

async fn change(app: &App, change: TrunkChange) -> ApiResult<()> {
    let answer = ask_switch(app, |reply| Control::Trunks { change, reply }).await;
    Ok(answer.ok_or_else(ApiError::stopping)??)
}

/// A JSON object body as a section: nulls are left-out keys (the default, as in the file) and
/// `password_set` (what a `GET` shows) is ignored, so a trunk read can be sent back.
fn section<T: DeserializeOwned>(body: &[u8], path_key: (&str, Option<&str>)) -> ApiResult<T> {
    let whole = |m: String| ApiError::invalid(vec![FieldError::new("", m)]);
    let value: Value =
        serde_json::from_slice(body).map_err(|e| whole(format!("bad JSON body: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(whole("expected a JSON object".into()));
    };
    map.retain(|k, v| !v.is_null() && k != "password_set");
    let (key, from_path) = path_key;
    if let Some(p) = from_path {
        match map.get(key) {
            None => {
                map.insert(key.into(), Value::String(p.to_string()));
            }
            Some(Value::String(v)) if v == p => {}
            Some(_) => {
                return Err(ApiError::invalid(vec![FieldError::new(
                    key,
                    format!("must be `{p}` as in the path"),
                )]))
            }
        }
    }
    serde_path_to_error::deserialize(Value::Object(map)).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        ApiError::invalid(vec![FieldError::new(field, e.inner().to_string())])
    })
}

fn problems(errors: Vec<(&'static str, String)>) -> ApiError {
    ApiError::invalid(
        errors
            .into_iter()
            .map(|(k, m)| FieldError::new(k, m))
            .collect(),
    )
}

async fn audit(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    action: crm::AuditAction,
    object: &str,
    detail: &Value,
) -> ApiResult<()> {
    crate::http::queue_admin::audit(app, who, remote, action, object, detail.to_string()).await
}

fn stored(key: &str, who: &Principal, definition: Option<String>) -> crm::StoredDefinition {
    crm::StoredDefinition {
        key: key.to_string(),
        definition,
        updated_at: chrono::Utc::now(),
        updated_by: who.username.clone(),
    }
}

/// `GET /api/trunks`: every trunk with its state, the denied prefixes.
async fn list_trunks(State(app): State<App>) -> ApiResult {
    let TrunkView { plan, status } = view(&app).await?;
    let trunks: Vec<Value> = plan
        .trunks
        .iter()
        .map(|t| {
            let mut v = trunk_json(t);
            let state = status.iter().find(|s| s.name == t.name);
            v["status"] = match state {
                Some(s) => {
                    let mut figures =
                        serde_json::to_value(TrunkFigures::from(s)).unwrap_or(Value::Null);
                    if let (Value::Object(m), trunk::Registration::Registered { expires_in }) =
                        (&mut figures, s.registration)
                    {
                        m.insert("expires_in_s".into(), expires_in.as_secs().into());
                    }
                    figures
                }
                None => Value::Null,
            };
            v
        })
        .collect();
    Ok(Json(json!({ "trunks": trunks, "deny_prefixes": plan.deny_prefixes })).into_response())
}

/// A trunk body resolved, keeping the running trunk's password when the body names none.
async fn trunk_body(
    app: &App,
    body: &[u8],
    name: Option<&str>,
) -> ApiResult<(TrunkSection, trunk::TrunkSetup)> {
    let mut s: TrunkSection = section(body, ("name", name))?;
    if s.password.is_none() {
        let plan = view(app).await?.plan;
        let running = plan.trunk(&s.name).and_then(|t| t.credentials.as_ref());
        if let Some(c) = running.filter(|c| s.username.as_ref() == Some(&c.username)) {
            s.password = Some(c.password.clone());
        }
    }
    let setup = resolve_trunk(&s).map_err(problems)?;
    Ok((s, setup))
}

/// What is stored (the password included: the switch registers with it after a restart) and
/// what is audited (without it).
fn trunk_rows(s: &TrunkSection, setup: &trunk::TrunkSetup) -> ApiResult<(String, Value)> {
    let stored = serde_json::to_string(s)
        .map_err(|e| ApiError::bad_request(format!("definition not storable: {e}")))?;
    Ok((stored, trunk_json(setup)))
}

/// `POST /api/trunks`: add a trunk (201).
async fn create_trunk(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> ApiResult {
    let (s, setup) = trunk_body(&app, &body, None).await?;
    let (row, shown) = trunk_rows(&s, &setup)?;
    let create = TrunkChange::PutTrunk {
        trunk: Box::new(setup),
        create: true,
    };
    change(&app, create).await?;
    app.crm
        .upsert_trunk_definition(&stored(&s.name, &who, Some(row)))
        .await?;
    let action = crm::AuditAction::TrunkCreate;
    audit(&app, &who, remote, action, &s.name, &shown).await?;
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

/// `PUT /api/trunks/{name}`: replace a trunk's settings (calls in progress go on).
async fn replace_trunk(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let (s, setup) = trunk_body(&app, &body, Some(&name)).await?;
    let (row, shown) = trunk_rows(&s, &setup)?;
    let replace = TrunkChange::PutTrunk {
        trunk: Box::new(setup),
        create: false,
    };
    change(&app, replace).await?;
    app.crm
        .upsert_trunk_definition(&stored(&name, &who, Some(row)))
        .await?;
    let action = crm::AuditAction::TrunkUpdate;
    audit(&app, &who, remote, action, &name, &shown).await?;
    Ok(Json(shown).into_response())
}

/// `DELETE /api/trunks/{name}`: registrations stop, calls in progress go on.
async fn remove_trunk(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
) -> ApiResult {
    change(&app, TrunkChange::RemoveTrunk(name.clone())).await?;
    // A configuration-file trunk stays removed at the next start: keep a removal row.
    let from_file = app.reloader.config().trunks.trunk(&name).is_some();
    if from_file {
        app.crm
            .upsert_trunk_definition(&stored(&name, &who, None))
            .await?;
    } else {
        app.crm.delete_trunk_definition(&name).await?;
    }
    let action = crm::AuditAction::TrunkDelete;
    audit(&app, &who, remote, action, &name, &json!({})).await?;
    Ok(Json(json!({ "removed": name })).into_response())
}

/// `GET /api/dids`.
async fn list_dids(State(app): State<App>) -> ApiResult {
    let plan = view(&app).await?.plan;
    let dids: Vec<Value> = plan.dids.iter().map(did_json).collect();
    Ok(Json(json!({ "dids": dids })).into_response())
}

async fn put_did(
    app: &App,
    who: &Principal,
    remote: SocketAddr,
    body: &[u8],
    number: Option<&str>,
) -> ApiResult<Value> {
    let s: DidSection = section(body, ("number", number))?;
    let did = resolve_did(&s).map_err(problems)?;
    check_target(app, &did.target).await?;
    let shown = did_json(&did);
    let key = did.number.clone();
    let create = number.is_none();
    change(app, TrunkChange::PutDid { did, create }).await?;
    app.crm
        .upsert_did_definition(&stored(&key, who, Some(shown.to_string())))
        .await?;
    let action = match create {
        true => crm::AuditAction::DidCreate,
        false => crm::AuditAction::DidUpdate,
    };
    audit(app, who, remote, action, &key, &shown).await?;
    Ok(shown)
}

/// A DID's queue and extension must be running, as the file is checked (a
/// route is the dialplans' to know: a number no plan routes is refused when called).
async fn check_target(app: &App, target: &trunk::DidTarget) -> ApiResult<()> {
    let missing = match target {
        trunk::DidTarget::Queue(q) => {
            let snapshot = crate::http::acd::take_snapshot(app).await?;
            (!snapshot.queues.iter().any(|x| x.name == *q))
                .then(|| ("queue", format!("no queue `{q}`")))
        }
        trunk::DidTarget::Extension(e) => {
            // The extensions running now, those added through the API included.
            let known = crate::http::user_admin::extensions(app).await?.contains(e);
            (!known).then(|| ("extension", format!("no extension `{e}`")))
        }
        trunk::DidTarget::Route(_) => None,
    };
    match missing {
        Some((field, message)) => Err(ApiError::invalid(vec![FieldError::new(field, message)])),
        None => Ok(()),
    }
}

/// `POST /api/dids`: add a DID (201).
async fn create_did(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> ApiResult {
    let shown = put_did(&app, &who, remote, &body, None).await?;
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

/// `PUT /api/dids/{number}`: route a DID elsewhere.
async fn replace_did(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(number): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let shown = put_did(&app, &who, remote, &body, Some(&number)).await?;
    Ok(Json(shown).into_response())
}

/// `DELETE /api/dids/{number}`: calls to it get 404 from then on.
async fn remove_did(
    State(app): State<App>,
    Extension(who): Extension<Principal>,
    ConnectInfo(remote): ConnectInfo<SocketAddr>,
    Path(number): Path<String>,
) -> ApiResult {
    change(&app, TrunkChange::RemoveDid(number.clone())).await?;
    let from_file = app
        .reloader
        .config()
        .trunks
        .dids
        .iter()
        .any(|d| d.number == number);
    if from_file {
        app.crm
            .upsert_did_definition(&stored(&number, &who, None))
            .await?;
    } else {
        app.crm.delete_did_definition(&number).await?;
    }
    let action = crm::AuditAction::DidDelete;
    audit(&app, &who, remote, action, &number, &json!({})).await?;
    Ok(Json(json!({ "removed": number })).into_response())
}

/// Writes one metric of `/metrics`: name, help, type and the samples (labels, value).
pub(crate) type GaugeWriter<'a> = dyn FnMut(&str, &str, &str, &[(String, f64)]) + 'a;

/// The trunks' lines of `/metrics` (docs/metrics.md), through the endpoint's `gauge` writer
/// (name, help, type, samples).
pub(crate) fn metrics(gauge: &mut GaugeWriter<'_>, trunks: &[TrunkFigures]) {
    let per_trunk = |f: &dyn Fn(&crate::driver::trunks::TrunkFigures) -> f64| {
        trunks
            .iter()
            .map(|t| (format!("{{trunk=\"{}\"}}", t.name), f(t)))
            .collect::<Vec<_>>()
    };
    let mut states = Vec::new();
    for t in trunks {
        for (kind, value, all) in [
            (
                "registration",
                t.registration,
                &["not_configured", "registering", "registered", "failed"][..],
            ),
            ("health", t.health, &["unknown", "up", "down"][..]),
        ] {
            for v in all {
                let on = if *v == value { 1.0 } else { 0.0 };
                states.push((kind, format!("{{trunk=\"{}\",state=\"{v}\"}}", t.name), on));
            }
        }
    }
    for kind in ["registration", "health"] {
        let samples: Vec<(String, f64)> = states
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, labels, v)| (labels.clone(), *v))
            .collect();
        let help = match kind {
            "registration" => "1 for the trunk's registration state (not_configured, registering, registered, failed).",
            _ => "1 for the trunk's health from OPTIONS pings (unknown, up, down).",
        };
        gauge(
            &format!("switchboard_trunk_{kind}"),
            help,
            "gauge",
            &samples,
        );
    }
    gauge(
        "switchboard_trunk_channels",
        "Calls on the trunk now, both directions.",
        "gauge",
        &per_trunk(&|t| f64::from(t.channels)),
    );
    gauge(
        "switchboard_trunk_calls_in_total",
        "Calls the carrier delivered over the trunk since the switch started.",
        "counter",
        &per_trunk(&|t| t.calls_in as f64),
    );
    gauge(
        "switchboard_trunk_calls_out_total",
        "Calls sent to the carrier over the trunk since the switch started.",
        "counter",
        &per_trunk(&|t| t.calls_out as f64),
    );
    gauge(
        "switchboard_trunk_refused_total",
        "Calls refused (inbound 503) or skipped (outbound) because the trunk was at its channel or calls-per-second limit.",
        "counter",
        &per_trunk(&|t| t.refused as f64),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_as_sections_and_keep_to_the_path() {
        let body = br#"{"name":"carrier-a","host":"192.0.2.1","password_set":true,"port":null}"#;
        let s: TrunkSection = section(body, ("name", Some("carrier-a"))).unwrap();
        assert_eq!((s.name.as_str(), s.port), ("carrier-a", None));
        let s: TrunkSection = section(br#"{"host":"h"}"#, ("name", Some("b"))).unwrap();
        assert_eq!(s.name, "b", "the name comes from the path");
        assert!(
            section::<TrunkSection>(br#"{"name":"x","host":"h"}"#, ("name", Some("y"))).is_err()
        );
        let e = section::<TrunkSection>(br#"{"name":"x","host":"h","colour":1}"#, ("name", None))
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert!(section::<TrunkSection>(b"[1]", ("name", None)).is_err());
        let d: DidSection =
            section(br#"{"queue":"loans"}"#, ("number", Some("+8215881111"))).unwrap();
        assert_eq!(d.number, "+8215881111");
    }

    #[test]
    fn plan_refusals_map_by_variant() {
        let e = ApiError::from(TrunkChangeError::NotFound("trunk x".into()));
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        let e = ApiError::from(TrunkChangeError::Exists("trunk x".into()));
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let e = ApiError::from(TrunkChangeError::Invalid(vec![trunk::SetupError::NoHost(
            "x".into(),
        )]));
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn metrics_show_each_trunk_state_and_counts() {
        let figures = [TrunkFigures {
            name: "carrier-a".into(),
            registration: "registered",
            health: "down",
            channels: 3,
            calls_in: 7,
            calls_out: 2,
            refused: 1,
        }];
        let mut out = Vec::new();
        metrics(
            &mut |name, _help, _kind, samples| {
                for (labels, v) in samples {
                    out.push(format!("{name}{labels} {v}"));
                }
            },
            &figures,
        );
        for line in [
            r#"switchboard_trunk_registration{trunk="carrier-a",state="registered"} 1"#,
            r#"switchboard_trunk_registration{trunk="carrier-a",state="failed"} 0"#,
            r#"switchboard_trunk_health{trunk="carrier-a",state="down"} 1"#,
            r#"switchboard_trunk_health{trunk="carrier-a",state="up"} 0"#,
            r#"switchboard_trunk_channels{trunk="carrier-a"} 3"#,
            r#"switchboard_trunk_calls_in_total{trunk="carrier-a"} 7"#,
            r#"switchboard_trunk_calls_out_total{trunk="carrier-a"} 2"#,
            r#"switchboard_trunk_refused_total{trunk="carrier-a"} 1"#,
        ] {
            assert!(out.iter().any(|l| l == line), "missing {line} in {out:#?}");
        }
    }
}
