-- Foundation: places, agencies, accounts, sessions, login throttling, audit log.
-- Timestamps are UTC unix milliseconds (BIGINT) on both databases.

CREATE TABLE townships (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE villages (
    id INTEGER PRIMARY KEY,
    township_id BIGINT NOT NULL REFERENCES townships (id),
    name TEXT NOT NULL,
    UNIQUE (township_id, name)
);

CREATE TABLE agencies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'village_committee', 'partner', 'admin')),
    village_id BIGINT REFERENCES villages (id),
    agency_id BIGINT REFERENCES agencies (id),
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK ((role = 'village_committee') = (village_id IS NOT NULL)),
    CHECK ((role = 'partner') = (agency_id IS NOT NULL))
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE login_throttle (
    username TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    case_id BIGINT,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_case_id ON audit_log (case_id);
