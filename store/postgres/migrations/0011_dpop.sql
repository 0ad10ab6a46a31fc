-- DPoP (RFC 9449) bindings, by RFC 7638 SHA-256 thumbprint; empty means
-- unbound. A pending request and its code carry the key the token request
-- must prove (dpop_jkt, section 10); a public client's refresh token, the
-- key every refresh must prove (section 5), which rotation hands on.
-- Rows from before this migration are unbound.
ALTER TABLE auth_requests ADD COLUMN dpop_jkt text NOT NULL DEFAULT '';
ALTER TABLE auth_codes ADD COLUMN dpop_jkt text NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN jkt text NOT NULL DEFAULT '';
