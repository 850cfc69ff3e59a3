-- Stage clocks and fast case search.

-- Stage clocks: when the case entered its current state. `updated_at` cannot
-- serve, since changes that keep the state (a green-channel confirmation) move it.
ALTER TABLE cases ADD COLUMN state_since BIGINT NOT NULL DEFAULT 0;
UPDATE cases SET state_since = COALESCE(
    (SELECT MAX(e.at) FROM case_events e
     WHERE e.case_id = cases.id AND e.to_state = cases.state
       AND (e.from_state IS NULL OR e.from_state <> e.to_state)),
    accepted_at);

-- The unfiltered case list is ordered by the latest change.
CREATE INDEX cases_updated ON cases (updated_at, id);
-- Supervisors' inbox: green-channel cases first, then the latest change.
CREATE INDEX cases_green_updated ON cases (green_channel, updated_at, id);
-- Search by the number's sequence alone ("3" finds 〔2026〕3号 and 〔2025〕3号).
CREATE INDEX cases_seq ON cases (seq);

-- Name search by substring without scanning every person: each name's
-- substrings of one to four characters, so "小明" finds 张小明 by an index
-- lookup. Longer queries look up their first four characters, then check.
CREATE TABLE person_name_grams (
    gram TEXT NOT NULL,
    person_id BIGINT NOT NULL REFERENCES people (id),
    PRIMARY KEY (gram, person_id)
);
CREATE INDEX person_name_grams_person ON person_name_grams (person_id);
WITH RECURSIVE starts (person_id, name, pos) AS (
    SELECT id, name, 1 FROM people
    UNION ALL
    SELECT person_id, name, pos + 1 FROM starts WHERE pos < length(name)
), lengths (n) AS (VALUES (1), (2), (3), (4))
INSERT INTO person_name_grams (gram, person_id)
SELECT DISTINCT substr(name, pos, n), person_id FROM starts, lengths
WHERE pos + n - 1 <= length(name);

-- Each person's priority groups, one row per group, so the list's group filter
-- is an index lookup. people.priority_groups stays the copy that is shown;
-- storage::cases::insert_person writes both.
CREATE TABLE person_groups (
    priority_group TEXT NOT NULL,
    person_id BIGINT NOT NULL REFERENCES people (id),
    PRIMARY KEY (priority_group, person_id)
);
WITH g (name) AS (
    VALUES ('minor'), ('poor_household'), ('disabled'), ('veteran'), ('impoverished_by_case'), ('other')
)
INSERT INTO person_groups (priority_group, person_id)
SELECT g.name, p.id FROM people p JOIN g ON (',' || p.priority_groups || ',') LIKE '%,' || g.name || ',%';

-- Officer's and village's lists, newest change first.
CREATE INDEX cases_officer_updated ON cases (officer_id, updated_at, id);
CREATE INDEX cases_village_updated ON cases (village_id, updated_at, id);
