//! A real recorded call to review: 2001 calls 2002 through the switch, both SIPp peers play a
//! tone the whole time (PCMU pcaps from [`crate::pcap`]), the switch records it as stereo WAV
//! (caller left, agent right). Used by the QA review page's browser test.

use crate::pcap::{tone_scenario, write_tone_pcap, ToneStream};
use crate::{callee_with, free_media_port, free_port, password, sipp, wait_for_cdrs, Sipp, Switch};
use anyhow::Context;
use std::path::Path;
use std::time::Duration;

/// The `[recording]` section recording every call into the switch's own directory.
pub const RECORD_ALL: &str = "[recording]\nrecord = \"all\"\n";

/// What a two-tone call left behind.
pub struct RecordedCall {
    pub cdr: crm::Cdr,
    /// Its finished row from `GET /api/cdrs/{id}/recordings`.
    pub recording: serde_json::Value,
}

/// Runs a call 2001 → 2002 of `talk_ms` where the caller plays `caller_hz` and the callee
/// `callee_hz` (each for `talk_ms` and a second more), waits for its CDR and recording.
pub fn two_tone_call(
    switch: &Switch,
    caller_hz: f64,
    callee_hz: f64,
    talk_ms: u64,
) -> anyhow::Result<RecordedCall> {
    let dir = switch.dir.path();
    let seconds = u32::try_from(talk_ms / 1000 + 2)?;
    let caller_pcap = dir.join(format!("review-caller-{caller_hz}.pcap"));
    let callee_pcap = dir.join(format!("review-callee-{callee_hz}.pcap"));
    write_tone_pcap(&caller_pcap, &ToneStream::new(caller_hz, seconds))?;
    write_tone_pcap(&callee_pcap, &ToneStream::new(callee_hz, seconds))?;
    let uas = tone_scenario(dir, "uas_tone.xml", &callee_pcap)?;
    let uac = tone_scenario(dir, "uac_tone.xml", &caller_pcap)?;
    let callee = callee_with(switch, "2002", &uas, &[])?;
    let caller = tone_caller(switch, &uac, talk_ms)?;
    let log =
        |e: anyhow::Error| anyhow::anyhow!("{e:#}\n--- switch log ---\n{}", switch.log_text());
    caller
        .wait(Duration::from_millis(talk_ms) + Duration::from_secs(25))
        .map_err(log)?;
    callee.wait(Duration::from_secs(10)).map_err(log)?;
    let cdr = wait_for_cdrs(&switch.database_url, |c| {
        c.iter().any(|c| c.ended_at.is_some())
    })?
    .into_iter()
    .find(|c| c.ended_at.is_some())
    .context("no finished CDR")?;
    let recording = switch.finished_recording(&cdr.call_id, Duration::from_secs(10));
    Ok(RecordedCall { cdr, recording })
}

/// SIPp as 2001 calling 2002 with the tone scenario `uac`, hanging up after `talk_ms`.
pub fn tone_caller(switch: &Switch, uac: &Path, talk_ms: u64) -> anyhow::Result<Sipp> {
    let (port, media, talk) = (
        free_port().to_string(),
        free_media_port().to_string(),
        talk_ms.to_string(),
    );
    sipp(
        switch,
        "tone-caller-2001",
        uac,
        &[
            "-s",
            "2002",
            "-au",
            "2001",
            "-ap",
            password("2001"),
            "-key",
            "caller",
            "2001",
            "-p",
            &port,
            "-mp",
            &media,
            "-m",
            "1",
            "-d",
            &talk,
        ],
    )
}
