package signin_test

import (
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/store"
)

// enableMFA allows both kinds of factor and, with required, makes every
// sign-in prove one (mfa.required).
func enableMFA(t *testing.T, cfg *authserver.Config, required bool) {
	t.Helper()
	cfg.MFA.Required = required
	cfg.MFA.Allowed = []string{store.FactorPasskey, store.FactorTOTP}
}

// enablePasskeys makes the relying party localhost at origin, which
// Chromium accepts: an IP address cannot be an RP ID (WebAuthn Level 3
// section 5.1.3), and the test server listens on 127.0.0.1.
func enablePasskeys(t *testing.T, cfg *authserver.Config, origin string) {
	t.Helper()
	cfg.MFA.RPID = "localhost"
	cfg.MFA.Origins = []string{origin}
}
