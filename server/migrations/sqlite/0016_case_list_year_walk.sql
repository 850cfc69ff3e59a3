-- A year's cases (and an officer's cases of a year) in the list's order, so
-- that a page of a past year is read by walking the index from the top of
-- that year, not by stepping over every newer case in the whole county.
-- green_channel sits before the order columns: the page is taken as two
-- walks, green channel and the rest, each already in order, which serves
-- both the supervisors' green-first order and everyone else's plain one.
-- The indexes they replace were their leading columns, so counts and the
-- statistics' year lookups read these instead.
DROP INDEX cases_year;
DROP INDEX cases_officer_year;
CREATE INDEX cases_year_order ON cases (year, green_channel, updated_at, id);
CREATE INDEX cases_officer_year_order ON cases (officer_id, year, green_channel, updated_at, id);
