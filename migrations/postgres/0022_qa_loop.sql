-- The monthly QA-review loop (PostgreSQL): teams, evaluation forms, sampling runs, review tasks
-- and their reviews, time-stamped comments, follow-ups of improvement points, disputes.
--
-- The rules (sampling, scoring, follow-up dates) are in the `qa` crate; these tables keep
-- their results. Times are TIMESTAMPTZ and JSON is JSONB; calendar days
-- (due dates) are `YYYY-MM-DD` text, so text order is date order on both backends. Limits are
-- enforced by the repository with clear messages; the CHECKs are the last line of defence.
-- Accounts and agents are named by their username / agent id (no foreign key: an account no
-- longer configured is kept disabled, and the history must still name it).

-- qa_teams: agents and the supervisor account who sees them.
CREATE TABLE qa_teams (
    name       TEXT PRIMARY KEY NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    supervisor TEXT NOT NULL CHECK (char_length(supervisor) BETWEEN 1 AND 64),
    updated_at TIMESTAMPTZ NOT NULL
);

-- qa_team_members: an agent is in one team at a time (no history).
CREATE TABLE qa_team_members (
    agent TEXT PRIMARY KEY NOT NULL CHECK (char_length(agent) BETWEEN 1 AND 100),
    team  TEXT NOT NULL REFERENCES qa_teams (name) ON DELETE CASCADE
);
CREATE INDEX qa_team_members_team ON qa_team_members (team);

-- qa_forms: evaluation forms, one row per version. A version is never changed: a change is a
-- new version, and a task keeps the version it was made with (the foreign key below).
CREATE TABLE qa_forms (
    form_id    TEXT NOT NULL CHECK (char_length(form_id) BETWEEN 1 AND 64),
    version    INTEGER NOT NULL CHECK (version >= 1),
    name       TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    -- The qa::Form as JSON (validated by qa::Form::validate before it is stored).
    definition JSONB NOT NULL,
    created_by TEXT NOT NULL CHECK (char_length(created_by) BETWEEN 1 AND 64),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (form_id, version)
);

-- qa_settings: the sampling settings an admin configures (one row).
CREATE TABLE qa_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    -- JSON: sample size per team / agent, minimum talk time, follow-up calls, form.
    settings   JSONB NOT NULL,
    updated_by TEXT NOT NULL CHECK (char_length(updated_by) BETWEEN 1 AND 64),
    updated_at TIMESTAMPTZ NOT NULL
);

-- qa_runs: one sampling run per month (the unique month makes a second run say so).
CREATE TABLE qa_runs (
    id           TEXT PRIMARY KEY NOT NULL CHECK (char_length(id) BETWEEN 1 AND 64),
    month        TEXT NOT NULL UNIQUE CHECK (char_length(month) = 7 AND month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    seed         BIGINT NOT NULL CHECK (seed >= 0),
    requested_by TEXT NOT NULL CHECK (char_length(requested_by) BETWEEN 1 AND 64),
    requested_at TIMESTAMPTZ NOT NULL,
    -- The qa::SampleRecord as JSON: who, when, from which population.
    record       JSONB NOT NULL
);

-- qa_tasks: one call to review, its reviewer, form and state.
CREATE TABLE qa_tasks (
    id           TEXT PRIMARY KEY NOT NULL CHECK (char_length(id) BETWEEN 1 AND 64),
    run_id       TEXT NOT NULL REFERENCES qa_runs (id),
    month        TEXT NOT NULL CHECK (char_length(month) = 7),
    call_id      TEXT NOT NULL CHECK (char_length(call_id) BETWEEN 1 AND 255),
    -- NULL when the call has no recording left: such a task cannot be reviewed.
    recording_id TEXT CHECK (char_length(recording_id) BETWEEN 1 AND 64),
    agent        TEXT NOT NULL CHECK (char_length(agent) BETWEEN 1 AND 100),
    team         TEXT CHECK (char_length(team) BETWEEN 1 AND 64),
    queue        TEXT CHECK (char_length(queue) BETWEEN 1 AND 100),
    channel      TEXT NOT NULL CHECK (char_length(channel) BETWEEN 1 AND 32),
    answered_at  TIMESTAMPTZ NOT NULL,
    -- NULL when no reviewer could take it.
    reviewer     TEXT CHECK (char_length(reviewer) BETWEEN 1 AND 64),
    form_id      TEXT NOT NULL,
    form_version INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('assigned', 'draft', 'submitted', 'acknowledged',
                     'disputed', 'settled')),
    purpose      TEXT NOT NULL CHECK (purpose IN ('regular', 'follow_up')),
    -- JSON array of the follow-up ids a follow-up task re-checks ([] for a regular one).
    points       JSONB NOT NULL DEFAULT '[]'::jsonb,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (run_id, call_id),
    FOREIGN KEY (form_id, form_version) REFERENCES qa_forms (form_id, version)
);
CREATE INDEX qa_tasks_month ON qa_tasks (month, agent);
CREATE INDEX qa_tasks_reviewer ON qa_tasks (reviewer, status);

-- qa_reviews: the reviewer's work on a task, saved as typed (a draft), then submitted.
CREATE TABLE qa_reviews (
    task_id      TEXT PRIMARY KEY NOT NULL REFERENCES qa_tasks (id) ON DELETE CASCADE,
    -- JSON object question id -> answer, as typed (checked when submitted).
    answers      JSONB NOT NULL,
    -- JSON array of improvement points' texts, as typed.
    points       JSONB NOT NULL,
    summary      TEXT NOT NULL DEFAULT '' CHECK (char_length(summary) <= 4000),
    saved_at     TIMESTAMPTZ NOT NULL,
    -- Set together at submission: the total and the qa::Score as JSON.
    score        DOUBLE PRECISION CHECK (score BETWEEN 0 AND 100),
    score_detail JSONB,
    submitted_at TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    CHECK ((score IS NULL) = (submitted_at IS NULL))
);

-- qa_comments: time-stamped comments on the task's recording.
CREATE TABLE qa_comments (
    id         TEXT PRIMARY KEY NOT NULL CHECK (char_length(id) BETWEEN 1 AND 64),
    task_id    TEXT NOT NULL REFERENCES qa_tasks (id) ON DELETE CASCADE,
    at_ms      BIGINT NOT NULL CHECK (at_ms >= 0),
    text       TEXT NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    author     TEXT NOT NULL CHECK (char_length(author) BETWEEN 1 AND 64),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX qa_comments_task ON qa_comments (task_id, at_ms);

-- qa_follow_ups: one per improvement point of a submitted review, re-checked a month later.
CREATE TABLE qa_follow_ups (
    id         TEXT PRIMARY KEY NOT NULL CHECK (char_length(id) BETWEEN 1 AND 64),
    -- The task whose review opened the point.
    task_id    TEXT NOT NULL REFERENCES qa_tasks (id) ON DELETE CASCADE,
    agent      TEXT NOT NULL CHECK (char_length(agent) BETWEEN 1 AND 100),
    text       TEXT NOT NULL CHECK (char_length(text) BETWEEN 1 AND 2000),
    -- Calls after this instant show whether the point improved.
    since      TIMESTAMPTZ NOT NULL,
    due_on     TEXT NOT NULL CHECK (char_length(due_on) = 10),
    carries    INTEGER NOT NULL DEFAULT 0 CHECK (carries >= 0),
    state      TEXT NOT NULL CHECK (state IN ('open', 'improved')),
    -- JSON array of checks: [{"at", "verdict", "calls", "by"}...], oldest first.
    checks     JSONB NOT NULL DEFAULT '[]'::jsonb,
    opened_at  TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX qa_follow_ups_open ON qa_follow_ups (agent, due_on) WHERE state = 'open';
CREATE INDEX qa_follow_ups_task ON qa_follow_ups (task_id);

-- qa_disputes: an agent's dispute of a submitted review and the supervisor's settlement.
CREATE TABLE qa_disputes (
    task_id      TEXT PRIMARY KEY NOT NULL REFERENCES qa_tasks (id) ON DELETE CASCADE,
    comment      TEXT NOT NULL CHECK (char_length(comment) BETWEEN 1 AND 4000),
    disputed_by  TEXT NOT NULL CHECK (char_length(disputed_by) BETWEEN 1 AND 64),
    disputed_at  TIMESTAMPTZ NOT NULL,
    score_before DOUBLE PRECISION NOT NULL,
    -- Set together at settlement; score_after is the score kept or the new one.
    outcome      TEXT CHECK (outcome IN ('kept', 'changed')),
    score_after  DOUBLE PRECISION CHECK (score_after BETWEEN 0 AND 100),
    reason       TEXT CHECK (char_length(reason) BETWEEN 1 AND 4000),
    settled_by   TEXT CHECK (char_length(settled_by) BETWEEN 1 AND 64),
    settled_at   TIMESTAMPTZ,
    CHECK ((outcome IS NULL) = (settled_at IS NULL))
);
