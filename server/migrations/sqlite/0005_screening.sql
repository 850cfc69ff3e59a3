-- Case screening (案件管理筛查): imported lists of criminal cases, the rows that
-- could not be read, and the people flagged as worth an aid lead.

-- The column mapping last chosen, remembered for the next file (one per procuratorate).
CREATE TABLE screening_mappings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    mapping_json TEXT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

CREATE TABLE screening_imports (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    -- Hex SHA-256 of the file: the same file is imported once.
    sha256 TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('needs_mapping', 'imported')),
    -- Kept only while the officer chooses the columns, then cleared.
    file_bytes BLOB,
    mapping_json TEXT,
    rows_total BIGINT NOT NULL DEFAULT 0,
    rows_flagged BIGINT NOT NULL DEFAULT 0,
    rows_known BIGINT NOT NULL DEFAULT 0,
    rows_error BIGINT NOT NULL DEFAULT 0,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at BIGINT NOT NULL,
    imported_at BIGINT
);

CREATE TABLE screening_row_errors (
    id INTEGER PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES screening_imports (id),
    line BIGINT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX screening_row_errors_import ON screening_row_errors (import_id, line);

CREATE TABLE screening_flags (
    id INTEGER PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES screening_imports (id),
    line BIGINT NOT NULL,
    criminal_case_ref TEXT NOT NULL,
    name TEXT NOT NULL,
    id_number TEXT,
    village_id BIGINT REFERENCES villages (id),
    phone TEXT,
    reasons TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'lead', 'dismissed')),
    dismiss_reason TEXT,
    lead_id BIGINT REFERENCES leads (id),
    -- Case reference + ID number (or name): a person is flagged once per case,
    -- however many files list them.
    dedupe_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX screening_flags_status ON screening_flags (status, id);
