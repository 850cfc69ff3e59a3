-- The officer can withdraw a referral (with a reason), e.g. to address it to
-- another agency.
ALTER TABLE referrals DROP CONSTRAINT referrals_state_check;
ALTER TABLE referrals ADD CONSTRAINT referrals_state_check
    CHECK (state IN ('sent', 'accepted', 'declined', 'in_progress', 'done', 'withdrawn'));
ALTER TABLE referrals ADD COLUMN withdraw_reason TEXT;
