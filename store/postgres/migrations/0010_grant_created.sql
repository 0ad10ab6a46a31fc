-- When a grant was authorized: a cutoff whose not_before is later covers
-- it, so nothing is issued from a grant created while "revoke everything"
-- ran (the revocation saw no row to revoke yet). Grants from before this
-- migration count as created at the epoch.
ALTER TABLE grants ADD COLUMN created_at timestamptz NOT NULL DEFAULT 'epoch';
