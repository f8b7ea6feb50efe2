//! The customers HTTP API against the real binary, on SQLite and on PostgreSQL: every endpoint
//! with good and bad input, body limits, SQL-injection text stored as plain text, and (on
//! PostgreSQL) a database failure answered as 500 without SQL in the body.

use anyhow::{ensure, Context};
use serde_json::{json, Value};
use switchboard_e2e::http_client::HttpResponse;
use switchboard_e2e::postgres::PgSchema;
use switchboard_e2e::{Options, Switch};

/// Starts a switch on `database_url` (None: SQLite) with default country code 82.
fn switch_with_cc(database_url: Option<String>) -> Switch {
    let mut switch = Switch::start(Options {
        database_url,
        ..Options::default()
    })
    .expect("switch starts");
    switch
        .restart_with_config(|t| {
            t.replacen(
                "[database]\n",
                "[database]\ndefault_country_code = \"82\"\n",
                1,
            )
        })
        .expect("restart with a default country code");
    switch
}

fn body(r: &HttpResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

/// Checks status and that the error message contains `needle` (and is JSON `{"error": ..}`).
fn refused(r: &HttpResponse, status: u16, needle: &str) -> anyhow::Result<Value> {
    let b = body(r);
    let msg = b["error"].as_str().unwrap_or_default();
    ensure!(
        r.status == status && msg.contains(needle),
        "expected {status} with an error mentioning {needle:?}, got {} {}",
        r.status,
        r.body
    );
    Ok(b)
}

fn ok(r: &HttpResponse, status: u16) -> anyhow::Result<Value> {
    ensure!(
        r.status == status,
        "expected {status}, got {} {}",
        r.status,
        r.body
    );
    Ok(body(r))
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default()
}

const KIM: &str = r#"{"name": "Kim Min-jun", "grade": "VIP", "segment": "retail",
    "preferred_language": "ko", "notes": "prefers email",
    "phones": [{"number": "010-1234-5678", "label": "mobile"},
               {"number": "02-555-0100", "label": "work"}]}"#;

/// POST /api/customers, good and bad; returns Kim's id.
fn create(s: &Switch) -> anyhow::Result<i64> {
    let r = s.http_json("POST", "/api/customers", KIM)?;
    let kim = ok(&r, 201)?;
    let id = kim["id"].as_i64().context("id")?;
    ensure!(r.header("location") == Some(&format!("/api/customers/{id}")[..]));
    ensure!(kim["grade"] == "vip" && kim["segment"] == "retail", "{kim}");
    ensure!(
        kim["phones"]
            == json!([{"number": "+821012345678", "label": "mobile"},
                      {"number": "+8225550100", "label": "work"}]),
        "{kim}"
    );

    let post = |b: &str| s.http_json("POST", "/api/customers", b);
    refused(&post(r#"{"name": "x", "nmae": 1}"#)?, 422, "nmae")?;
    refused(&post(r#"{"grade": "vip"}"#)?, 422, "missing field `name`")?;
    refused(&post(r#"{"name": 5}"#)?, 422, "name: invalid type")?;
    refused(
        &post(r#"{"name": "x", "phones": "0101234"}"#)?,
        422,
        "phones",
    )?;
    refused(
        &post(r#"{"name": "x", "phones": [{"number": "1001", "label": "fax"}]}"#)?,
        422,
        "phones[0].label",
    )?;
    refused(&post(r#"{"name": "x""#)?, 400, "")?;
    let blank = refused(&post(r#"{"name": "   "}"#)?, 400, "name")?;
    ensure!(blank["field"] == "name", "{blank}");
    let lang = refused(
        &post(r#"{"name": "x", "preferred_language": "en_GB"}"#)?,
        400,
        "preferred_language",
    )?;
    ensure!(lang["field"] == "preferred_language");
    let phone = refused(
        &post(r#"{"name": "x", "phones": [{"number": "call me"}]}"#)?,
        400,
        "phone number",
    )?;
    ensure!(phone["field"] == "phones");
    // The same number in another form belongs to Kim already.
    let taken = refused(
        &post(r#"{"name": "Lee", "phones": [{"number": "+82 10 1234 5678"}]}"#)?,
        409,
        &format!("customer {id}"),
    )?;
    ensure!(taken["field"] == "phones");
    refused(
        &s.http_send(
            "POST",
            "/api/customers",
            Some("text/plain"),
            b"{\"name\":\"x\"}",
        )?,
        415,
        "application/json",
    )?;
    let huge = format!(r#"{{"name": "x", "notes": "{}"}}"#, "n".repeat(70 * 1024));
    refused(&post(&huge)?, 413, "64 KiB")?;
    Ok(id)
}

fn read_and_update(s: &Switch, id: i64) -> anyhow::Result<()> {
    let kim = ok(
        &s.http("GET", &format!("/api/customers/{id}")).map(wrap)?,
        200,
    )?;
    ensure!(kim["name"] == "Kim Min-jun" && kim["notes"] == "prefers email");
    refused(
        &s.http("GET", "/api/customers/999999").map(wrap)?,
        404,
        "999999",
    )?;
    refused(
        &s.http("GET", "/api/customers/abc").map(wrap)?,
        400,
        "integer",
    )?;
    refused(
        &s.http("GET", "/api/customers/1%20OR%201=1").map(wrap)?,
        400,
        "integer",
    )?;

    let path = format!("/api/customers/{id}");
    let patched = ok(
        &s.http_json("PATCH", &path, r#"{"grade": "Premium", "segment": null}"#)?,
        200,
    )?;
    ensure!(patched["grade"] == "premium" && patched["segment"].is_null());
    ensure!(patched["name"] == "Kim Min-jun" && patched["phones"] == kim["phones"]);
    ensure!(patched["updated_at"] != kim["updated_at"], "{patched}");
    let null_name = refused(
        &s.http_json("PATCH", &path, r#"{"name": null}"#)?,
        400,
        "name",
    )?;
    ensure!(null_name["field"] == "name");
    refused(
        &s.http_json("PATCH", &path, r#"{"grade": ""}"#)?,
        400,
        "grade",
    )?;
    refused(
        &s.http_json("PATCH", &path, r#"{"colour": "red"}"#)?,
        422,
        "colour",
    )?;
    refused(
        &s.http_json("PATCH", "/api/customers/999999", "{}")?,
        404,
        "999999",
    )?;
    refused(
        &s.http_json("PATCH", "/api/customers/x1", "{}")?,
        400,
        "integer",
    )?;

    let lee = ok(
        &s.http_json(
            "POST",
            "/api/customers",
            r#"{"name": "Lee Seo-yeon", "phones": [{"number": "010-9999-0000"}]}"#,
        )?,
        201,
    )?;
    let lee_path = format!("/api/customers/{}", lee["id"]);
    refused(
        &s.http_json(
            "PATCH",
            &lee_path,
            r#"{"phones": [{"number": "01012345678"}]}"#,
        )?,
        409,
        &format!("customer {id}"),
    )?;
    let moved = ok(
        &s.http_json(
            "PATCH",
            &lee_path,
            r#"{"phones": [{"number": "+82 10 9999 0001", "label": "home"}]}"#,
        )?,
        200,
    )?;
    ensure!(
        moved["phones"] == json!([{"number": "+821099990001", "label": "home"}]),
        "{moved}"
    );
    Ok(())
}

fn wrap((status, body): (u16, String)) -> HttpResponse {
    HttpResponse {
        status,
        headers: Vec::new(),
        bytes: body.clone().into_bytes(),
        body,
    }
}

fn lookup_and_search(s: &Switch, id: i64) -> anyhow::Result<()> {
    for form in [
        "010-1234-5678",
        "+821012345678",
        "%2B82%2010%201234%205678",
        "tel:+821012345678",
        "0082-10-1234-5678",
    ] {
        let r = s
            .http("GET", &format!("/api/customers/by-number/{form}"))
            .map(wrap)?;
        ensure!(ok(&r, 200)?["id"] == id, "{form}: {}", r.body);
    }
    refused(
        &s.http("GET", "/api/customers/by-number/010-0000-0000")
            .map(wrap)?,
        404,
        "no customer",
    )?;
    refused(
        &s.http("GET", "/api/customers/by-number/anonymous")
            .map(wrap)?,
        404,
        "no customer",
    )?;

    for p in ["Page C", "Page A", "Page B"] {
        ok(
            &s.http_json("POST", "/api/customers", &json!({"name": p}).to_string())?,
            201,
        )?;
    }
    let get = |q: &str| s.http("GET", &format!("/api/customers{q}")).map(wrap);
    ensure!(names(&ok(&get("?q=kim")?, 200)?) == ["Kim Min-jun"]);
    ensure!(names(&ok(&get("?q=page&limit=2&offset=1")?, 200)?) == ["Page B", "Page C"]);
    ensure!(names(&ok(&get("?phone=010-1234")?, 200)?) == ["Kim Min-jun"]);
    ensure!(names(&ok(&get("?phone=%2B8210")?, 200)?) == ["Kim Min-jun", "Lee Seo-yeon"]);
    ensure!(names(&ok(&get("?grade=PREMIUM")?, 200)?) == ["Kim Min-jun"]);
    ensure!(names(&ok(&get("?grade=vip")?, 200)?).is_empty());
    ensure!(
        names(&ok(&get("?q=%25")?, 200)?).is_empty(),
        "% must match literally"
    );
    ensure!(ok(&get("")?, 200)?.as_array().map(Vec::len) == Some(5));
    refused(&get("?limit=0")?, 400, "limit")?;
    refused(&get("?limit=abc")?, 400, "limit")?;
    refused(&get("?offset=-1")?, 400, "offset")?;
    refused(&get("?colour=red")?, 400, "colour")?;
    refused(&get("?phone=Kim")?, 400, "phone")?;
    refused(&get("?q=a&phone=1")?, 400, "phone")?;
    refused(&get("?segment=retail")?, 400, "segment")?;
    Ok(())
}

const INJECTIONS: [&str; 3] = [
    "Robert'); DROP TABLE customers;--",
    "x' OR '1'='1",
    "\"; DELETE FROM customer_phones; --",
];

/// Injection text is stored and found as plain text; the tables keep every row.
fn injection(s: &Switch) -> anyhow::Result<()> {
    for (i, name) in INJECTIONS.iter().enumerate() {
        let body =
            json!({"name": name, "notes": name, "phones": [{"number": format!("{}", 5001 + i)}]});
        let c = ok(
            &s.http_json("POST", "/api/customers", &body.to_string())?,
            201,
        )?;
        ensure!(c["name"] == *name && c["notes"] == *name, "{c}");
    }
    let q = "%27%20OR%20%271%27%3D%271"; // ' OR '1'='1
    let found = ok(
        &s.http("GET", &format!("/api/customers?q={q}")).map(wrap)?,
        200,
    )?;
    ensure!(names(&found) == [INJECTIONS[1]], "{found}");
    refused(
        &s.http("GET", "/api/customers/by-number/1'%20OR%20'1'='1")
            .map(wrap)?,
        404,
        "no customer",
    )?;
    let all = ok(&s.http("GET", "/api/customers?limit=500").map(wrap)?, 200)?;
    ensure!(all.as_array().map(Vec::len) == Some(8), "{all}");
    let stored = stored_customers(&s.database_url)?;
    ensure!(stored.len() == 8, "{stored:?}");
    for name in INJECTIONS {
        let c = stored
            .iter()
            .find(|c| c.name == name)
            .context("stored verbatim")?;
        ensure!(c.phones.len() == 1, "{c:?}");
    }
    Ok(())
}

/// Reads customers straight from the database, not through the API.
fn stored_customers(url: &str) -> anyhow::Result<Vec<crm::Customer>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let crm = crm::Crm::connect(url).await?;
        let q = crm::CustomerQuery {
            limit: crm::MAX_PAGE,
            ..Default::default()
        };
        let list = crm.search_customers(&q).await;
        crm.close().await;
        Ok(list?)
    })
}

fn import(s: &Switch, kim: i64) -> anyhow::Result<()> {
    let csv = "name,phones,grade,segment\n\
               Park Ji-ho,work:02-777-0101;010-2222-3333,gold,smb\n\
               Kim Min-jun,+82 10 1234 5678,vip,\n\
               Bad Number,not-a-number,,\n\
               Too,Many,Fields,x,y\n";
    let send = |path: &str, ct: &str, b: &[u8]| s.http_send("POST", path, Some(ct), b);
    let report = ok(
        &send(
            "/api/customers/import",
            "text/csv; charset=utf-8",
            csv.as_bytes(),
        )?,
        200,
    )?;
    ensure!(report["created"] == 1 && report["updated"] == 1, "{report}");
    let lines: Vec<i64> = report["errors"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["line"].as_i64()).collect())
        .unwrap_or_default();
    ensure!(lines == [4, 5], "{report}");
    ensure!(report["error_count"] == 2, "{report}");
    let kim_now = ok(
        &s.http("GET", &format!("/api/customers/{kim}")).map(wrap)?,
        200,
    )?;
    ensure!(kim_now["grade"] == "vip", "{kim_now}");
    let park = ok(
        &s.http("GET", "/api/customers/by-number/027770101")
            .map(wrap)?,
        200,
    )?;
    ensure!(
        park["name"] == "Park Ji-ho" && park["phones"][0]["label"] == "work",
        "{park}"
    );

    refused(
        &send("/api/customers/import", "text/csv", b"nom,tel\nx,1\n")?,
        400,
        "nom",
    )?;
    refused(
        &send("/api/customers/import", "text/csv", b"")?,
        400,
        "empty",
    )?;
    refused(
        &send("/api/customers/import", "application/json", csv.as_bytes())?,
        415,
        "text/csv",
    )?;
    refused(
        &send(
            "/api/customers/import?default_country_code=0x",
            "text/csv",
            csv.as_bytes(),
        )?,
        400,
        "country code",
    )?;
    refused(
        &send(
            "/api/customers/import?dry_run=1",
            "text/csv",
            csv.as_bytes(),
        )?,
        400,
        "dry_run",
    )?;
    let mut big = b"name,phones\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'x');
    refused(
        &send("/api/customers/import", "text/csv", &big)?,
        413,
        "10240 KiB",
    )?;
    Ok(())
}

fn exercise(s: &Switch) -> anyhow::Result<()> {
    let kim = create(s)?;
    read_and_update(s, kim)?;
    lookup_and_search(s, kim)?;
    injection(s)?;
    import(s, kim)
}

#[test]
fn customers_api_on_sqlite() {
    let s = switch_with_cc(None);
    if let Err(e) = exercise(&s) {
        panic!("{e:#}\n--- switch log ---\n{}", s.log_text());
    }
}

/// Drops the customer tables under the running switch: requests must fail as a plain 500.
fn break_database(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::query("DROP TABLE customer_phones CASCADE")
            .execute(&mut conn)
            .await?;
        sqlx::query("DROP TABLE customers CASCADE")
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(())
    })
}

#[test]
fn customers_api_on_postgres() {
    let Some(db) = PgSchema::create("crm_api") else {
        return;
    };
    let url = db.url.clone();
    let s = switch_with_cc(Some(url.clone()));
    let result = exercise(&s).and_then(|()| {
        break_database(&url)?;
        for r in [
            s.http("GET", "/api/customers/1").map(wrap)?,
            s.http("GET", "/api/customers?q=kim").map(wrap)?,
            s.http_json("POST", "/api/customers", r#"{"name": "x"}"#)?,
        ] {
            ensure!(
                r.status == 500 && body(&r) == json!({"error": "database error"}),
                "{r:?}"
            );
        }
        Ok(())
    });
    let log = s.log_text();
    drop(s);
    drop(db);
    if let Err(e) = result {
        panic!("{e:#}\n--- switch log ---\n{log}");
    }
}
