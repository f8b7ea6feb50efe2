//! Which plan a dialled number enters (docs/dialplans.md, "Routes"): an exact number beats any
//! prefix, the longest prefix beats shorter ones, patterns come last and in file-name order
//! whatever order the files were written in; and the `call` depth limit of 16.

mod common;

use common::*;
use ivr::{Action, MAX_CALL_DEPTH};

/// A plan file with one route (`kind = "value"`) into a hangup with cause `cause`.
fn routed(kind: &str, value: &str, cause: &str) -> String {
    format!(
        "[[route]]\n{kind} = '{value}'\n\n[[step]]\nid = \"{cause}\"\ntype = \"hangup\"\ncause = \"{cause}\"\n"
    )
}

#[test]
fn exact_beats_prefix_longest_prefix_wins_and_patterns_go_in_file_name_order() {
    let dir = scratch("routes_order", &[]);
    // Written out of name order: file order must come from the names, not the directory.
    write(
        &dir,
        "zz_pattern.toml",
        &routed("pattern", r"^\d{4}$", "zz"),
    );
    write(&dir, "d_short.toml", &routed("prefix", "9*", "short"));
    write(&dir, "c_long.toml", &routed("prefix", "90", "long"));
    write(&dir, "b_exact.toml", &routed("number", "9000", "exact"));
    write(&dir, "a_pattern.toml", &routed("pattern", r"^\d{4}$", "aa"));
    write(&dir, "m_pattern.toml", &routed("pattern", r"^\d{4}$", "mm"));
    let plans = load(&dir);
    let route = |n: &str| plans.route(n);

    assert_eq!(
        route("9000"),
        Some(("b_exact", "exact")),
        "exact beats prefixes"
    );
    assert_eq!(route("9001"), Some(("c_long", "long")), "longest prefix");
    assert_eq!(route("90"), Some(("c_long", "long")));
    assert_eq!(route("9100"), Some(("d_short", "short")), "only 9 matches");
    assert_eq!(
        route("1234"),
        Some(("a_pattern", "aa")),
        "prefixes before patterns, patterns in file-name order"
    );
    assert_eq!(route("12345"), None);
}

#[test]
fn a_plan_calling_itself_hangs_up_at_the_depth_limit() {
    let dir = scratch("routes_depth", &["level.wav"]);
    // Each level plays a prompt (so the load check sees no instant loop) and calls itself.
    write(
        &dir,
        "deep.toml",
        r#"
[[route]]
number = "7"

[[step]]
id = "level"
type = "play"
prompts = ["level.wav"]

[[step]]
id = "again"
type = "call"
target = "deep:level"
next = "done"

[[step]]
id = "done"
type = "hangup"
cause = "returned"
"#,
    );
    let plans = load(&dir);
    let mut c = Call::start(&plans, utc(2025, 1, 1, 0, 0, 0), "1", "7");
    let mut levels = plays(&c.actions()).len();
    let last = loop {
        let a = c.played();
        let p = plays(&a).len();
        if p == 0 {
            break a;
        }
        levels += p;
        assert!(levels <= 100, "no limit: {levels} levels");
    };
    assert_eq!(
        last,
        [Action::Hangup {
            cause: "dialplan recursion".into()
        }]
    );
    assert_eq!(MAX_CALL_DEPTH, 16, "docs/dialplans.md says 16");
    assert_eq!(levels, MAX_CALL_DEPTH + 1, "the first level and 16 calls");
}

/// `number` is the dialled number after the route's prefix (`9` + a number to call out over a
/// trunk), and the whole number for exact and pattern routes.
#[test]
fn number_is_what_follows_the_routes_prefix() {
    let dir = scratch("routes_number", &[]);
    let dial = |kind: &str, value: &str| {
        format!(
            "[[route]]\n{kind} = '{value}'\n\n[[step]]\nid = \"out\"\ntype = \"dial\"\n\
             extension = \"trunk:carrier-a/${{number}}\"\n"
        )
    };
    write(&dir, "out.toml", &dial("prefix", "9"));
    write(&dir, "exact.toml", &dial("number", "1588"));
    let plans = load(&dir);
    let mut call = Call::start(&plans, utc(2025, 1, 6, 10, 0, 0), "1001", "901012345678");
    let dialled = |actions: Vec<Action>| {
        actions.into_iter().find_map(|a| match a {
            Action::Dial { extension, .. } => Some(extension),
            _ => None,
        })
    };
    assert_eq!(
        dialled(call.actions()).as_deref(),
        Some("trunk:carrier-a/01012345678")
    );
    let mut exact = Call::start(&plans, utc(2025, 1, 6, 10, 0, 0), "1001", "1588");
    assert_eq!(
        dialled(exact.actions()).as_deref(),
        Some("trunk:carrier-a/1588")
    );
}
