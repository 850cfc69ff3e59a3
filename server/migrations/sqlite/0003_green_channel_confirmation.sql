-- The green channel is asked for by the officer at acceptance and confirmed by a supervisor.
ALTER TABLE cases ADD COLUMN green_channel_confirmed BOOLEAN NOT NULL DEFAULT FALSE;
