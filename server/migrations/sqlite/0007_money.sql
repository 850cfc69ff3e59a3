-- Aid money after approval: the plan and its running totals, installments,
-- payments, the supervision agreement and pledge, uploaded scans and photos,
-- spending records with the village committee's confirmations, phone checks.
--
-- money_plans keeps the ledger of a case as running totals. The CHECK below is
-- the invariant confirmed <= spent <= paid <= approved; every change to the
-- totals is a conditional UPDATE inside the transaction that makes the change.

CREATE TABLE money_plans (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    kind TEXT NOT NULL CHECK (kind IN ('single', 'installments')),
    supervised BOOLEAN NOT NULL,
    approved_fen BIGINT NOT NULL CHECK (approved_fen > 0),
    paid_fen BIGINT NOT NULL DEFAULT 0,
    spent_fen BIGINT NOT NULL DEFAULT 0,
    confirmed_fen BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (0 <= confirmed_fen AND confirmed_fen <= spent_fen AND spent_fen <= paid_fen AND paid_fen <= approved_fen)
);

CREATE TABLE money_installments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES money_plans (case_id),
    seq BIGINT NOT NULL,
    due_on TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    override_reason TEXT,
    override_by BIGINT REFERENCES users (id),
    override_at BIGINT,
    UNIQUE (case_id, seq)
);

-- One payment per installment, ever: the UNIQUE refuses a second one even
-- when two requests race on two server instances.
CREATE TABLE money_payments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES money_plans (case_id),
    installment_id BIGINT NOT NULL UNIQUE REFERENCES money_installments (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    paid_on TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('bank_transfer', 'cash', 'other')),
    reference TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);
CREATE INDEX money_payments_case ON money_payments (case_id);

-- Scans of the agreement and pledge, receipt photos: kept in the database
-- so that every server instance can serve them.
CREATE TABLE money_documents (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL CHECK (kind IN ('agreement', 'pledge', 'receipt')),
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX money_documents_case ON money_documents (case_id);

CREATE TABLE money_supervision (
    case_id BIGINT PRIMARY KEY REFERENCES money_plans (case_id),
    guardian_person_id BIGINT NOT NULL REFERENCES people (id),
    agreement_signed_on TEXT NOT NULL,
    pledge_signed_on TEXT NOT NULL,
    recorded_by BIGINT NOT NULL REFERENCES users (id),
    recorded_at BIGINT NOT NULL
);

CREATE TABLE money_supervision_documents (
    case_id BIGINT NOT NULL REFERENCES money_supervision (case_id),
    document_id BIGINT NOT NULL UNIQUE REFERENCES money_documents (id),
    PRIMARY KEY (case_id, document_id)
);

CREATE TABLE money_spending (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES money_plans (case_id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    purpose TEXT NOT NULL CHECK (purpose IN ('school', 'medical', 'living', 'other')),
    spent_on TEXT NOT NULL,
    note TEXT,
    receipt_document_id BIGINT UNIQUE REFERENCES money_documents (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'queried')),
    entered_by BIGINT NOT NULL REFERENCES users (id),
    entered_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX money_spending_case ON money_spending (case_id, id);
CREATE INDEX money_spending_status ON money_spending (status, case_id);

CREATE TABLE money_spending_notes (
    id INTEGER PRIMARY KEY,
    spending_id BIGINT NOT NULL REFERENCES money_spending (id),
    at BIGINT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    comment TEXT
);
CREATE INDEX money_spending_notes_spending ON money_spending_notes (spending_id, id);

CREATE TABLE money_phone_checks (
    id INTEGER PRIMARY KEY,
    payment_id BIGINT NOT NULL REFERENCES money_payments (id),
    checked_on TEXT NOT NULL,
    spoke_with TEXT NOT NULL,
    said_received_fen BIGINT NOT NULL CHECK (said_received_fen >= 0),
    note TEXT,
    checked_by BIGINT NOT NULL REFERENCES users (id),
    checked_at BIGINT NOT NULL
);
CREATE INDEX money_phone_checks_payment ON money_phone_checks (payment_id);
