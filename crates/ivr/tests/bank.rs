//! The shipped sample plans load clean.
use std::path::Path;

#[test]
fn shipped_dialplans_load_without_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dialplans");
    let plans = ivr::load_dir(&root, &root.join("prompts")).unwrap_or_else(|d| {
        panic!(
            "{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert!(plans.warnings().is_empty(), "{:?}", plans.warnings());
    assert_eq!(plans.route("1588"), Some(("bank", "start")));
    assert_eq!(plans.route("1589"), Some(("bank", "with_hours")));
    assert_eq!(plans.route("2001"), Some(("default", "dial")));
}

mod common;

use common::*;
use ivr::{Action, Customer, Input};

fn bank() -> ivr::Dialplans {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dialplans");
    ivr::load_dir(&root, &root.join("prompts")).expect("bank loads")
}

fn queue_of(actions: &[Action]) -> Option<(String, i32, Vec<String>)> {
    actions.iter().find_map(|a| match a {
        Action::Enqueue {
            queue,
            priority,
            skills,
            ..
        } => Some((queue.clone(), *priority, skills.clone())),
        _ => None,
    })
}

#[test]
fn known_premium_caller_takes_the_priority_path() {
    // Monday 2025-03-03 10:00 KST = 01:00 UTC.
    let mut c = Call::start(&bank(), utc(2025, 3, 3, 1, 0, 0), "01012345678", "1588");
    let a = c.actions();
    assert_eq!(a[0], Action::Answer);
    assert_eq!(plays(&a), [["en/welcome.wav", "ko/welcome.wav"]]);
    assert_eq!(plays(&c.played()), [["en/language.wav", "ko/language.wav"]]);
    assert_eq!(
        c.digit('2')[..2],
        [
            Action::StopPlayback,
            Action::SetVar {
                name: "lang".into(),
                value: "ko".into()
            }
        ]
    );
    let premium = Customer {
        name: "Kim".into(),
        grade: "premium".into(),
        segment: "private".into(),
    };
    let a = c.input(|now, wall| Input::LookupResult {
        now,
        wall,
        customer: Some(premium),
    });
    assert_eq!(plays(&a), [["ko/premium.wav"]]);
    let a = c.played();
    assert_eq!(
        queue_of(&a),
        Some(("priority".into(), 100, vec!["premium".into(), "ko".into()]))
    );
    assert!(c.session.is_finished());
}

/// Regression: the demo's 1588 played "closed" and hung up at night, before its menu.
#[test]
fn the_demo_number_is_open_at_night_and_on_holidays() {
    // Monday 2025-03-03 23:00 KST (14:00 UTC), and a holiday at noon.
    for at in [utc(2025, 3, 3, 14, 0, 0), utc(2025, 10, 3, 3, 0, 0)] {
        let mut c = Call::start(&bank(), at, "0101", "1588");
        assert_eq!(plays(&c.actions()), [["en/welcome.wav", "ko/welcome.wav"]]);
        assert_eq!(plays(&c.played()), [["en/language.wav", "ko/language.wav"]]);
    }
}

#[test]
fn business_hours_entry_is_open_in_the_day() {
    // Monday 2025-03-03 10:00 KST.
    let mut c = Call::start(&bank(), utc(2025, 3, 3, 1, 0, 0), "0101", "1589");
    assert_eq!(plays(&c.actions()), [["en/welcome.wav", "ko/welcome.wav"]]);
    assert_eq!(plays(&c.played()), [["en/language.wav", "ko/language.wav"]]);
}

#[test]
fn after_hours_plays_the_message_and_hangs_up() {
    // Monday 2025-03-03 18:00 KST: closed (09:00 UTC).
    let mut c = Call::start(&bank(), utc(2025, 3, 3, 9, 0, 0), "0101", "1589");
    c.actions();
    assert_eq!(
        plays(&c.played()),
        [["en/after_hours.wav", "ko/after_hours.wav"]]
    );
    assert_eq!(
        c.played(),
        [Action::Hangup {
            cause: "after hours".into()
        }]
    );
}

#[test]
fn holiday_is_after_hours_even_at_noon() {
    // 2025-03-01 is a Saturday anyway; 2025-10-03 (Friday) is a holiday: 12:00 KST.
    let mut c = Call::start(&bank(), utc(2025, 10, 3, 3, 0, 0), "0101", "1589");
    c.actions();
    assert_eq!(
        plays(&c.played()),
        [["en/after_hours.wav", "ko/after_hours.wav"]]
    );
}

#[test]
fn opening_edge_in_seoul_while_utc_is_the_previous_day() {
    // Sunday 23:59:59 UTC = Monday 08:59:59 KST: closed; one second later: open.
    let mut c = Call::start(&bank(), utc(2025, 3, 2, 23, 59, 59), "0101", "1589");
    c.actions();
    assert_eq!(
        plays(&c.played()),
        [["en/after_hours.wav", "ko/after_hours.wav"]]
    );
    let mut c = Call::start(&bank(), utc(2025, 3, 3, 0, 0, 0), "0101", "1589");
    c.actions();
    assert_eq!(plays(&c.played()), [["en/language.wav", "ko/language.wav"]]);
}

#[test]
fn balance_reads_back_the_account_in_the_chosen_language() {
    let mut c = Call::start(&bank(), utc(2025, 3, 3, 1, 0, 0), "0101", "1588");
    c.actions();
    c.played();
    c.digit('1');
    let a = c.input(|now, wall| Input::LookupResult {
        now,
        wall,
        customer: None,
    });
    assert_eq!(plays(&a), [["en/main_menu.wav"]]);
    assert_eq!(plays(&c.digit('1')), [["en/enter_account.wav"]]);
    c.played();
    let a = c.digits("123456#");
    assert_eq!(plays(&a), [["en/you_entered.wav"]]);
    let said = plays(&c.played());
    assert_eq!(said[0].len(), 6);
    assert_eq!(said[0][0], "en/digits/1.wav");
}

#[test]
fn reload_keeps_running_calls_on_their_plan() {
    let dir = scratch("bank_reload", &["v1.wav", "v2.wav"]);
    let plan = |v: &str| {
        format!("[[route]]\nnumber = \"1\"\n\n[[step]]\nid = \"a\"\ntype = \"play\"\nprompts = [\"{v}.wav\"]\n\n[[step]]\nid = \"b\"\ntype = \"play\"\nprompts = [\"{v}.wav\"]\n")
    };
    write(&dir, "p.toml", &plan("v1"));
    let old = load(&dir);
    let mut running = Call::start(&old, utc(2025, 1, 1, 0, 0, 0), "x", "1");
    assert_eq!(plays(&running.actions()), [["v1.wav"]]);
    write(&dir, "p.toml", &plan("v2"));
    let new = load(&dir);
    drop(old);
    assert_eq!(
        plays(&running.played()),
        [["v1.wav"]],
        "the running call stays on v1"
    );
    let mut fresh = Call::start(&new, utc(2025, 1, 1, 0, 0, 0), "x", "1");
    assert_eq!(plays(&fresh.actions()), [["v2.wav"]]);
    // A broken reload is refused; the new set stays usable.
    write(&dir, "p.toml", "[[step]]\nid = \"a\"\ntype = \"bogus\"\n");
    let refused = ivr::load_dir(&dir.join("plans"), &dir.join("prompts"))
        .expect_err("a broken set is refused");
    assert!(
        refused
            .iter()
            .any(|d| d.is_error() && d.message.contains("unknown step type `bogus`")),
        "refused for the bogus step: {refused:?}"
    );
    assert!(ivr::Session::start(
        &new,
        running.t0,
        running.wall0,
        ivr::CallInfo {
            dialled: "1".into(),
            ..Default::default()
        }
    )
    .is_ok());
}

#[test]
#[allow(clippy::disallowed_methods)] // an arbitrary origin for the virtual clock
fn unrouted_number_is_refused() {
    let err = ivr::Session::start(
        &bank(),
        std::time::Instant::now(),
        utc(2025, 1, 1, 0, 0, 0),
        ivr::CallInfo {
            dialled: "55555".into(),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "no dialplan route for `55555`");
}
