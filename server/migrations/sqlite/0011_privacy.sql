-- Privacy of children and victims: time-limited access grants (break-the-glass
-- and full disclosures), the read log of protected cases, and archiving.

-- A grant lets one user do one thing on one case until `expires_at`:
-- `case_access` opens a protected case outside its team (break-the-glass);
-- `print` and `export` disclose a case in full for the stated purpose.
-- `case_id` is NULL for a disclosure that spans cases (a statistics export).
CREATE TABLE access_grants (
    id INTEGER PRIMARY KEY,
    case_id BIGINT REFERENCES cases (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('case_access', 'print', 'export')),
    reason TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    client_addr TEXT
);
CREATE INDEX access_grants_case_user ON access_grants (case_id, user_id, kind, expires_at);
CREATE INDEX access_grants_granted ON access_grants (granted_at, id);

-- Every read of a protected case: who, when, what, from where. Append-only.
CREATE TABLE read_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    what TEXT NOT NULL CHECK (what IN ('case_page', 'photo', 'document', 'print', 'export')),
    -- The photo's or document's id, when one was read.
    item TEXT,
    -- Whether names, ID numbers and phone numbers were shown in full.
    full_details BOOLEAN NOT NULL,
    grant_id BIGINT REFERENCES access_grants (id),
    client_addr TEXT,
    request_id TEXT
);
CREATE INDEX read_log_case ON read_log (case_id, at);

-- When the personal details of a closed case were removed (README "Privacy").
ALTER TABLE cases ADD COLUMN archived_at BIGINT;
