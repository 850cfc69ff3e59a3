-- Aid leads, the people they concern, cases and each case's timeline.

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    id_number TEXT,
    village_id BIGINT NOT NULL REFERENCES villages (id),
    phone TEXT,
    priority_groups TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX people_id_number ON people (id_number);
CREATE INDEX people_name_village ON people (name, village_id);

CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    channel_detail TEXT,
    received_on TEXT NOT NULL,
    reporter TEXT NOT NULL,
    summary TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'declined')),
    decline_reason TEXT,
    case_id BIGINT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX leads_status ON leads (status, created_at);

CREATE TABLE lead_people (
    lead_id BIGINT NOT NULL REFERENCES leads (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    position BIGINT NOT NULL,
    PRIMARY KEY (lead_id, person_id)
);
CREATE INDEX lead_people_person ON lead_people (person_id);

CREATE TABLE case_counters (
    year BIGINT PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    lead_id BIGINT NOT NULL UNIQUE REFERENCES leads (id),
    state TEXT NOT NULL,
    applicant_id BIGINT NOT NULL REFERENCES people (id),
    agent_id BIGINT REFERENCES people (id),
    agent_relationship TEXT,
    criminal_case_ref TEXT,
    village_id BIGINT NOT NULL REFERENCES villages (id),
    officer_id BIGINT NOT NULL REFERENCES users (id),
    green_channel BOOLEAN NOT NULL DEFAULT FALSE,
    green_channel_deadline BIGINT,
    proposed_amount_fen BIGINT CHECK (proposed_amount_fen > 0),
    proposal_reasoning TEXT,
    approved_amount_fen BIGINT CHECK (approved_amount_fen > 0),
    accepted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (year, seq)
);
CREATE INDEX cases_state ON cases (state, updated_at);
CREATE INDEX cases_officer ON cases (officer_id, state);
CREATE INDEX cases_village ON cases (village_id);
CREATE INDEX cases_year ON cases (year);
CREATE INDEX cases_applicant ON cases (applicant_id);

CREATE TABLE case_events (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at BIGINT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    amount_fen BIGINT,
    comment TEXT
);
CREATE INDEX case_events_case ON case_events (case_id, id);
