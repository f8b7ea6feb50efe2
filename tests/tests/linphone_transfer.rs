//! Attended transfer from a real softphone (issue 12): three `linphonec`s through the real
//! switch. Customer 2001 calls agent 2002 and plays 1 kHz; the agent pauses the call (hold:
//! the switch answers it and plays music), calls colleague 2003 (770 Hz), then
//! `transfer 1 --to-call 2`: Linphone sends REFER with Replaces, and the switch joins the
//! customer with the colleague. Passes when the agent's phone has no call left, the customer's
//! CDR names the transfer, and the call's recording (still one file) has the colleague's tone
//! on its right channel after the transfer. baresip 1.0 has no attended transfer (its only
//! transfer command sends a plain REFER), so Linphone is the real phone here.

use std::time::{Duration, Instant};
use switchboard_e2e::linphone::{logs, needs_linphonec, Linphone};
use switchboard_e2e::tone::{blocks_with_tone, write_tone_wav, Wav};
use switchboard_e2e::{password, wait_for_cdrs, Options, Switch};

const CUSTOMER_HZ: f64 = 1000.0;
const COLLEAGUE_HZ: f64 = 770.0;
const BLOCK: usize = 400;

#[test]
fn linphone_transfers_after_consulting_and_the_switch_joins_customer_and_colleague() {
    if !needs_linphonec() {
        return;
    }
    let rec = tempfile::tempdir().expect("tempdir");
    let switch = Switch::start(Options {
        extra_toml: format!(
            "[recording]\nrecord = \"all\"\ndir = \"{}\"\n",
            rec.path().display()
        ),
        ..Options::default()
    })
    .expect("switch starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let root = switch.dir.path().to_path_buf();
    let customer_wav = root.join("customer.wav");
    write_tone_wav(&customer_wav, CUSTOMER_HZ, 8000, 30, 8000).expect("tone");
    let colleague_wav = root.join("colleague.wav");
    write_tone_wav(&colleague_wav, COLLEAGUE_HZ, 8000, 30, 8000).expect("tone");
    let mut customer = Linphone::start(&root, "2001").expect("linphonec 2001");
    let mut agent = Linphone::start(&root, "2002").expect("linphonec 2002");
    let mut colleague = Linphone::start(&root, "2003").expect("linphonec 2003");
    let proxy = format!("sip:127.0.0.1:{}", switch.sip_port);
    for p in [&mut customer, &mut agent, &mut colleague] {
        p.send("soundcard use files");
        let ext = p.ext.clone();
        p.send(&format!(
            "register sip:{ext}@127.0.0.1 {proxy} {}",
            password(&ext)
        ));
    }
    let all = customer.registered() && agent.registered() && colleague.registered();
    assert!(
        all,
        "not registered\n{}",
        logs(&switch, &[&customer, &agent, &colleague])
    );
    agent.send("autoanswer enable");
    colleague.send("autoanswer enable");
    customer.send(&format!("call sip:2002@127.0.0.1:{}", switch.sip_port));
    assert!(
        customer.wait_for("connected", deadline) && agent.wait_for("connected", deadline),
        "no call\n{}",
        logs(&switch, &[&customer, &agent, &colleague])
    );
    customer.send(&format!("play {}", customer_wav.display()));
    std::thread::sleep(Duration::from_secs(1));

    // Hold, consult, transfer.
    agent.send("pause 1");
    std::thread::sleep(Duration::from_secs(2));
    agent.send(&format!("call sip:2003@127.0.0.1:{}", switch.sip_port));
    assert!(
        colleague.wait_for("connected", deadline),
        "the colleague's phone did not answer\n{}",
        logs(&switch, &[&customer, &agent, &colleague])
    );
    colleague.send(&format!("play {}", colleague_wav.display()));
    std::thread::sleep(Duration::from_secs(2));
    agent.send("transfer 1 --to-call 2");
    let transferred = Instant::now();
    let done = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(200));
        switch.log_text().contains("attended transfer")
    });
    assert!(
        done,
        "no attended transfer\n{}",
        logs(&switch, &[&customer, &agent, &colleague])
    );
    // The agent's phone is left with no call.
    let idle = (0..50).any(|_| {
        agent.send("calls");
        std::thread::sleep(Duration::from_millis(200));
        agent.log_text().contains("No active call")
    });
    assert!(
        idle,
        "the agent still has a call\n{}",
        logs(&switch, &[&customer, &agent, &colleague])
    );
    // Customer and colleague talk for a while, then the customer hangs up.
    std::thread::sleep(Duration::from_secs(4));
    let talked = transferred.elapsed();
    customer.send("terminate");
    assert!(
        colleague.wait_for("ended", deadline),
        "the colleague's call did not end\n{}",
        logs(&switch, &[&customer, &agent, &colleague])
    );

    let cdrs = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().filter(|c| c.ended_at.is_some()).count() >= 2
    })
    .expect("CDRs");
    let call = cdrs
        .iter()
        .find(|c| c.vars.contains_key("transferred_by"))
        .unwrap_or_else(|| {
            panic!(
                "no CDR names the transfer: {cdrs:?}\n{}",
                logs(&switch, &[&customer, &agent, &colleague])
            )
        });
    assert_eq!(
        call.vars.get("transferred_to").map(String::as_str),
        Some("2003")
    );
    let row = switch.finished_recording(&call.call_id, Duration::from_secs(10));
    assert_eq!(row["status"], "complete", "{row:#}");
    let Some(file) = row["file"].as_str().map(|f| rec.path().join(f)) else {
        panic!("no file: {row:#}");
    };
    let samples: Vec<i16> = hound::WavReader::open(&file)
        .expect("the WAV")
        .into_samples()
        .collect::<Result<_, _>>()
        .expect("samples");
    let channel = |c: usize| Wav {
        sample_rate: 8000,
        samples: samples.iter().skip(c).step_by(2).copied().collect(),
    };
    let secs = |w: &Wav, hz| blocks_with_tone(w, BLOCK, hz) as f64 * 0.05;
    let customer_left = secs(&channel(0), CUSTOMER_HZ);
    let colleague_right = secs(&channel(1), COLLEAGUE_HZ);
    assert!(
        customer_left >= 4.0,
        "the customer's tone for {customer_left:.2} s on the left ({})",
        file.display()
    );
    // The colleague is heard on the customer's call only after the join.
    assert!(
        colleague_right >= 2.0 && colleague_right <= talked.as_secs_f64() + 1.0,
        "the colleague's tone for {colleague_right:.2} s on the right ({})",
        file.display()
    );
}
