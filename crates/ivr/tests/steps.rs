//! Every step type driven through a session: actions out, variables set, where it goes next.
mod common;

use std::time::Duration;

use common::*;
use ivr::{Action, Customer, DialOutcome, Input};

fn hangup(cause: &str) -> Action {
    Action::Hangup {
        cause: cause.into(),
    }
}

const PROMPTS: &[&str] = &[
    "hi.wav",
    "menu.wav",
    "sub.wav",
    "after.wav",
    "en/x.wav",
    "ko/x.wav",
    "digits/0.wav",
    "digits/1.wav",
    "digits/2.wav",
    "digits/3.wav",
    "digits/4.wav",
    "digits/5.wav",
    "digits/6.wav",
    "digits/7.wav",
    "digits/8.wav",
    "digits/9.wav",
    "digits/10.wav",
    "digits/11.wav",
    "digits/12.wav",
    "digits/13.wav",
    "digits/14.wav",
    "digits/15.wav",
    "digits/16.wav",
    "digits/17.wav",
    "digits/18.wav",
    "digits/19.wav",
    "digits/20.wav",
    "digits/30.wav",
    "digits/40.wav",
    "digits/50.wav",
    "digits/60.wav",
    "digits/70.wav",
    "digits/80.wav",
    "digits/90.wav",
    "digits/hundred.wav",
    "digits/thousand.wav",
    "digits/million.wav",
    "digits/billion.wav",
];

const MAIN: &str = r#"
[[route]]
number = "300"

[[step]]
id = "a"
type = "answer"

[[step]]
id = "moh"
type = "moh"
source = "moh/${lang_default}.wav"

[[step]]
id = "private"
type = "record"
action = "pause"

[[step]]
id = "who"
type = "set"
vars = { lang = "ko", greeting = "hello ${caller}" }

[[step]]
id = "hi"
type = "play"
prompts = ["hi.wav", "${lang}/x.wav", "tone:440:200", "silence:100"]
barge_in = true

[[step]]
id = "menu"
type = "menu"
prompts = ["menu.wav"]
options = { "1" = "say", "2" = "sub", "3" = "dial", "4" = "lookup" }

[[step]]
id = "say"
type = "say"
value = "1234"
next = "say_digits"

[[step]]
id = "say_digits"
type = "say"
value = "${caller}"
mode = "digits"
next = "bye"

[[step]]
id = "sub"
type = "call"
target = "helper"

[[step]]
id = "after_sub"
type = "play"
prompts = ["after.wav"]
next = "bye"

[[step]]
id = "dial"
type = "dial"
extension = "2${caller}"
ring_timeout = "20s"
on_busy = "busy"
next = "other"

[[step]]
id = "lookup"
type = "lookup"
timeout = "2s"

[[step]]
id = "vip"
type = "condition"
when = { var = "customer.grade", one_of = ["premium", "gold"] }
then = "queue"
else = "bye"

[[step]]
id = "queue"
type = "queue"
queue = "vip"
priority = 10
skills = ["lang:${lang}", "${unset}"]

[[step]]
id = "busy"
type = "hangup"
cause = "busy"

[[step]]
id = "other"
type = "goto"
target = "bye"

[[step]]
id = "bye"
type = "hangup"
cause = "done"
"#;

const HELPER: &str = r#"
[[step]]
id = "h"
type = "play"
prompts = ["sub.wav"]

[[step]]
id = "r"
type = "return"
"#;

fn call(name: &str) -> Call {
    let dir = scratch(name, PROMPTS);
    write(&dir, "main.toml", MAIN);
    write(&dir, "helper.toml", HELPER);
    let plans = load(&dir);
    Call::start(&plans, utc(2025, 3, 3, 1, 0, 0), "42", "300")
}

fn set(name: &str, value: &str) -> Action {
    Action::SetVar {
        name: name.into(),
        value: value.into(),
    }
}

#[test]
fn answer_moh_record_set_and_interpolated_play() {
    let mut c = call("steps_intro");
    let a = c.actions();
    assert_eq!(a[0], Action::Answer);
    assert_eq!(
        a[1],
        Action::MusicOnHold {
            source: "moh/.wav".into()
        }
    );
    assert_eq!(a[2], Action::Recording { pause: true });
    assert_eq!(a[3..5], [set("greeting", "hello 42"), set("lang", "ko")]);
    assert_eq!(
        plays(&a[5..]),
        [["hi.wav", "ko/x.wav", "tone:[440]:200", "silence:100"]]
    );
    assert_eq!(c.session.vars()["greeting"], "hello 42");
    assert_eq!(plays(&c.played()), [["menu.wav"]]);
}

#[test]
fn barge_in_on_play_is_typed_ahead_into_the_menu() {
    let mut c = call("steps_typeahead");
    c.actions();
    let a = c.digit('1');
    assert_eq!(a[0], Action::StopPlayback);
    // The menu never plays its prompt: '1' chose `say` at once.
    let p = plays(&a);
    assert_eq!(
        p,
        [[
            "digits/1.wav",
            "digits/thousand.wav",
            "digits/2.wav",
            "digits/hundred.wav",
            "digits/30.wav",
            "digits/4.wav"
        ]]
    );
    assert_eq!(plays(&c.played()), [["digits/4.wav", "digits/2.wav"]]);
    assert_eq!(c.played(), [hangup("done")]);
}

#[test]
fn sub_plan_returns_to_the_step_after_the_call() {
    let mut c = call("steps_sub");
    c.actions();
    c.played();
    assert_eq!(plays(&c.digit('2')), [["sub.wav"]]);
    assert_eq!(c.session.position().as_deref(), Some("helper:h"));
    assert_eq!(plays(&c.played()), [["after.wav"]]);
    assert_eq!(c.played(), [hangup("done")]);
}

#[test]
fn dial_outcomes_route_to_their_steps() {
    for (outcome, expect) in [
        (
            DialOutcome::Busy,
            vec![set("dial.outcome", "busy"), hangup("busy")],
        ),
        (
            DialOutcome::NoAnswer,
            vec![set("dial.outcome", "no_answer"), hangup("done")],
        ),
        (
            DialOutcome::Failed,
            vec![set("dial.outcome", "failed"), hangup("done")],
        ),
        (DialOutcome::Answered, vec![set("dial.outcome", "answered")]),
    ] {
        let mut c = call("steps_dial");
        c.actions();
        c.played();
        assert_eq!(
            c.digit('3'),
            [
                Action::StopPlayback,
                Action::Dial {
                    extension: "242".into(),
                    ring_timeout: Duration::from_secs(20)
                }
            ]
        );
        assert_eq!(
            c.input(|now, wall| Input::DialResult { now, wall, outcome }),
            expect
        );
        assert!(c.session.is_finished());
    }
}

#[test]
fn lookup_sets_customer_vars_and_enqueues_with_vars() {
    let mut c = call("steps_lookup");
    c.actions();
    c.played();
    c.played();
    assert_eq!(
        c.digit('4'),
        [Action::LookupCaller {
            number: "42".into()
        }]
    );
    let customer = Customer {
        name: "Kim".into(),
        grade: "gold".into(),
        segment: "retail".into(),
    };
    let a = c.input(|now, wall| Input::LookupResult {
        now,
        wall,
        customer: Some(customer),
    });
    assert_eq!(
        a[..4],
        [
            set("customer.known", "true"),
            set("customer.name", "Kim"),
            set("customer.grade", "gold"),
            set("customer.segment", "retail"),
        ]
    );
    let Action::Enqueue {
        queue,
        priority,
        skills,
        vars,
    } = &a[4]
    else {
        panic!("{a:?}")
    };
    assert_eq!((queue.as_str(), *priority), ("vip", 10));
    assert_eq!(skills, &["lang:ko"], "empty renders are dropped");
    assert_eq!(vars["customer.name"], "Kim");
    assert!(c.session.is_finished());
}

#[test]
fn lookup_timeout_counts_as_unknown_caller() {
    let mut c = call("steps_lookup_timeout");
    c.actions();
    c.digit('4');
    assert_eq!(
        c.session.pending_timer().map(|t| t.1),
        Some(ivr::Timer::Lookup)
    );
    assert_eq!(
        c.fire_timer(),
        [set("customer.known", "false"), hangup("done")]
    );
    // A late answer after the timeout is ignored.
    assert!(c
        .input(|now, wall| Input::LookupResult {
            now,
            wall,
            customer: None
        })
        .is_empty());
}

#[test]
fn runaway_plan_hangs_up_with_dialplan_loop() {
    // Recursion through `call` with nothing to wait for is caught by the depth guard; a cycle of
    // gotos with a condition exit passes the load check but must still be stopped at run time.
    let dir = scratch("steps_runaway", &[]);
    write(
        &dir,
        "spin.toml",
        r#"
[[route]]
number = "9"

[[step]]
id = "count"
type = "set"
vars = { n = "x${n}" }

[[step]]
id = "check"
type = "condition"
when = { var = "n", equals = "never" }
then = "out"
else = "count"

[[step]]
id = "out"
type = "hangup"
"#,
    );
    let plans = load(&dir);
    let mut c = Call::start(&plans, utc(2025, 1, 1, 0, 0, 0), "1", "9");
    let a = c.actions();
    assert_eq!(a.last(), Some(&hangup("dialplan loop")));
    assert_eq!(a.len(), 501, "1000 steps: 500 sets, then the hangup");
}

#[test]
fn number_prompts_follow_english_word_order() {
    let dir = scratch("steps_numbers", &[]);
    write(
        &dir,
        "p.toml",
        "[[step]]\nid = \"end\"\ntype = \"hangup\"\n",
    );
    let plans = load(&dir);
    let names: Vec<String> = plans
        .number_prompts(1234, "en/digits")
        .iter()
        .map(|p| match p {
            ivr::Prompt::File(f) => f
                .strip_prefix(dir.join("prompts"))
                .map(|r| r.display().to_string())
                .unwrap_or_default(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "en/digits/1.wav",
            "en/digits/thousand.wav",
            "en/digits/2.wav",
            "en/digits/hundred.wav",
            "en/digits/30.wav",
            "en/digits/4.wav"
        ]
    );
    assert!(plans.number_prompts(3, "../outside").is_empty());
}
