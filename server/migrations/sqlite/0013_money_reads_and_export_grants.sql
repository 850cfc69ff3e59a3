-- Issue 9, the rest: reads of a child's money section go to the read log
-- ('money'), and a grant to export in full is used once (`used_at`).

ALTER TABLE access_grants ADD COLUMN used_at BIGINT;

-- SQLite cannot change a CHECK constraint in place: the read log is rebuilt
-- with the same columns in the same order (nothing refers to it).
CREATE TABLE read_log_new (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    what TEXT NOT NULL CHECK (what IN ('case_page', 'photo', 'document', 'print', 'export', 'money')),
    -- The photo's or document's id, when one was read.
    item TEXT,
    -- Whether names, ID numbers and phone numbers were shown in full.
    full_details BOOLEAN NOT NULL,
    grant_id BIGINT REFERENCES access_grants (id),
    client_addr TEXT,
    request_id TEXT
);
INSERT INTO read_log_new (id, at, user_id, case_id, what, item, full_details, grant_id, client_addr, request_id)
    SELECT id, at, user_id, case_id, what, item, full_details, grant_id, client_addr, request_id FROM read_log;
DROP TABLE read_log;
ALTER TABLE read_log_new RENAME TO read_log;
CREATE INDEX read_log_case ON read_log (case_id, at);
