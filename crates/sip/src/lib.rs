//! SIP for Switchboard.
//!
//! Everything here is sans-IO: callers hand in bytes or parsed messages together with `now`,
//! and drain what must be sent, what happened and when to wake up next. No sockets, no clocks.
//!
//! - [`normalize`] and [`parse`](parse::parse) turn bytes from real phones into `rsip` messages
//!   (compact headers, folded lines, stray whitespace, comma-joined headers) and say precisely
//!   what is wrong with bytes that are not SIP.
//! - [`framing`] cuts a TCP byte stream into messages by Content-Length.
//! - [`ipv6`] carries IPv6 references (RFC 5118) through rsip, which cannot read them.
//! - [`validate`] decides 400/420/505 for requests that parse but cannot be served.
//! - [`message`] builds responses, tags, branches and reads common headers.
//! - [`transaction`] is the RFC 3261 §17 transaction layer (timers A–M, RFC 6026 Accepted state).
//! - [`auth`] is digest authentication (RFC 8760: SHA-256 and MD5, qop=auth) with nonces we own.
//! - [`registrar`] keeps REGISTER bindings with expiry (and their Path, RFC 3327).
//! - [`route`] reads Record-Route and Path and plans how an in-dialog request follows a route set.

// Bytes from the network must never panic the process: no unchecked indexing, slicing or
// unwrapping outside tests (an invariant that truly holds is a reviewed `#[allow]` with a reason).
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
#![forbid(unsafe_code)]
// Tests start their virtual clock at an arbitrary real instant; the code never reads a clock
// (clippy.toml).
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod auth;
pub mod framing;
pub mod ipv6;
pub mod message;
pub mod normalize;
pub mod parse;
pub mod registrar;
pub mod route;
pub mod transaction;
pub mod transport;
pub mod validate;

pub use transport::{Peer, Transmit, Transport};
