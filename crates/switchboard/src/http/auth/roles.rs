//! Who may call which route: one table, deny by default. Admins may do everything and
//! supervisors everything but account administration; QA reviewers and agents only what the
//! table lists. Some agent rules are scoped to the agent's own objects: the path names their
//! own agent id, or a call (or a call's recording) whose CDR `agent` is theirs. The middleware
//! checks scopes against the database; this module stays pure.

use axum::http::Method;
use crm::Role;

/// What a rule lets an agent touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// No further check.
    Any,
    /// Path segment `n` must be the agent's own id.
    OwnAgent(usize),
    /// Path segment `n` is a call id whose CDR's agent must be theirs.
    OwnCall(usize),
    /// Path segment `n` is a recording id whose call's CDR agent must be theirs.
    OwnRecording(usize),
}

/// The outcome for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Allowed for this role (agents: subject to the scope).
    Allow(Scope),
    /// Not for this role (403).
    Deny,
}

const A: Role = Role::Admin;
const S: Role = Role::Supervisor;
const Q: Role = Role::Qa;
const G: Role = Role::Agent;

/// (method, path pattern with `*` for one segment, roles, scope for agents).
type Rule = (Method, &'static str, &'static [Role], Scope);

/// A slice, not an array of fixed length, so adding a rule touches only its own line.
fn rules() -> &'static [Rule] {
    RULES
}

static RULES: &[Rule] = {
    use Scope::*;
    &[
        (Method::GET, "/api/session", &[A, S, Q, G], Any),
        (Method::POST, "/api/logout", &[A, S, Q, G], Any),
        (Method::GET, "/api/accounts", &[A], Any),
        // Account, extension and agent administration (admins; supervisors manage agents as
        // they manage queues).
        (Method::POST, "/api/accounts", &[A], Any),
        (Method::PATCH, "/api/accounts/*", &[A], Any),
        (Method::POST, "/api/accounts/*/password", &[A], Any),
        (Method::GET, "/api/users", &[A], Any),
        (Method::POST, "/api/users", &[A], Any),
        (Method::PUT, "/api/users/*", &[A], Any),
        (Method::DELETE, "/api/users/*", &[A], Any),
        (Method::POST, "/api/agents", &[A, S], Any),
        (Method::PUT, "/api/agents/*", &[A, S], Any),
        (Method::DELETE, "/api/agents/*", &[A, S], Any),
        (Method::GET, "/api/agents/*/definition", &[A, S], Any),
        (Method::GET, "/api/agents/*/queues", &[A, S], Any),
        (Method::GET, "/api/audit", &[A, S], Any),
        (Method::GET, "/api/status", &[A, S], Any),
        // Monitoring: agents reach the handler only to be refused and audited (403).
        (Method::POST, "/api/agents/*/monitor", &[A, S, G], Any),
        (Method::PATCH, "/api/agents/*/monitor", &[A, S, G], Any),
        (Method::DELETE, "/api/agents/*/monitor", &[A, S, G], Any),
        (Method::POST, "/api/dialplans/reload", &[A, S], Any),
        // The list is filtered to the agent's own calls by its handler.
        (Method::GET, "/api/cdrs", &[A, S, Q, G], Any),
        (Method::GET, "/api/cdrs/*", &[A, S, Q, G], OwnCall(2)),
        (
            Method::GET,
            "/api/cdrs/*/recordings",
            &[A, S, Q, G],
            OwnCall(2),
        ),
        (
            Method::POST,
            "/api/cdrs/*/recording/*",
            &[A, S, G],
            OwnCall(2),
        ),
        (
            Method::GET,
            "/api/recordings/*",
            &[A, S, Q, G],
            OwnRecording(2),
        ),
        (
            Method::GET,
            "/api/recordings/*/audio",
            &[A, S, Q, G],
            OwnRecording(2),
        ),
        // The waveform shows when each side spoke: the same people as the audio.
        (
            Method::GET,
            "/api/recordings/*/peaks",
            &[A, S, Q, G],
            OwnRecording(2),
        ),
        // Messages belong to no agent's call, so agents (scoped to their own) get none.
        (Method::GET, "/api/queues/*/messages", &[A, S, Q], Any),
        (Method::GET, "/api/acd", &[A, S], Any),
        (Method::GET, "/api/queues", &[A, S, G], Any),
        // Managing queues and memberships: admins and supervisors only (listed for clarity).
        (Method::POST, "/api/queues", &[A, S], Any),
        (Method::PUT, "/api/queues/*", &[A, S], Any),
        (Method::PATCH, "/api/queues/*", &[A, S], Any),
        (Method::GET, "/api/queues/*/definition", &[A, S], Any),
        (Method::DELETE, "/api/queues/*", &[A, S], Any),
        (Method::PUT, "/api/agents/*/queues", &[A, S], Any),
        // Carriers' trunks and our numbers: admins only (see `admin_only`).
        (Method::GET, "/api/trunks", &[A], Any),
        (Method::POST, "/api/trunks", &[A], Any),
        (Method::PUT, "/api/trunks/*", &[A], Any),
        (Method::DELETE, "/api/trunks/*", &[A], Any),
        (Method::GET, "/api/dids", &[A], Any),
        (Method::POST, "/api/dids", &[A], Any),
        (Method::PUT, "/api/dids/*", &[A], Any),
        (Method::DELETE, "/api/dids/*", &[A], Any),
        (Method::GET, "/api/agents", &[A, S, G], Any),
        // login, logout, pause, unpause, ready and dial (click-to-dial) as oneself.
        (Method::POST, "/api/agents/*/*", &[A, S, G], OwnAgent(2)),
        // Consult, complete, cancel, conference: agents on their own calls.
        (
            Method::POST,
            "/api/agents/*/consult/*",
            &[A, S, G],
            OwnAgent(2),
        ),
        (
            Method::GET,
            "/api/agents/*/consult",
            &[A, S, G],
            OwnAgent(2),
        ),
        (Method::GET, "/api/agents/*/screen", &[A, S, G], OwnAgent(2)),
        // The browser phone: always the session's own agent (the handler refuses others).
        (Method::GET, "/api/agents/me/phone/ws", &[A, S, G], Any),
        (
            Method::GET,
            "/api/agents/*/screen/last",
            &[A, S, G],
            OwnAgent(2),
        ),
        (Method::GET, "/api/wrap-up-codes", &[A, S, Q, G], Any),
        (Method::GET, "/api/pause-reasons", &[A, S, Q, G], Any),
        (Method::POST, "/api/cdrs/*/wrap-up", &[A, S, G], OwnCall(2)),
        // An agent's page shows the caller's history (every channel, every agent's calls).
        (Method::GET, "/api/customers/*/contacts", &[A, S, Q, G], Any),
        (Method::GET, "/api/contacts", &[A, S, Q], Any),
        (Method::GET, "/api/events", &[A, S], Any),
        (Method::GET, "/api/reports/queues", &[A, S, Q], Any),
        (Method::GET, "/api/reports/agents", &[A, S, Q], Any),
        (Method::GET, "/api/staffing", &[A, S], Any),
        (
            Method::GET,
            "/api/reports/queues/chart.svg",
            &[A, S, Q],
            Any,
        ),
        (
            Method::GET,
            "/api/reports/agents/chart.svg",
            &[A, S, Q],
            Any,
        ),
        // Raw queue and agent history for an outside reporting tool: supervisors and admins.
        (Method::GET, "/api/reports/queue_log", &[A, S], Any),
        (Method::GET, "/metrics", &[A, S], Any),
        (Method::GET, "/api/customers", &[A, S, Q, G], Any),
        (Method::POST, "/api/customers", &[A, S, G], Any),
        (Method::POST, "/api/customers/import", &[A, S], Any),
        (
            Method::GET,
            "/api/customers/by-number/*",
            &[A, S, Q, G],
            Any,
        ),
        (Method::GET, "/api/customers/*", &[A, S, Q, G], Any),
        (Method::PATCH, "/api/customers/*", &[A, S, G], Any),
        // The QA loop: handlers narrow each list and task to the caller's rows (http::qa).
        (Method::GET, "/api/qa/forms", &[A, S, Q, G], Any),
        (Method::POST, "/api/qa/forms", &[A], Any),
        (Method::GET, "/api/qa/forms/*", &[A, S, Q, G], Any),
        (Method::GET, "/api/qa/forms/*/*", &[A, S, Q, G], Any),
        (Method::GET, "/api/qa/teams", &[A, S, Q], Any),
        (Method::PUT, "/api/qa/teams/*", &[A], Any),
        (Method::DELETE, "/api/qa/teams/*", &[A], Any),
        (Method::GET, "/api/qa/settings", &[A, S, Q], Any),
        (Method::PUT, "/api/qa/settings", &[A], Any),
        (Method::POST, "/api/qa/sampling", &[A, S], Any),
        (Method::GET, "/api/qa/sampling/*", &[A, S, Q], Any),
        (Method::GET, "/api/qa/tasks", &[A, S, Q, G], Any),
        (Method::POST, "/api/qa/tasks/reassign", &[A, S], Any),
        (Method::GET, "/api/qa/tasks/*", &[A, S, Q, G], Any),
        (Method::PUT, "/api/qa/tasks/*/draft", &[A, S, Q], Any),
        (Method::POST, "/api/qa/tasks/*/comments", &[A, S, Q], Any),
        (Method::POST, "/api/qa/tasks/*/submit", &[A, S, Q], Any),
        (Method::POST, "/api/qa/tasks/*/acknowledge", &[G], Any),
        (Method::POST, "/api/qa/tasks/*/dispute", &[G], Any),
        (Method::POST, "/api/qa/tasks/*/settle", &[A, S], Any),
        (Method::GET, "/api/qa/follow-ups", &[A, S, Q, G], Any),
        (Method::POST, "/api/qa/follow-ups/*/check", &[A, S, Q], Any),
        (Method::GET, "/api/qa/reports", &[A, S], Any),
        (Method::GET, "/api/qa/reports.csv", &[A, S], Any),
        (Method::GET, "/api/qa/reports/chart.svg", &[A, S], Any),
    ]
};

/// Routes answered with or without a login: `GET /api/session` says who is logged in, or
/// `{"logged_in": false}` (a page's first look, which must not log a 401 in the browser).
pub fn login_optional(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD) && path == "/api/session"
}

/// Routes that need no login: health, login and the console's static files (its data comes
/// from the API behind the login). `/metrics` joins them with `[http] open_metrics = true`.
pub fn is_open(method: &Method, path: &str, open_metrics: bool) -> bool {
    let get = method == Method::GET || method == Method::HEAD;
    (get && (path == "/health" || path == "/api/openapi.json" || crate::http::pages::is_page(path)))
        || (method == Method::POST && path == "/api/login")
        || (open_metrics && get && path == "/metrics")
        // Visitors' web calls: the widget, the demo page and the call's WebSocket.
        || (get && crate::http::web::is_open(path))
}

fn matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('/');
    let mut s = path.split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (Some("*"), Some(seg)) if !seg.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// Whether a route (axum's path, `{name}` for a segment) is open or has a rule in the table,
/// i.e. whether [`decide`] and [`is_open`] say something about it other than the default.
#[cfg(test)]
pub fn has_rule(method: &Method, route: &str) -> bool {
    let path = route
        .split('/')
        .map(|s| if s.starts_with('{') { "x" } else { s })
        .collect::<Vec<_>>()
        .join("/");
    is_open(method, &path, false)
        || rules()
            .iter()
            .any(|(m, pattern, _, _)| m == method && matches(pattern, &path))
}

/// Paths only admins may use, whatever the method: account administration, and carriers'
/// trunks and DIDs (credentials of the telephone line, and where the public's calls go).
fn admin_only(path: &str) -> bool {
    ["/api/accounts", "/api/users", "/api/trunks", "/api/dids"]
        .iter()
        .any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// What `role` may do with `method path` (HEAD counts as GET).
pub fn decide(role: Role, method: &Method, path: &str) -> Decision {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    if role == Role::Admin {
        return Decision::Allow(Scope::Any);
    }
    if role == Role::Supervisor {
        // Accounts, extensions (SIP passwords), trunks and DIDs are the admins' alone.
        return if admin_only(path) {
            Decision::Deny
        } else {
            Decision::Allow(Scope::Any)
        };
    }
    // More specific patterns (`by-number/*`) come before `*` in the table.
    match rules()
        .iter()
        .find(|(m, pattern, _, _)| m == method && matches(pattern, path))
    {
        Some((_, _, roles, scope)) if roles.contains(&role) => {
            Decision::Allow(if role == Role::Agent {
                *scope
            } else {
                Scope::Any
            })
        }
        _ => Decision::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;

    /// Issue 13: staffing plans are for supervisors and admins.
    #[test]
    fn staffing_is_for_supervisors_and_admins() {
        let path = "/api/staffing";
        assert_eq!(decide(Role::Admin, &Method::GET, path), Allow(Scope::Any));
        assert_eq!(
            decide(Role::Supervisor, &Method::GET, path),
            Allow(Scope::Any)
        );
        assert_eq!(decide(Role::Qa, &Method::GET, path), Deny);
        assert_eq!(decide(Role::Agent, &Method::GET, path), Deny);
    }

    /// Issue 13: reports (tables, CSV, charts) for supervisors, admins and QA; the raw
    /// queue_log history for supervisors and admins only; nothing for agents.
    #[test]
    fn reports_and_queue_log() {
        for path in [
            "/api/reports/queues",
            "/api/reports/agents",
            "/api/reports/queues/chart.svg",
            "/api/reports/agents/chart.svg",
            "/api/reports/queue_log",
        ] {
            for role in [Role::Admin, Role::Supervisor] {
                assert_eq!(
                    decide(role, &Method::GET, path),
                    Allow(Scope::Any),
                    "{path}"
                );
            }
            assert_eq!(decide(Role::Agent, &Method::GET, path), Deny, "{path}");
            let qa = if path.ends_with("queue_log") {
                Deny
            } else {
                Allow(Scope::Any)
            };
            assert_eq!(decide(Role::Qa, &Method::GET, path), qa, "{path}");
        }
    }

    /// Issue 16: trunks carry a carrier's credentials; only admins see or change them.
    #[test]
    fn only_admins_manage_trunks_and_dids() {
        for (m, path) in [
            (Method::GET, "/api/trunks"),
            (Method::POST, "/api/trunks"),
            (Method::PUT, "/api/trunks/carrier-a"),
            (Method::DELETE, "/api/trunks/carrier-a"),
            (Method::GET, "/api/dids"),
            (Method::PUT, "/api/dids/+8215880000"),
        ] {
            assert_eq!(
                decide(Role::Admin, &m, path),
                Allow(Scope::Any),
                "{m} {path}"
            );
            for role in [Role::Supervisor, Role::Qa, Role::Agent] {
                assert_eq!(decide(role, &m, path), Deny, "{role:?} {m} {path}");
            }
        }
        assert_eq!(
            decide(Role::Supervisor, &Method::GET, "/api/trunksx"),
            Allow(Scope::Any),
            "a prefix is not the path"
        );
    }

    #[test]
    fn extensions_and_accounts_are_for_admins_agents_for_supervisors_too() {
        for (m, path) in [
            (Method::GET, "/api/users"),
            (Method::POST, "/api/users"),
            (Method::PUT, "/api/users/2001"),
            (Method::DELETE, "/api/users/2001"),
            (Method::POST, "/api/accounts"),
            (Method::PATCH, "/api/accounts/sue"),
            (Method::POST, "/api/accounts/sue/password"),
        ] {
            assert_eq!(decide(Role::Admin, &m, path), Allow(Scope::Any));
            for role in [Role::Supervisor, Role::Qa, Role::Agent] {
                assert_eq!(decide(role, &m, path), Deny, "{role} {m} {path}");
            }
        }
        for (m, path) in [
            (Method::POST, "/api/agents"),
            (Method::PUT, "/api/agents/a1"),
            (Method::DELETE, "/api/agents/a1"),
            (Method::GET, "/api/agents/a1/definition"),
            (Method::GET, "/api/agents/a1/queues"),
        ] {
            assert_eq!(decide(Role::Supervisor, &m, path), Allow(Scope::Any));
            for role in [Role::Qa, Role::Agent] {
                assert_eq!(decide(role, &m, path), Deny, "{role} {m} {path}");
            }
        }
    }

    #[test]
    fn only_admins_and_supervisors_manage_queues() {
        for (m, path) in [
            (Method::POST, "/api/queues"),
            (Method::PUT, "/api/queues/vip"),
            (Method::DELETE, "/api/queues/vip"),
            (Method::PATCH, "/api/queues/vip"),
            (Method::GET, "/api/queues/vip/definition"),
            (Method::PUT, "/api/agents/alice/queues"),
        ] {
            assert_eq!(decide(A, &m, path), Allow(Scope::Any), "{m} {path}");
            assert_eq!(decide(S, &m, path), Allow(Scope::Any), "{m} {path}");
            assert_eq!(decide(Q, &m, path), Deny, "{m} {path}");
            assert_eq!(decide(G, &m, path), Deny, "agent: {m} {path}");
        }
        assert_eq!(
            decide(G, &Method::GET, "/api/queues"),
            Allow(Scope::Any),
            "agents still read queues"
        );
    }

    #[test]
    fn admins_and_supervisors_differ_only_on_accounts() {
        for path in ["/api/status", "/api/acd", "/api/whatever-comes-next"] {
            assert_eq!(decide(A, &Method::GET, path), Allow(Scope::Any));
            assert_eq!(decide(S, &Method::GET, path), Allow(Scope::Any));
        }
        assert_eq!(decide(A, &Method::GET, "/api/accounts"), Allow(Scope::Any));
        assert_eq!(decide(S, &Method::GET, "/api/accounts"), Deny);
    }

    #[test]
    fn qa_reads_calls_recordings_reports_and_customers_only() {
        for path in [
            "/api/cdrs",
            "/api/cdrs/c1",
            "/api/cdrs/c1/recordings",
            "/api/recordings/r1",
            "/api/recordings/r1/audio",
            "/api/recordings/r1/peaks",
            "/api/reports/queues",
            "/api/customers/7",
            "/api/customers/by-number/+821012345678",
        ] {
            assert_eq!(decide(Q, &Method::GET, path), Allow(Scope::Any), "{path}");
        }
        assert_eq!(
            decide(Q, &Method::HEAD, "/api/recordings/r1/audio"),
            Allow(Scope::Any)
        );
        for (m, path) in [
            (Method::PATCH, "/api/customers/7"),
            (Method::POST, "/api/customers"),
            (Method::POST, "/api/cdrs/c1/recording/pause"),
            (Method::GET, "/api/status"),
            (Method::GET, "/api/agents"),
            (Method::GET, "/api/audit"),
            (Method::GET, "/metrics"),
            (Method::GET, "/api/unknown"),
        ] {
            assert_eq!(decide(Q, &m, path), Deny, "{m} {path}");
        }
    }

    #[test]
    fn agents_are_scoped_to_their_own_objects() {
        assert_eq!(
            decide(G, &Method::POST, "/api/agents/alice/pause"),
            Allow(Scope::OwnAgent(2))
        );
        assert_eq!(
            decide(G, &Method::GET, "/api/recordings/r1/audio"),
            Allow(Scope::OwnRecording(2))
        );
        assert_eq!(
            decide(G, &Method::GET, "/api/recordings/r1/peaks"),
            Allow(Scope::OwnRecording(2))
        );
        assert_eq!(
            decide(G, &Method::GET, "/api/cdrs/c1"),
            Allow(Scope::OwnCall(2))
        );
        assert_eq!(decide(G, &Method::GET, "/api/queues"), Allow(Scope::Any));
        assert_eq!(
            decide(G, &Method::PATCH, "/api/customers/3"),
            Allow(Scope::Any)
        );
        assert_eq!(decide(G, &Method::POST, "/api/customers/import"), Deny);
        assert_eq!(decide(G, &Method::GET, "/api/reports/agents"), Deny);
        assert_eq!(decide(G, &Method::GET, "/api/acd"), Deny);
        assert_eq!(
            decide(G, &Method::POST, "/api/agents/alice"),
            Deny,
            "segment count"
        );
        assert_eq!(
            decide(G, &Method::GET, "/api/cdrs//recordings"),
            Deny,
            "empty id"
        );
    }

    #[test]
    fn open_routes_are_health_login_and_optionally_metrics() {
        assert!(is_open(&Method::GET, "/health", false));
        assert!(is_open(&Method::POST, "/api/login", false));
        assert!(!is_open(&Method::GET, "/api/login", false));
        assert!(!is_open(&Method::GET, "/metrics", false));
        assert!(is_open(&Method::GET, "/metrics", true));
        assert!(!is_open(&Method::GET, "/api/status", true));
        for page in ["/", "/agent", "/agent.js", "/app.css", "/i18n/ko.json"] {
            assert!(is_open(&Method::GET, page, false), "{page}");
            assert!(!is_open(&Method::POST, page, false), "{page}");
        }
        assert!(!is_open(&Method::GET, "/agent/x", false));
        assert!(!is_open(&Method::GET, "/agent.json", false));
        assert!(login_optional(&Method::GET, "/api/session"));
        assert!(!login_optional(&Method::POST, "/api/session"));
        assert!(!login_optional(&Method::GET, "/api/sessions"));
    }

    #[test]
    fn routes_are_checked_against_the_table_as_decide_reads_it() {
        assert!(has_rule(&Method::GET, "/api/cdrs/{id}/recordings"));
        assert!(has_rule(&Method::POST, "/api/agents/{id}/{action}"));
        assert!(has_rule(&Method::GET, "/agent.js"), "open page");
        assert!(!has_rule(&Method::DELETE, "/api/cdrs/{id}"));
        assert!(!has_rule(&Method::GET, "/api/whatever-comes-next"));
    }

    #[test]
    fn agents_dial_only_as_themselves() {
        // Click-to-dial rides on the agent actions' rule: the path names the agent.
        assert_eq!(
            decide(G, &Method::POST, "/api/agents/alice/dial"),
            Allow(Scope::OwnAgent(2))
        );
        assert_eq!(
            decide(S, &Method::POST, "/api/agents/alice/dial"),
            Allow(Scope::Any)
        );
        assert_eq!(decide(Q, &Method::POST, "/api/agents/alice/dial"), Deny);
    }

    #[test]
    fn agents_read_customers_contact_histories() {
        assert_eq!(
            decide(G, &Method::GET, "/api/customers/7/contacts"),
            Allow(Scope::Any)
        );
        assert_eq!(decide(G, &Method::GET, "/api/contacts"), Deny);
    }

    /// The QA loop's routes: reviewers review, agents answer their reviews, neither
    /// configures; the handlers narrow further (http::qa::scope).
    #[test]
    fn qa_routes_by_role() {
        let cases: &[(Method, &str, [bool; 2])] = &[
            // [qa reviewer, agent]
            (Method::GET, "/api/qa/forms", [true, true]),
            (Method::GET, "/api/qa/forms/inbound/2", [true, true]),
            (Method::POST, "/api/qa/forms", [false, false]),
            (Method::PUT, "/api/qa/teams/red", [false, false]),
            (Method::GET, "/api/qa/teams", [true, false]),
            (Method::PUT, "/api/qa/settings", [false, false]),
            (Method::POST, "/api/qa/sampling", [false, false]),
            (Method::GET, "/api/qa/tasks", [true, true]),
            (Method::POST, "/api/qa/tasks/reassign", [false, false]),
            (Method::PUT, "/api/qa/tasks/t1/draft", [true, false]),
            (Method::POST, "/api/qa/tasks/t1/submit", [true, false]),
            (Method::POST, "/api/qa/tasks/t1/comments", [true, false]),
            (Method::POST, "/api/qa/tasks/t1/acknowledge", [false, true]),
            (Method::POST, "/api/qa/tasks/t1/dispute", [false, true]),
            (Method::POST, "/api/qa/tasks/t1/settle", [false, false]),
            (Method::GET, "/api/qa/follow-ups", [true, true]),
            (Method::POST, "/api/qa/follow-ups/p1/check", [true, false]),
            (Method::GET, "/api/qa/reports", [false, false]),
            (Method::GET, "/api/qa/reports.csv", [false, false]),
            (Method::GET, "/api/qa/reports/chart.svg", [false, false]),
        ];
        for (m, path, [qa, agent]) in cases {
            for (role, allowed) in [(Q, *qa), (G, *agent)] {
                let want = if allowed { Allow(Scope::Any) } else { Deny };
                assert_eq!(decide(role, m, path), want, "{role} {m} {path}");
            }
            assert_eq!(decide(S, m, path), Allow(Scope::Any), "{m} {path}");
        }
    }
}
