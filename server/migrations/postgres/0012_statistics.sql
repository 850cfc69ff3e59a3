-- Supervisors' statistics count a period's rows from these indexes alone
-- (each holds every column its query reads), so a year of a million-case
-- county is counted without touching the tables.
CREATE INDEX leads_received ON leads (received_on, channel);
CREATE INDEX cases_accepted ON cases (accepted_at, green_channel, village_id, officer_id, applicant_id);
CREATE INDEX case_events_action_at ON case_events (action, at, case_id, amount_fen);
CREATE INDEX money_payments_paid_on ON money_payments (paid_on, case_id, amount_fen);
CREATE INDEX referrals_created ON referrals (created_at, agency_id, state, case_id);
