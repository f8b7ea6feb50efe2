//! One key press signalled twice (SIP INFO and RTP) counts once; distinct presses all count.

use super::harness::{cdr_end, config, load_plans, phone, TestSwitch};
use super::ivr_support::{answered_by_plan, dtmf, playback_done};
use std::time::Duration;

/// Collects two digits and hangs up with them in the cause, so the CDR shows what was taken.
const PIN_PLAN: &str = r#"
[[route]]
number = "1900"

[[step]]
id = "start"
type = "answer"

[[step]]
id = "pin"
type = "collect"
var = "pin"
prompts = ["tone:440:200"]
min = 2
max = 2
terminator = ""
first_digit_timeout = "5s"
inter_digit_timeout = "3s"

[[step]]
id = "done"
type = "hangup"
cause = "pin ${pin}"
"#;

fn pin_switch() -> TestSwitch {
    TestSwitch::with_plans(config(), Some(load_plans(&[("pin.toml", PIN_PLAN)])))
}

fn info(
    ts: &mut TestSwitch,
    a: &mut super::phone::Phone,
    dlg: &mut super::phone::Dlg,
    digit: char,
) {
    super::ivr_support::info_digit(ts, a, dlg, digit);
}

#[test]
fn the_same_key_by_info_and_rtp_counts_once() {
    let mut ts = pin_switch();
    let mut a = phone(1001);
    let mut c = answered_by_plan(&mut ts, &mut a, "1900");
    playback_done(&mut ts, c.call);
    ts.take_cdrs();
    info(&mut ts, &mut a, &mut c.a, '5');
    ts.advance(Duration::from_millis(100));
    dtmf(&mut ts, c.call, '5'); // the same press, now from the media: dropped
    ts.advance(Duration::from_millis(900));
    dtmf(&mut ts, c.call, '7');
    ts.expect_request(&a, "BYE");
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "pin 57");
}

#[test]
fn repeated_keys_from_one_source_all_count() {
    let mut ts = pin_switch();
    let mut a = phone(1001);
    let c = answered_by_plan(&mut ts, &mut a, "1900");
    playback_done(&mut ts, c.call);
    ts.take_cdrs();
    dtmf(&mut ts, c.call, '3');
    ts.advance(Duration::from_millis(150));
    dtmf(&mut ts, c.call, '3');
    ts.expect_request(&a, "BYE");
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "pin 33");
}

#[test]
fn the_same_key_by_info_again_after_the_window_counts() {
    let mut ts = pin_switch();
    let mut a = phone(1001);
    let mut c = answered_by_plan(&mut ts, &mut a, "1900");
    playback_done(&mut ts, c.call);
    ts.take_cdrs();
    dtmf(&mut ts, c.call, '4');
    ts.advance(Duration::from_millis(1000));
    info(&mut ts, &mut a, &mut c.a, '4');
    ts.expect_request(&a, "BYE");
    let end = cdr_end(&ts.take_cdrs());
    assert_eq!(end.hangup_cause, "pin 44");
}
