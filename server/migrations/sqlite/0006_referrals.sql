-- The "1+N" network: the services each partner agency offers, consents to
-- share a person's details, referrals to agencies and each referral's history.

CREATE TABLE agency_services (
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    service TEXT NOT NULL,
    PRIMARY KEY (agency_id, service)
);

CREATE TABLE consents (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    given_by TEXT NOT NULL,
    relationship TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    scope_note TEXT,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX consents_case ON consents (case_id, person_id);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    service TEXT NOT NULL,
    note TEXT NOT NULL,
    due_on TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sent', 'accepted', 'declined', 'in_progress', 'done')),
    outcome TEXT,
    decline_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX referrals_case ON referrals (case_id, id);
CREATE INDEX referrals_agency ON referrals (agency_id, state);

CREATE TABLE referral_updates (
    id INTEGER PRIMARY KEY,
    referral_id BIGINT NOT NULL REFERENCES referrals (id),
    at BIGINT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT
);
CREATE INDEX referral_updates_referral ON referral_updates (referral_id, id);
