//! The tokio side of the switch: sockets, timers and tasks that drive the sans-IO core
//! (`crate::switch`), the media relay hand-off, and what the core's actions write (CDR links,
//! recordings, screen pops).
//!
//! - [`sip`]: the driver task that owns the core, and its relay hand-off (`sip/relay.rs`);
//! - [`udp`], [`tcp`]: SIP over UDP (a reader task per socket) and TCP (accept, framing,
//!   outbound connections);
//! - [`guard`]: a panic in the core on one message is caught, logged, answered 500 and counted;
//! - [`limits`]: the open-file limit raised for the RTP range;
//! - [`recording`]: recording files and their CRM rows;
//! - [`reload`]: dialplans reloaded and handed to the driver;
//! - [`call_records`], [`acd_records`]: the core's call records (CDRs, contacts, callbacks) and
//!   ACD events as CRM rows;
//! - [`live`]: ACD events for the live stream, with their SSE event type;
//! - [`lookup`]: the caller's customer record for dialplans;
//! - [`screens`]: screen pops and the agent desk's lists, read by the HTTP layer;
//! - [`dns`]: carriers' host names resolved (RFC 3263: NAPTR, SRV, A/AAAA) and kept fresh by TTL;
//! - [`trunks`]: the trunk plan's changes from the API, checked before they apply, and trunks'
//!   state changes logged;
//! - [`web`]: the web gateway: visitors' browser calls placed into the core as SIP callers.

pub mod acd_records;
pub mod call_records;
pub mod dns;
pub mod guard;
pub mod limits;
pub mod live;
pub mod lookup;
pub mod qa_schedule;
pub mod recording;
pub mod reload;
pub mod screens;
pub mod sip;
pub mod tcp;
pub mod trunks;
pub mod udp;
pub mod web;
