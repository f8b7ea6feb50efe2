//! Loading dialplans and their prompts: at start, on SIGHUP and on the HTTP reload request.
//! A broken set is refused with file:line:column diagnostics and the running plans stay.

use crate::config::Resolved;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Dialplans with every prompt file already decoded to G.711 frames.
#[derive(Clone)]
pub struct Loaded {
    pub plans: ivr::Dialplans,
    pub prompts: Arc<HashMap<PathBuf, Arc<media::Prompt>>>,
}

/// What went wrong, one line per problem.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct LoadError(pub Vec<String>);

/// Load the configured dialplans. `Ok(None)`: no dialplan directory (extensions dial directly).
pub fn load(config: &Resolved) -> Result<Option<Loaded>, LoadError> {
    let loaded = load_plans(config)?;
    // Queue overflow and exit-key targets may be numbers a plan routes: check them here.
    let extensions = config.users.iter().map(|u| u.extension.clone()).collect();
    let plans = loaded.as_ref().map(|l| &l.plans);
    let unrouted = crate::config::acd_sections::unrouted_targets(&config.acd, &extensions, plans);
    if !unrouted.is_empty() {
        return Err(LoadError(unrouted));
    }
    Ok(loaded)
}

fn load_plans(config: &Resolved) -> Result<Option<Loaded>, LoadError> {
    let Some((dir, required)) = &config.dialplans_dir else {
        return Ok(None);
    };
    if !dir.is_dir() {
        if *required {
            return Err(LoadError(vec![format!(
                "{}: dialplan directory not found",
                dir.display()
            )]));
        }
        return Ok(None);
    }
    let plans = ivr::load_dir(dir, &config.prompts_dir).map_err(|diags| {
        LoadError(
            diags
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.to_string())
                .collect(),
        )
    })?;
    for w in plans.warnings() {
        tracing::warn!("{w}");
    }
    let prompts = load_prompts(&config.prompts_dir)?;
    Ok(Some(Loaded {
        plans,
        prompts: Arc::new(prompts),
    }))
}

/// Decode every WAV under `dir` once (any sample rate; converted to 8 kHz G.711 frames).
fn load_prompts(dir: &Path) -> Result<HashMap<PathBuf, Arc<media::Prompt>>, LoadError> {
    let mut out = HashMap::new();
    let mut errors = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
            {
                match media::Prompt::from_wav_file(&path) {
                    Ok(p) => {
                        out.insert(path, Arc::new(p));
                    }
                    Err(e) => errors.push(format!("{}: {e}", path.display())),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(LoadError(errors))
    }
}

/// Turn the plan's prompt names into playable prompts (files from the cache, tones generated).
pub fn resolve(
    prompts: &HashMap<PathBuf, Arc<media::Prompt>>,
    wanted: &[ivr::Prompt],
) -> Vec<Arc<media::Prompt>> {
    wanted
        .iter()
        .filter_map(|p| match p {
            ivr::Prompt::File(path) => {
                let found = prompts.get(path).cloned();
                if found.is_none() {
                    tracing::warn!(path = %path.display(), "prompt not loaded; skipped");
                }
                found
            }
            ivr::Prompt::Tone { freqs, duration } => {
                let samples = media::tone::samples_for_ms(duration.as_millis().min(60_000) as u32);
                let amplitude = 8000.0 / freqs.len().max(1) as f64;
                let parts: Vec<(f64, f64)> =
                    freqs.iter().map(|f| (f64::from(*f), amplitude)).collect();
                Some(Arc::new(media::Prompt::from_pcm_8k(media::tone::mix(
                    &parts, samples,
                ))))
            }
            ivr::Prompt::Silence(d) => Some(Arc::new(media::Prompt::silence(
                d.as_millis().min(60_000) as u32,
            ))),
        })
        .collect()
}
