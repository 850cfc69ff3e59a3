-- The officer can withdraw a referral (with a reason), e.g. to address it to
-- another agency.
--
-- SQLite cannot change a CHECK constraint in place, so `referrals` is rebuilt,
-- and with it `referral_updates`, the one table that refers to it: new tables
-- are filled, the old ones dropped (children first, so no foreign key ever
-- dangles) and the new ones renamed. Renaming `referrals_rebuilt` also rewrites
-- the REFERENCES clause of `referral_updates_rebuilt`. sqlx runs this in one
-- transaction, with foreign keys enforced throughout.

CREATE TABLE referrals_rebuilt (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    person_id BIGINT NOT NULL REFERENCES people (id),
    agency_id BIGINT NOT NULL REFERENCES agencies (id),
    service TEXT NOT NULL,
    note TEXT NOT NULL,
    due_on TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('sent', 'accepted', 'declined', 'in_progress', 'done', 'withdrawn')),
    outcome TEXT,
    decline_reason TEXT,
    withdraw_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO referrals_rebuilt (id, case_id, person_id, agency_id, service, note, due_on, state,
                               outcome, decline_reason, created_by, created_at, updated_at)
SELECT id, case_id, person_id, agency_id, service, note, due_on, state,
       outcome, decline_reason, created_by, created_at, updated_at
FROM referrals;

CREATE TABLE referral_updates_rebuilt (
    id INTEGER PRIMARY KEY,
    referral_id BIGINT NOT NULL REFERENCES referrals_rebuilt (id),
    at BIGINT NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT
);
INSERT INTO referral_updates_rebuilt (id, referral_id, at, actor_id, action, from_state, to_state, note)
SELECT id, referral_id, at, actor_id, action, from_state, to_state, note
FROM referral_updates;

DROP TABLE referral_updates;
DROP TABLE referrals;
ALTER TABLE referrals_rebuilt RENAME TO referrals;
ALTER TABLE referral_updates_rebuilt RENAME TO referral_updates;

CREATE INDEX referrals_case ON referrals (case_id, id);
CREATE INDEX referrals_agency ON referrals (agency_id, state);
CREATE INDEX referral_updates_referral ON referral_updates (referral_id, id);
