-- Issue 9, the rest: reads of a child's money section go to the read log
-- ('money'), and a grant to export in full is used once (`used_at`).

ALTER TABLE access_grants ADD COLUMN used_at BIGINT;

ALTER TABLE read_log DROP CONSTRAINT read_log_what_check;
ALTER TABLE read_log ADD CONSTRAINT read_log_what_check
    CHECK (what IN ('case_page', 'photo', 'document', 'print', 'export', 'money'));
