-- The facts of a case an officer keeps up to date in the field (the
-- applicant's phone stays on `people`), the edits made on phones, each
-- stored once under the id the phone made, and the fields two edits changed
-- differently, kept until the officer or a supervisor chooses a version.

ALTER TABLE cases ADD COLUMN address TEXT;
ALTER TABLE cases ADD COLUMN household_members BIGINT CHECK (household_members >= 0);
ALTER TABLE cases ADD COLUMN monthly_income_fen BIGINT CHECK (monthly_income_fen >= 0);
ALTER TABLE cases ADD COLUMN dependants BIGINT CHECK (dependants >= 0);
ALTER TABLE cases ADD COLUMN hardship TEXT;
ALTER TABLE cases ADD COLUMN needs TEXT;

CREATE TABLE case_fact_edits (
    id TEXT PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    -- The edit as first received (normalised JSON): a replay must match it.
    fingerprint TEXT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    -- The answer given the first time (JSON), given again on a replay.
    outcome TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX case_fact_edits_case ON case_fact_edits (case_id, recorded_at);

CREATE TABLE case_fact_conflicts (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    edit_id TEXT NOT NULL REFERENCES case_fact_edits (id),
    field TEXT NOT NULL CHECK (field IN ('phone', 'address', 'household_members', 'monthly_income_fen', 'dependants', 'hardship', 'needs')),
    -- Each version as JSON (a string, an integer or null).
    base_value TEXT NOT NULL,
    mine_value TEXT NOT NULL,
    theirs_value TEXT NOT NULL,
    raised_by BIGINT NOT NULL REFERENCES users (id),
    raised_at BIGINT NOT NULL,
    choice TEXT CHECK (choice IN ('mine', 'theirs')),
    resolved_by BIGINT REFERENCES users (id),
    resolved_at BIGINT,
    CHECK ((choice IS NULL AND resolved_by IS NULL AND resolved_at IS NULL)
        OR (choice IS NOT NULL AND resolved_by IS NOT NULL AND resolved_at IS NOT NULL))
);
CREATE INDEX case_fact_conflicts_case ON case_fact_conflicts (case_id, id);
