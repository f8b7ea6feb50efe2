//! What the switch reports about each trunk, for the HTTP API and `/metrics`.

use std::time::Duration;

/// One trunk's state at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkStatus {
    pub name: String,
    pub registration: Registration,
    pub health: Health,
    /// Calls on the trunk now, both directions.
    pub channels: u32,
    /// Calls the carrier delivered since the start.
    pub calls_in: u64,
    /// Calls we sent to the carrier since the start.
    pub calls_out: u64,
    /// Calls refused (inbound 503) or skipped (outbound) because the trunk was full or over
    /// its calls-per-second limit.
    pub refused_full: u64,
}

/// Where a registration with the carrier stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// The trunk does not register.
    NotConfigured,
    /// A REGISTER is out (first, refresh or retry).
    Registering,
    /// The carrier accepted us for this long from the moment reported.
    Registered { expires_in: Duration },
    /// The last attempt failed with this status (408 for no answer); the next try is in
    /// `retry_in`.
    Failed { status: u16, retry_in: Duration },
}

/// What the OPTIONS pings say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// No pings configured, or none answered or missed yet: calls are tried.
    Unknown,
    Up,
    /// Skipped for outbound calls until pings bring it up again.
    Down,
}

impl Registration {
    /// A word for the API and metrics (`registered`, `failed`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Registration::NotConfigured => "not_configured",
            Registration::Registering => "registering",
            Registration::Registered { .. } => "registered",
            Registration::Failed { .. } => "failed",
        }
    }
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}
