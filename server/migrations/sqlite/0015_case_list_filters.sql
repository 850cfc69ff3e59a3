-- The case list counts every match of its filters. At a million cases the
-- broad filters must count from an index alone:
-- - the applicant's priority groups as bits on the case (fixed once the
--   person is recorded; domain::case::PriorityGroup::bit gives the numbers),
--   so "a village's minors" reads (village_id, applicant_groups);
-- - an officer's cases of a year;
-- - the stage clock, so "overdue" is one index range per state and channel.
ALTER TABLE cases ADD COLUMN applicant_groups BIGINT NOT NULL DEFAULT 0;

UPDATE cases SET applicant_groups = (
    SELECT COALESCE(SUM(CASE pg.priority_group
        WHEN 'minor' THEN 1
        WHEN 'poor_household' THEN 2
        WHEN 'disabled' THEN 4
        WHEN 'veteran' THEN 8
        WHEN 'impoverished_by_case' THEN 16
        WHEN 'other' THEN 32
        ELSE 0 END), 0)
    FROM person_groups pg WHERE pg.person_id = cases.applicant_id
);

CREATE INDEX cases_village_groups ON cases (village_id, applicant_groups);
CREATE INDEX cases_officer_year ON cases (officer_id, year);
CREATE INDEX cases_stage_clock ON cases (state, green_channel, state_since);
