-- A case's decisions (approve, refuse, start_payment) found among its events
-- without stepping over the rest. Every visit adds an event to its case, so a
-- case visited thousands of times made each statistics tally of it (before and
-- after every follow-up, approval or payment) step over thousands of events;
-- and the first start of payment, which follow-ups count from, is now one
-- lookup.
CREATE INDEX case_events_case_action ON case_events (case_id, action, at);
