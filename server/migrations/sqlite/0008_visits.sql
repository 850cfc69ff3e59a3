-- Field visits (入户调查、走访、回访) recorded on phones, with their photos
-- and the visited person's signature. A visit's and a file's id is a UUID
-- made on the phone, so a record sent twice is stored once.

CREATE TABLE visits (
    id TEXT PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL CHECK (kind IN ('home_visit', 'village_committee_interview', 'neighbour_interview', 'phone_follow_up', 'on_site_follow_up')),
    visited_at BIGINT NOT NULL,
    place TEXT NOT NULL,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    accuracy_m DOUBLE PRECISION,
    people_met TEXT NOT NULL,
    household_members BIGINT,
    monthly_income_fen BIGINT,
    dependants BIGINT,
    hardship TEXT,
    needs TEXT,
    notes TEXT,
    -- The record as first received (normalised JSON): a replay must match it.
    fingerprint TEXT NOT NULL,
    officer_id BIGINT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX visits_case ON visits (case_id, visited_at);

-- Kept in the database, not on a disk, so every instance serves them.
CREATE TABLE visit_files (
    id TEXT PRIMARY KEY,
    visit_id TEXT NOT NULL REFERENCES visits (id),
    kind TEXT NOT NULL CHECK (kind IN ('photo', 'signature')),
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX visit_files_visit ON visit_files (visit_id, uploaded_at);
