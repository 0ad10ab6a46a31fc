-- A rotated refresh token names its direct successor, and a token records
-- when it was first presented and refused: a retry of the rotated token is
-- honoured only while the successor was never presented, rotated or
-- revoked. Tokens rotated before this migration name no successor, so
-- presenting them again counts as reuse.
ALTER TABLE refresh_tokens ADD COLUMN successor_hash text;
ALTER TABLE refresh_tokens ADD COLUMN presented_at timestamptz;
