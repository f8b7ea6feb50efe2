//! SIP trunks: how Switchboard reaches a carrier and recognises its calls, sans-IO.
//!
//! [`TrunkPlan`] is what the configuration (and the HTTP API) says: the carriers
//! ([`TrunkSetup`]), the numbers they deliver ([`DidSetup`]) and the prefixes no one may dial.
//! The switch core (`crates/switch`) runs the calls; this crate holds the rules it applies,
//! each testable without a network or a clock of its own.

// Bytes from the network must never panic the process (as in the switch core).
#![cfg_attr(test, allow(clippy::disallowed_methods))]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::string_slice,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

mod health;
mod inbound;
mod limits;
mod numbers;
mod registration;
mod setup;
mod status;

pub use health::HealthCheck;
pub use inbound::{caller_number, REQUEST_URI_USER};
pub use limits::TrunkLimits;
pub use numbers::{for_trunk, rewrite, to_e164};
pub use registration::{Registrar, Verdict, RETRY_FIRST, RETRY_MAX};
pub use setup::{
    Cidr, CidrError, Credentials, DidSetup, DidTarget, NumberFormat, PingSetup, RegisterSetup,
    Rewrite, SetupError, TrunkPlan, TrunkSetup, DEFAULT_ANSWER_TIMEOUT, MAX_ANSWER_TIMEOUT,
};
pub use status::{Health, Registration, TrunkStatus};
