//! Reloading dialplans (SIGHUP, `POST /api/dialplans/reload`): load and check them off the
//! driver task, then hand them to it; a broken set is refused and the running plans stay.

use crate::config::Resolved;
use crate::driver::sip::Control;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Reloads dialplans and prompts from disk and hands them to the driver; a broken set is refused
/// and the running plans stay in service.
#[derive(Clone)]
pub struct Reloader {
    config: Arc<Resolved>,
    control: mpsc::Sender<Control>,
}

impl Reloader {
    pub fn new(config: Arc<Resolved>, control: mpsc::Sender<Control>) -> Self {
        Reloader { config, control }
    }

    /// The configuration the switch was started with.
    pub fn config(&self) -> &Arc<Resolved> {
        &self.config
    }

    /// Ok(number of plans) once installed; Err(diagnostics) when refused.
    pub async fn reload(&self) -> Result<usize, String> {
        let config = self.config.clone();
        let loaded = tokio::task::spawn_blocking(move || crate::config::dialplans::load(&config))
            .await
            .map_err(|e| format!("reload task failed: {e}"))?
            .map_err(|e| e.to_string())?;
        let Some(loaded) = loaded else {
            return Err("no dialplan directory configured or found".into());
        };
        let count = loaded.plans.plan_names().len();
        let stopping = || "the switch is stopping".to_string();
        let (applied, done) = tokio::sync::oneshot::channel();
        self.control
            .send(Control::Install { loaded, applied })
            .await
            .map_err(|_| stopping())?;
        // Answer once the driver has installed them: a call placed after the answer follows them.
        done.await.map_err(|_| stopping())?;
        Ok(count)
    }
}
