-- Jobs (work longer than a request) and module schedules.

-- `result` is a JSON object (or NULL); times are ISO-8601 UTC. A job left `queued` or
-- `running` by a process that died is marked `failed` ("interrupted") at the next start.
CREATE TABLE IF NOT EXISTS jobs (
    id          TEXT PRIMARY KEY,
    module      TEXT NOT NULL,
    state       TEXT NOT NULL
                CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    progress    REAL NOT NULL DEFAULT 0,
    message     TEXT,
    origin      TEXT NOT NULL CHECK (origin IN ('api', 'schedule', 'webhook', 'startup')),
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    result      TEXT,
    error       TEXT
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);

-- One row per scheduled module; interval 0 = off.
CREATE TABLE IF NOT EXISTS schedules (
    module           TEXT PRIMARY KEY,
    interval_minutes INTEGER NOT NULL CHECK (interval_minutes >= 0),
    last_run_at      TEXT,
    next_run_at      TEXT
);
