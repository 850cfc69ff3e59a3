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
