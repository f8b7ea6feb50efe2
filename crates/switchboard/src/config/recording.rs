//! The `[recording]` section: which calls are recorded and from when (`switch::RecordPolicy`),
//! where the files go and how long they are kept.

use crate::switch::{OfferPolicy, PolicyEntry, RecordMode, RecordPolicy};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use toml::Spanned;

/// `[recording]` as written in the file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingSection {
    /// `all` (default), `none`, or `selected` (the queues and extensions below).
    pub record: Spanned<String>,
    pub queues: Vec<String>,
    pub extensions: Vec<String>,
    /// `answer` (default): from when a person answers; `start`: from the start, IVR included.
    pub from: Spanned<String>,
    /// `decodable` (default): offers passed between the legs carry only codecs the switch can
    /// record and no end-to-end keys; `as-is`: offers go on as the phones wrote them.
    pub offers: Spanned<String>,
    /// Directory of the WAV files; relative paths are under the working directory.
    pub dir: String,
    /// Delete recordings older than this many days (0: keep for ever).
    pub retention_days: u32,
    /// Shorter retention for some queues' recordings, in days.
    pub queue_retention_days: std::collections::BTreeMap<String, u32>,
}

impl Default for RecordingSection {
    fn default() -> Self {
        RecordingSection {
            record: Spanned::new(0..0, "all".into()),
            queues: Vec::new(),
            extensions: Vec::new(),
            from: Spanned::new(0..0, "answer".into()),
            offers: Spanned::new(0..0, "decodable".into()),
            dir: "recordings".into(),
            retention_days: 0,
            queue_retention_days: Default::default(),
        }
    }
}

/// How long recordings are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retention {
    /// Days for every recording (`None`: for ever).
    pub all: Option<u32>,
    /// Shorter limits for the recordings of these queues.
    pub queues: Vec<(String, u32)>,
}

/// Resolve the section; problems go to `problem` with their span.
pub fn resolve(
    s: RecordingSection,
    problem: &mut dyn FnMut(std::ops::Range<usize>, String),
) -> (RecordPolicy, PathBuf, Retention) {
    let all = (s.retention_days > 0).then_some(s.retention_days);
    let mut queues = Vec::new();
    for (queue, days) in &s.queue_retention_days {
        if *days == 0 {
            problem(
                0..0,
                format!("recording.queue_retention_days.{queue}: must be at least 1 day"),
            );
        } else if all.is_some_and(|a| *days > a) {
            problem(
                0..0,
                format!(
                    "recording.queue_retention_days.{queue} ({days}) is longer than                      recording.retention_days ({}): a queue can only keep recordings for less time",
                    s.retention_days
                ),
            );
        } else {
            queues.push((queue.clone(), *days));
        }
    }
    let retention = Retention { all, queues };
    let mode = match s.record.get_ref().as_str() {
        "all" => RecordMode::All,
        "none" => RecordMode::None,
        "selected" => RecordMode::Selected {
            queues: s.queues.into_iter().collect(),
            extensions: s.extensions.into_iter().collect(),
        },
        other => {
            problem(
                s.record.span(),
                format!("recording.record `{other}`: all, none or selected"),
            );
            RecordMode::None
        }
    };
    let from_start = match s.from.get_ref().as_str() {
        "answer" => false,
        "start" => true,
        other => {
            problem(
                s.from.span(),
                format!("recording.from `{other}`: answer or start"),
            );
            false
        }
    };
    let offers = offer_policy(&s.offers, "recording.offers", problem);
    if offers == OfferPolicy::AsIs && mode == RecordMode::All {
        problem(
            s.offers.span(),
            "recording.offers `as-is` applies to no call: every call is recorded \
             (recording.record = \"all\") and a recorded call's offers stay decodable"
                .into(),
        );
    }
    (
        RecordPolicy {
            mode,
            from_start,
            offers,
            entries: Default::default(),
        },
        PathBuf::from(s.dir),
        retention,
    )
}

/// `decodable` or `as-is` as written at `key`.
fn offer_policy(
    value: &Spanned<String>,
    key: &str,
    problem: &mut dyn FnMut(std::ops::Range<usize>, String),
) -> OfferPolicy {
    match value.get_ref().as_str() {
        "decodable" => OfferPolicy::Decodable,
        "as-is" => OfferPolicy::AsIs,
        other => {
            problem(value.span(), format!("{key} `{other}`: decodable or as-is"));
            OfferPolicy::Decodable
        }
    }
}

/// Add the `offers` keys of `[[users]]` and `[[queues]]` entries to `policy`. An entry whose
/// calls are all recorded (every call, or the entry is listed under `[recording]`) cannot be
/// `as-is`: that is a problem here, as it would never apply (the switch keeps a recorded
/// call's offers decodable, `switch::RecordPolicy::offers_for`).
pub fn resolve_entries(
    policy: &mut RecordPolicy,
    entries: Vec<(PolicyEntry, Spanned<String>)>,
    problem: &mut dyn FnMut(std::ops::Range<usize>, String),
) {
    for (entry, value) in entries {
        let (key, name) = match &entry {
            PolicyEntry::Extension(e) => ("users.offers", e),
            PolicyEntry::Queue(q) => ("queues.offers", q),
        };
        let offers = offer_policy(&value, &format!("{key} of `{name}`"), problem);
        let recorded = match &policy.mode {
            RecordMode::None => None,
            RecordMode::All => Some("every call is recorded (recording.record = \"all\")"),
            RecordMode::Selected { queues, extensions } => {
                let listed = match &entry {
                    PolicyEntry::Extension(e) => extensions.contains(e),
                    PolicyEntry::Queue(q) => queues.contains(q),
                };
                listed.then_some("its calls are recorded (listed under [recording])")
            }
        };
        if let (OfferPolicy::AsIs, Some(why)) = (offers, recorded) {
            problem(
                value.span(),
                format!("{key} of `{name}` cannot be `as-is`: {why}, and recorded calls keep decodable offers"),
            );
            continue;
        }
        policy.entries.insert(entry, offers);
    }
}
