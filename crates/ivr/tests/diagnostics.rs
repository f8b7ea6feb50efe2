//! Every kind of malformed dialplan is refused with a file:line:column message.
mod common;

use common::*;

const OK_STEP: &str = "[[step]]\nid = \"end\"\ntype = \"hangup\"\n";

fn err(name: &str, text: &str) -> String {
    first_error(name, text, &["hi.wav"])
}

#[test]
fn toml_syntax() {
    assert_eq!(
        err("d_syntax", "[[step]]\nid = \"a\ntype = \"hangup\"\n"),
        "p.toml:2:8: invalid basic string"
    );
}

#[test]
fn unknown_key() {
    let e = err(
        "d_key",
        "[[step]]\nid = \"a\"\ntype = \"hangup\"\ncolour = \"red\"\n",
    );
    assert!(e.starts_with("p.toml:4:1: unknown field `colour`"), "{e}");
}

#[test]
fn unknown_step_type() {
    assert!(err("d_type", "[[step]]\nid = \"a\"\ntype = \"dance\"\n")
        .starts_with("p.toml:3:8: unknown step type `dance`"));
}

#[test]
fn key_of_another_step_type() {
    assert_eq!(
        err(
            "d_wrongkey",
            "[[step]]\nid = \"a\"\ntype = \"hangup\"\nextension = \"1\"\n"
        ),
        "p.toml:4:13: key `extension` does not belong to a `hangup` step"
    );
}

#[test]
fn missing_prompt_file() {
    let e = err(
        "d_prompt",
        "[[step]]\nid = \"a\"\ntype = \"play\"\nprompts = [\"hi.wav\", \"gone.wav\"]\n",
    );
    assert!(
        e.starts_with("p.toml:4:22: prompt file `gone.wav` not found"),
        "{e}"
    );
}

#[test]
fn missing_prompt_for_one_language() {
    let text = "[[step]]\nid = \"en\"\ntype = \"set\"\nvars = { lang = \"en\" }\n\n[[step]]\nid = \"p\"\ntype = \"play\"\nprompts = [\"${lang}/hi.wav\"]\n";
    let e = first_error("d_prompt_lang", text, &["ko/hi.wav"]);
    assert!(
        e.starts_with("p.toml:9:12: prompt file `en/hi.wav` not found"),
        "{e}"
    );
}

#[test]
fn undefined_goto_and_menu_targets() {
    assert_eq!(
        err(
            "d_goto",
            "[[step]]\nid = \"a\"\ntype = \"goto\"\ntarget = \"nowhere\"\n"
        ),
        "p.toml:4:10: target `nowhere`: step `nowhere` is not defined"
    );
    let menu = format!("[[step]]\nid = \"m\"\ntype = \"menu\"\nprompts = [\"hi.wav\"]\noptions = {{ \"1\" = \"end\", \"2\" = \"other:x\" }}\n{OK_STEP}");
    assert_eq!(
        err("d_menu", &menu),
        "p.toml:5:32: target `other:x`: plan `other` is not defined"
    );
}

#[test]
fn unreachable_step_is_a_warning() {
    let dir = scratch("d_unreachable", &[]);
    write(
        &dir,
        "p.toml",
        "[[step]]\nid = \"a\"\ntype = \"hangup\"\n\n[[step]]\nid = \"lost\"\ntype = \"hangup\"\n",
    );
    let plans = load(&dir);
    let w = &plans.warnings()[0];
    assert_eq!((w.line, w.column), (6, 6));
    assert_eq!(w.message, "step `lost` is unreachable");
    assert!(!w.is_error());
}

#[test]
fn loop_without_exit() {
    let text = "[[step]]\nid = \"a\"\ntype = \"set\"\nvars = { x = \"1\" }\n\n[[step]]\nid = \"b\"\ntype = \"goto\"\ntarget = \"a\"\n";
    let e = err("d_loop", text);
    assert_eq!(
        e,
        "p.toml:2:6: loop without an exit: p:a -> p:b never wait for input and never lead out"
    );
}

#[test]
fn loop_through_a_prompt_is_fine() {
    let dir = scratch("d_loop_ok", &["hi.wav"]);
    write(&dir, "p.toml", "[[step]]\nid = \"a\"\ntype = \"play\"\nprompts = [\"hi.wav\"]\n\n[[step]]\nid = \"b\"\ntype = \"goto\"\ntarget = \"a\"\n");
    load(&dir);
}

#[test]
fn bad_clock_time() {
    let text = "[hours.open]\nopen = [\"mon-fri 09:00-25:00\"]\n\n[[step]]\nid = \"a\"\ntype = \"condition\"\nwhen = { hours = \"open\" }\nthen = \"a2\"\n\n[[step]]\nid = \"a2\"\ntype = \"hangup\"\n";
    assert!(err("d_clock", text).starts_with("p.toml:2:9: bad time `25:00`"));
}

#[test]
fn unknown_weekday() {
    let text = format!("[[step]]\nid = \"c\"\ntype = \"condition\"\nwhen = {{ weekdays = [\"mon-fry\"] }}\nthen = \"end\"\n{OK_STEP}");
    assert!(err("d_weekday", &text).starts_with("p.toml:4:22: unknown weekday `fry`"));
}

#[test]
fn unknown_time_zone() {
    let text = format!("[plan]\ntimezone = \"Asia/Busan\"\n{OK_STEP}");
    assert!(err("d_tz", &text).starts_with("p.toml:2:12: unknown time zone `Asia/Busan`"));
}

#[test]
fn bad_regex() {
    let text = format!("[[route]]\npattern = '^(\\d{{4}}$'\n{OK_STEP}");
    let e = err("d_regex", &text);
    assert!(
        e.starts_with("p.toml:2:11: bad regex `^(\\d{4}$`: unclosed group"),
        "{e}"
    );
}

#[test]
fn bad_duration_and_missing_key() {
    let text = "[[step]]\nid = \"m\"\ntype = \"lookup\"\ntimeout = \"soon\"\n";
    assert!(err("d_duration", text).starts_with("p.toml:4:11: bad duration `soon`"));
    assert_eq!(
        err("d_missing", "[[step]]\nid = \"d\"\ntype = \"dial\"\n"),
        "p.toml:2:6: step `d` needs `extension`"
    );
}

#[test]
fn duplicate_step_id() {
    let text = format!("{OK_STEP}\n{OK_STEP}");
    assert_eq!(err("d_dup", &text), "p.toml:6:6: duplicate step id `end`");
}

#[test]
fn one_broken_file_refuses_the_whole_set() {
    let dir = scratch("d_whole", &[]);
    write(&dir, "good.toml", OK_STEP);
    write(&dir, "bad.toml", "[[step]]\nid = 1\n");
    let diags = ivr::load_dir(&dir.join("plans"), &dir.join("prompts")).unwrap_err();
    assert_eq!(diags.len(), 1);
    assert!(diags[0].file.ends_with("bad.toml"));
    assert_eq!(
        diags[0]
            .to_string()
            .split(": ")
            .next()
            .map(|s| s.ends_with("bad.toml:2:6")),
        Some(true)
    );
}

#[test]
fn record_step_action() {
    let text = format!("[[step]]\nid = \"r\"\ntype = \"record\"\naction = \"stop\"\n{OK_STEP}");
    assert_eq!(
        err("d_record", &text),
        "p.toml:4:10: record action `stop` must be `pause` or `resume`"
    );
}
