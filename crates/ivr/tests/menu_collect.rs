//! Menus and digit collection: barge-in, invalid keys, timeouts, retries, terminators, limits.
mod common;

use std::time::Duration;

use common::*;
use ivr::{Action, Timer};

const PROMPTS: &[&str] = &[
    "menu.wav",
    "bad.wav",
    "quiet.wav",
    "ask.wav",
    "a.wav",
    "b.wav",
];

const MENU: &str = r#"
[[route]]
number = "100"

[[step]]
id = "menu"
type = "menu"
prompts = ["menu.wav"]
options = { "1" = "one", "2" = "two" }
timeout = "5s"
invalid_prompts = ["bad.wav"]
timeout_prompts = ["quiet.wav"]
max_attempts = 3
fallback = "gave_up"

[[step]]
id = "one"
type = "hangup"
cause = "picked one"

[[step]]
id = "two"
type = "hangup"
cause = "picked two"

[[step]]
id = "gave_up"
type = "hangup"
cause = "no choice"
"#;

fn menu_call(name: &str) -> Call {
    let dir = scratch(name, PROMPTS);
    write(&dir, "m.toml", MENU);
    let plans = load(&dir);
    let mut call = Call::start(&plans, utc(2025, 3, 3, 1, 0, 0), "0101234", "100");
    assert_eq!(plays(&call.actions()), [["menu.wav"]]);
    call
}

fn hangup(cause: &str) -> Action {
    Action::Hangup {
        cause: cause.into(),
    }
}

#[test]
fn menu_choice_after_prompt() {
    let mut call = menu_call("menu_choice");
    assert!(call.played().is_empty());
    assert_eq!(
        call.session.pending_timer().map(|t| t.1),
        Some(Timer::MenuInput)
    );
    assert_eq!(call.digit('2'), [hangup("picked two")]);
    assert!(call.session.is_finished());
}

#[test]
fn barge_in_stops_the_menu_prompt_and_counts() {
    let mut call = menu_call("menu_barge");
    assert_eq!(
        call.digit('1'),
        [Action::StopPlayback, hangup("picked one")]
    );
}

#[test]
fn invalid_keys_replay_with_their_prompt_then_fall_back() {
    let mut call = menu_call("menu_invalid");
    call.played();
    assert_eq!(plays(&call.digit('7')), [["bad.wav", "menu.wav"]]);
    // During the retry prompt a wrong key barges in and counts as the third attempt.
    let a = call.digit('9');
    assert_eq!(a[0], Action::StopPlayback);
    assert_eq!(plays(&a), [["bad.wav", "menu.wav"]]);
    call.played();
    assert_eq!(call.digit('#'), [hangup("no choice")]);
}

#[test]
fn timeouts_use_their_own_prompt_and_count_as_attempts() {
    let mut call = menu_call("menu_timeout");
    call.played();
    let deadline = call.session.poll_timeout().unwrap();
    assert_eq!(deadline - call.t0, Duration::from_secs(5));
    // An early timeout input changes nothing.
    call.advance(Duration::from_secs(4));
    assert!(call
        .input(|now, wall| ivr::Input::Timeout { now, wall })
        .is_empty());
    assert_eq!(plays(&call.fire_timer()), [["quiet.wav", "menu.wav"]]);
    assert_eq!(
        call.session.poll_timeout(),
        None,
        "no timer while the prompt plays"
    );
    call.played();
    assert_eq!(plays(&call.fire_timer()), [["quiet.wav", "menu.wav"]]);
    call.played();
    assert_eq!(call.fire_timer(), [hangup("no choice")]);
}

const COLLECT: &str = r##"
[[route]]
number = "200"

[[step]]
id = "pin"
type = "collect"
var = "pin"
prompts = ["ask.wav"]
invalid_prompts = ["bad.wav"]
min = 4
max = 6
terminator = "#"
first_digit_timeout = "5s"
inter_digit_timeout = "2s"
max_attempts = 2
on_fail = "failed"

[[step]]
id = "ok"
type = "hangup"
cause = "pin ${pin}"

[[step]]
id = "failed"
type = "hangup"
cause = "failed with '${pin}'"
"##;

fn collect_call(name: &str) -> Call {
    let dir = scratch(name, PROMPTS);
    write(&dir, "c.toml", COLLECT);
    let plans = load(&dir);
    let mut call = Call::start(&plans, utc(2025, 3, 3, 1, 0, 0), "0101234", "200");
    assert_eq!(plays(&call.actions()), [["ask.wav"]]);
    call
}

fn set(name: &str, value: &str) -> Action {
    Action::SetVar {
        name: name.into(),
        value: value.into(),
    }
}

#[test]
fn collect_ends_on_terminator_once_min_is_reached() {
    let mut call = collect_call("collect_term");
    call.played();
    assert_eq!(
        call.session.pending_timer().map(|t| t.1),
        Some(Timer::FirstDigit)
    );
    assert!(call.digits("1234").is_empty());
    assert_eq!(
        call.session.pending_timer().map(|t| t.1),
        Some(Timer::InterDigit)
    );
    assert_eq!(call.digit('#'), [set("pin", "1234"), hangup("pin 1234")]);
}

#[test]
fn collect_stops_at_max_without_terminator() {
    let mut call = collect_call("collect_max");
    let a = call.digits("123456");
    assert_eq!(a[0], Action::StopPlayback, "first digit barges in");
    assert_eq!(&a[1..], [set("pin", "123456"), hangup("pin 123456")]);
}

#[test]
fn inter_digit_timeout_ends_collection() {
    let mut call = collect_call("collect_inter");
    call.played();
    call.advance(Duration::from_secs(3));
    call.digits("12345");
    let before = call.elapsed;
    let a = call.fire_timer();
    assert_eq!(call.elapsed - before, Duration::from_secs(2));
    assert_eq!(a, [set("pin", "12345"), hangup("pin 12345")]);
}

#[test]
fn too_short_retries_with_invalid_prompt_then_fails() {
    let mut call = collect_call("collect_short");
    call.played();
    call.digits("12");
    assert_eq!(plays(&call.digit('#')), [["bad.wav", "ask.wav"]]);
    call.played();
    // First-digit timeout on the last attempt: fail with what was typed (nothing).
    assert_eq!(
        call.fire_timer(),
        [set("pin", ""), hangup("failed with ''")]
    );
}
