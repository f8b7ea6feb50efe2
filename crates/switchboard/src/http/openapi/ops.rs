//! Every operation of the HTTP API, as the OpenAPI document describes it: one line each, in the
//! order of the docs. The test in `mod.rs` checks this table against the router both ways, so a
//! route cannot be added, renamed or removed without its line here.

use super::{Body::*, Op};

/// Query parameters shared by the reports.
const REPORT_QUERY: &[&str] = &[
    "from*",
    "to*",
    "queue",
    "queues",
    "channel",
    "agent",
    "interval",
    "tz_offset_minutes",
    "service_level_s",
    "short_abandon_s",
    "sl_variant",
    "format",
];

/// The report charts' parameters: the report's, the chart and its language.
const CHART_QUERY: &[&str] = &[
    "from*",
    "to*",
    "queue",
    "queues",
    "channel",
    "agent",
    "interval",
    "tz_offset_minutes",
    "service_level_s",
    "short_abandon_s",
    "sl_variant",
    "chart",
    "sl_target_pct",
    "lang",
];

/// Query parameters of the staffing plan (the what-ifs override the history's figures).
const STAFFING_QUERY: &[&str] = &[
    "queues",
    "week",
    "interval",
    "sl_target",
    "sl_seconds",
    "aht",
    "shrinkage",
    "forecast_scale",
    "tz_offset_minutes",
    "format",
];

#[rustfmt::skip]
pub(super) static OPS: &[Op] = &[
    // Health and status
    op("GET", "/health", "status", "Liveness: `ok` while the process serves HTTP.", None, &[]),
    op("GET", "/api/status", "status", "The switch's status: listeners, registrations, calls, relay ports.", None, &[]),
    op("GET", "/metrics", "status", "Prometheus metrics (open with `[http] open_metrics`).", None, &[]),
    op("GET", "/api/openapi.json", "status", "This document.", None, &[]),
    // Logins and the audit log
    op("POST", "/api/login", "auth", "Log in with username and password; sets the session cookie and returns the CSRF token.", Json, &[]),
    op("POST", "/api/logout", "auth", "End the current session.", None, &[]),
    op("GET", "/api/session", "auth", "Who is logged in (or `{\"logged_in\": false}`).", None, &[]),
    op("GET", "/api/audit", "auth", "The audit log between two instants.", None, &["from", "to", "limit"]),
    // Accounts, extensions, agents (administration)
    op("GET", "/api/accounts", "admin", "List the console accounts.", None, &[]),
    op("POST", "/api/accounts", "admin", "Create an account.", Json, &[]),
    op("PATCH", "/api/accounts/{username}", "admin", "Change an account's role, agent or disabled flag.", Json, &[]),
    op("POST", "/api/accounts/{username}/password", "admin", "Set an account's password.", Json, &[]),
    op("GET", "/api/users", "admin", "List the SIP extensions.", None, &[]),
    op("POST", "/api/users", "admin", "Create an extension.", Json, &[]),
    op("PUT", "/api/users/{extension}", "admin", "Replace an extension's name or password.", Json, &[]),
    op("DELETE", "/api/users/{extension}", "admin", "Remove an extension.", None, &[]),
    op("POST", "/api/agents", "admin", "Create an ACD agent.", Json, &[]),
    op("PUT", "/api/agents/{id}", "admin", "Replace an agent's definition.", Json, &[]),
    op("DELETE", "/api/agents/{id}", "admin", "Remove an agent.", None, &[]),
    op("GET", "/api/agents/{id}/definition", "admin", "An agent's stored definition.", None, &[]),
    op("GET", "/api/agents/{id}/queues", "admin", "An agent's queues and weights.", None, &[]),
    op("PUT", "/api/agents/{id}/queues", "admin", "Set an agent's queues and weights.", Json, &[]),
    // Carriers
    op("GET", "/api/trunks", "trunks", "List the SIP trunks with their state.", None, &[]),
    op("POST", "/api/trunks", "trunks", "Create a trunk (applied live).", Json, &[]),
    op("PUT", "/api/trunks/{name}", "trunks", "Replace a trunk.", Json, &[]),
    op("DELETE", "/api/trunks/{name}", "trunks", "Remove a trunk.", None, &[]),
    op("GET", "/api/dids", "trunks", "List the numbers (DIDs) and where they route.", None, &[]),
    op("POST", "/api/dids", "trunks", "Create a DID.", Json, &[]),
    op("PUT", "/api/dids/{number}", "trunks", "Replace a DID.", Json, &[]),
    op("DELETE", "/api/dids/{number}", "trunks", "Remove a DID.", None, &[]),
    // Queues and the ACD
    op("GET", "/api/acd", "acd", "Live snapshot of queues and agents (the wallboard).", None, &[]),
    op("GET", "/api/events", "acd", "Live queue and agent events (server-sent events).", None, &[]),
    op("GET", "/api/queues", "acd", "List the queues with their live figures.", None, &[]),
    op("POST", "/api/queues", "acd", "Create a queue.", Json, &[]),
    op("PUT", "/api/queues/{name}", "acd", "Replace a queue's settings.", Json, &[]),
    op("PATCH", "/api/queues/{name}", "acd", "Change some of a queue's settings.", Json, &[]),
    op("DELETE", "/api/queues/{name}", "acd", "Remove a queue (`drain` lets waiting callers finish).", None, &["drain"]),
    op("GET", "/api/queues/{name}/definition", "acd", "A queue's stored definition.", None, &[]),
    op("GET", "/api/queues/{name}/messages", "acd", "Voicemail messages left in a queue.", None, &["limit"]),
    op("GET", "/api/agents", "acd", "List the agents with their live state.", None, &[]),
    op("POST", "/api/agents/{id}/dial", "acd", "Click-to-dial: ring the agent's phone, then the number.", Json, &[]),
    op("POST", "/api/agents/{id}/{action}", "acd", "Agent state: `login`, `logout`, `pause`, `unpause`, `ready`.", Json, &[]),
    op("POST", "/api/agents/{id}/monitor", "acd", "A supervisor listens to, whispers to or barges into the agent's call: rings the supervisor's phone.", Json, &[]),
    op("PATCH", "/api/agents/{id}/monitor", "acd", "Switch the monitoring's mode (listen, whisper, barge).", Json, &[]),
    op("DELETE", "/api/agents/{id}/monitor", "acd", "Stop monitoring the agent's call.", None, &[]),
    op("GET", "/api/agents/{id}/screen", "desk", "The agent's screen pops (server-sent events).", None, &[]),
    op("GET", "/api/agents/{id}/screen/last", "desk", "The agent's last screen pop.", None, &[]),
    op("GET", "/api/wrap-up-codes", "desk", "The configured wrap-up codes.", None, &[]),
    op("GET", "/api/pause-reasons", "desk", "The configured pause reasons.", None, &[]),
    op("POST", "/api/dialplans/reload", "acd", "Reload the dialplans from disk (checked first).", None, &[]),
    // Calls and recordings
    op("GET", "/api/cdrs", "calls", "Recent call records (agents: their own calls).", None, &["limit"]),
    op("GET", "/api/cdrs/{id}", "calls", "One call record with its legs.", None, &[]),
    op("POST", "/api/cdrs/{id}/wrap-up", "desk", "Set a call's wrap-up code and notes.", Json, &[]),
    op("GET", "/api/cdrs/{id}/recordings", "calls", "A call's recordings.", None, &[]),
    op("POST", "/api/cdrs/{id}/recording/{action}", "calls", "Pause or resume a call's recording (`pause`, `resume`).", None, &[]),
    op("GET", "/api/recordings/{id}", "calls", "A recording's metadata.", None, &[]),
    op("GET", "/api/recordings/{id}/peaks", "calls", "Each channel's loudest level per span, for a waveform (audited like playing).", None, &["n"]),
    op("GET", "/api/recordings/{id}/audio", "calls", "A recording's audio (WAV; ranges for playing, audited).", None, &["download"]),
    // Customers and contact history
    op("GET", "/api/customers", "crm", "Search customers.", None, &["q", "phone", "grade", "segment", "limit", "offset"]),
    op("POST", "/api/customers", "crm", "Create a customer.", Json, &[]),
    op("POST", "/api/customers/import", "crm", "Import customers from CSV.", Csv, &["default_country_code"]),
    op("GET", "/api/customers/by-number/{number}", "crm", "The customer owning a phone number.", None, &[]),
    op("GET", "/api/customers/{id}", "crm", "One customer.", None, &[]),
    op("PATCH", "/api/customers/{id}", "crm", "Change a customer.", Json, &[]),
    op("GET", "/api/customers/{id}/contacts", "crm", "A customer's contact history.", None, &["limit"]),
    op("GET", "/api/contacts", "crm", "Contact history of a number.", None, &["number", "limit"]),
    // The QA-review loop (docs/qa.md; row scopes: reviewers their tasks, agents their own reviews, supervisors their teams)
    op("GET", "/api/qa/forms", "qa", "Every version of every evaluation form.", None, &[]),
    op("POST", "/api/qa/forms", "qa", "Store a form (a new version when the id exists).", Json, &[]),
    op("GET", "/api/qa/forms/{id}", "qa", "A form's versions.", None, &[]),
    op("GET", "/api/qa/forms/{id}/{version}", "qa", "One version of a form (`latest` or a number).", None, &[]),
    op("GET", "/api/qa/teams", "qa", "Teams with their supervisor and agents.", None, &[]),
    op("PUT", "/api/qa/teams/{name}", "qa", "Create or replace a team.", Json, &[]),
    op("DELETE", "/api/qa/teams/{name}", "qa", "Remove a team.", None, &[]),
    op("GET", "/api/qa/settings", "qa", "The sampling settings.", None, &[]),
    op("PUT", "/api/qa/settings", "qa", "Set the sampling settings (calls per agent, per team, minimum talk, form).", Json, &[]),
    op("POST", "/api/qa/sampling", "qa", "Sample a month now (seeded, once per month).", Json, &[]),
    op("GET", "/api/qa/sampling/{month}", "qa", "A month's sampling run and what it drew from.", None, &[]),
    op("GET", "/api/qa/tasks", "qa", "Review tasks, filtered.", None, &["month", "agent", "team", "queue", "status"]),
    op("POST", "/api/qa/tasks/reassign", "qa", "Move the open tasks of reviewers who left to those present.", None, &[]),
    op("GET", "/api/qa/tasks/{id}", "qa", "A task with its form, review, comments, dispute, follow-ups and the call's context.", None, &[]),
    op("PUT", "/api/qa/tasks/{id}/draft", "qa", "Save the review's draft as it is typed.", Json, &[]),
    op("POST", "/api/qa/tasks/{id}/comments", "qa", "A time-stamped comment on the recording.", Json, &[]),
    op("POST", "/api/qa/tasks/{id}/submit", "qa", "Submit the review (scored on the task's form version).", Json, &[]),
    op("POST", "/api/qa/tasks/{id}/acknowledge", "qa", "The agent acknowledges the review.", None, &[]),
    op("POST", "/api/qa/tasks/{id}/dispute", "qa", "The agent disputes the review.", Json, &[]),
    op("POST", "/api/qa/tasks/{id}/settle", "qa", "A supervisor settles a dispute (score kept or changed, with a reason).", Json, &[]),
    op("GET", "/api/qa/follow-ups", "qa", "Improvement points to re-check (open, overdue, all).", None, &["state", "agent"]),
    op("POST", "/api/qa/follow-ups/{id}/check", "qa", "Mark a point improved or not, citing calls.", Json, &[]),
    op("GET", "/api/qa/reports", "qa", "Scores, points and disputes per agent, team and month.", None, &["from", "to"]),
    op("GET", "/api/qa/reports.csv", "qa", "The same as CSV (formula cells neutralised).", None, &["from", "to"]),
    op("GET", "/api/qa/reports/chart.svg", "qa", "Each agent's and team's average score by month as an SVG line chart.", None, &["from", "to", "lang"]),
    // Visitors' web calls (open: guarded by each entry's allowed origins and the call limits)
    op("GET", "/widget.js", "web", "The click-to-call widget's script, for a site's pages.", None, &[]),
    op("GET", "/widget.css", "web", "The widget's style sheet.", None, &[]),
    op("GET", "/demo", "web", "The demo bank page with a \"Call us\" button (with `[web] demo_page`).", None, &[]),
    op("GET", "/api/web/{entry}", "web", "What the widget shows before a call: the entry's message, or that it is closed.", None, &[]),
    op("GET", "/api/agents/me/phone/ws", "web", "The agent's browser phone's WebSocket: the page rings for the agent's calls while it is open (JSON signalling; docs/webcall.md).", None, &[]),
    op("GET", "/api/web/{entry}/ws", "web", "The call's WebSocket (JSON signalling: offer/answer, states, keys, mute, hang-up; docs/webcall.md).", None, &[]),
    // Reports
    op("GET", "/api/reports/queues", "reports", "Queue report: offered, answered, abandoned, service level, ASA, AHT by interval (JSON or `format=csv`).", None, REPORT_QUERY),
    op("GET", "/api/reports/agents", "reports", "Agent report: calls, talk, hold, wrap-up, pauses by reason, missed offers, occupancy (JSON or `format=csv`).", None, REPORT_QUERY),
    op("GET", "/api/reports/queues/chart.svg", "reports", "A queue report chart as SVG: `calls`, `service_level` or `times`.", None, CHART_QUERY),
    op("GET", "/api/reports/agents/chart.svg", "reports", "An agent report chart as SVG: `occupancy` or `states`.", None, CHART_QUERY),
    op("GET", "/api/reports/queue_log", "reports", "The queue and agent events in Asterisk's queue_log format (docs/reports.md).", None, &["from*", "to*"]),
    op("GET", "/api/staffing", "reports", "A week's staffing plan from the queues' history: forecast calls, agents needed (Erlang C and A) and logged in per interval, with what-ifs; JSON or CSV (docs/staffing.md).", None, STAFFING_QUERY),
];

const fn op(
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    body: super::Body,
    query: &'static [&'static str],
) -> Op {
    Op {
        method,
        path,
        tag,
        summary,
        body,
        query,
    }
}
