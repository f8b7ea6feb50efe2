//! Scenario tests of the switch core under a virtual clock: fake phones talk SIP text to the
//! sans-IO `Switch`, and each scenario asserts what goes on the wire, the actions for the media
//! relay and the CDR events.

mod agent_phone;
mod attended;
mod auth_guessing;
mod bad_input;
mod call_basic;
mod call_edges;
mod callback;
mod click_to_dial;
mod consult;
mod consult_c2d;
mod consult_out;
mod directory_admin;
mod documented;
mod failures;
mod forking;
mod harness;
mod in_dialog;
mod ipv6;
mod ivr_dial;
mod ivr_dtmf;
mod ivr_flow;
mod ivr_menu;
mod ivr_support;
mod limits;
mod loss;
mod monitor_teams;
mod nat;
mod offer_policy;
mod phone;
mod proxies;
mod queue_calls;
mod queue_exit;
mod recording;
mod register;
mod shutdown;
mod torture;
mod transfer;
mod trunk_support;
mod trunks_callback;
mod trunks_in;
mod trunks_out;
mod trunks_register;
mod web_calls;
