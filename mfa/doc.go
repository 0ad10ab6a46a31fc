// Package mfa owns the authentication factors beside a password and what
// they mean in tokens: WebAuthn passkeys and security keys
// (github.com/go-webauthn/webauthn), TOTP (RFC 6238, github.com/pquerna/otp),
// one-time recovery codes, the sealing of factor secrets at rest, and the
// policy that turns the methods of a sign-in into the amr (RFC 8176) and
// acr (OpenID Connect Core section 2) claims.
//
// It keeps no state of its own: factors are store.Factor records, ceremony
// state travels sealed in the page, and single use is the store's
// (store.UseOnce, UpdateFactor, UseRecoveryCode). The sign-in and account
// pages (authserver/signin) call it; nothing in it speaks HTTP.
package mfa
