//! The review page scores forms in JavaScript (crates/switchboard/web/qa-form.js) and must
//! show what `qa::score` will store. Both are checked against one file of answers and scores,
//! `tests/fixtures/score_cases.json`: this test runs it through `qa::score`, the browser test
//! (tests/browser/review.mjs) through the page. The form the page ships as its default is
//! checked to be a valid `qa::Form` here too.

use std::collections::BTreeMap;
use std::path::Path;

use qa::{score, Answer, Form, ScoreError};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct Fixture {
    form: Form,
    cases: Vec<Case>,
    default_form_cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    answers: BTreeMap<String, Answer>,
    #[serde(default)]
    expect: Option<Expected>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Expected {
    total: f64,
    critical_failed: Vec<String>,
    sections: Vec<Option<f64>>,
}

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The error's name as the fixture (and qa-form.js's `ScoreError.kind`) writes it.
fn kind(e: &ScoreError) -> &'static str {
    match e {
        ScoreError::UnknownQuestion(_) => "unknown_question",
        ScoreError::Missing(_) => "missing",
        ScoreError::OutsideScale { .. } => "outside_scale",
        ScoreError::NotApplicableRefused(_) => "not_applicable_refused",
        ScoreError::WrongKind(..) => "wrong_kind",
        ScoreError::NothingApplies => "nothing_applies",
        ScoreError::Form(_) => "form",
        _ => "unknown",
    }
}

fn check(form: &Form, cases: &[Case]) -> usize {
    for case in cases {
        let got = score(form, &case.answers);
        match (&case.expect, &case.error, got) {
            (Some(want), None, Ok(s)) => {
                // Exact: the page computes the same IEEE operations in the same order.
                assert_eq!(s.total, want.total, "{}", case.name);
                assert_eq!(s.critical_failed, want.critical_failed, "{}", case.name);
                let sections: Vec<_> = s.sections.iter().map(|s| s.percent).collect();
                assert_eq!(sections, want.sections, "{}", case.name);
                assert_eq!(
                    (s.form.as_str(), s.version),
                    (form.id.as_str(), form.version)
                );
            }
            (None, Some(want), Err(e)) => assert_eq!(kind(&e), want, "{}: {e}", case.name),
            (_, _, got) => panic!(
                "{}: the fixture is malformed or qa::score gave {got:?}",
                case.name
            ),
        }
    }
    cases.len()
}

#[test]
fn qa_score_gives_the_fixtures_scores() {
    let fixture: Fixture = serde_json::from_str(&read("tests/fixtures/score_cases.json")).unwrap();
    assert!(check(&fixture.form, &fixture.cases) >= 10);
    let default: Form =
        serde_json::from_str(&read("../switchboard/web/qa-default-form.json")).unwrap();
    default.validate().unwrap();
    assert!(check(&default, &fixture.default_form_cases) >= 2);
}

#[test]
fn the_fixture_covers_every_answer_kind_and_error_the_page_must_match() {
    let fixture: Value = serde_json::from_str(&read("tests/fixtures/score_cases.json")).unwrap();
    let errors: Vec<_> = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["error"].as_str())
        .collect();
    for want in [
        "missing",
        "outside_scale",
        "not_applicable_refused",
        "wrong_kind",
        "unknown_question",
    ] {
        assert!(errors.contains(&want), "no case for {want}");
    }
    let text = fixture["cases"].to_string();
    for answer in ["\"yes\"", "\"no\"", "\"na\"", "\"scale\""] {
        assert!(text.contains(answer), "no answer {answer}");
    }
}
