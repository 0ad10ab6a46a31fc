package agent

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
)

// errInvalidIDToken means an ID token from the token endpoint failed
// verification: 502, since the provider answered with something the agent
// cannot trust.
var errInvalidIDToken = errors.New("invalid ID token")

// verifyIDToken checks an ID token from the token endpoint as OpenID
// Connect Core section 3.1.3.7 requires: its signature with the provider's
// keys and an asymmetric algorithm it advertises (RS256 when it advertises
// none), iss, aud containing the client ID, azp when present, and exp; and
// its nonce against the login's when nonce is not empty.
func (p *provider) verifyIDToken(ctx context.Context, raw, nonce string) (*oidc.IDToken, error) {
	t, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errInvalidIDToken, err)
	}
	if nonce != "" && subtle.ConstantTimeCompare([]byte(t.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce does not match the login's", errInvalidIDToken)
	}
	var c struct {
		AZP string `json:"azp"`
	}
	if err := t.Claims(&c); err != nil || c.AZP != "" && c.AZP != p.oauth.ClientID {
		return nil, fmt.Errorf("%w: azp is not the agent's client ID", errInvalidIDToken)
	}
	return t, nil
}

// jwtClaims decodes the claims of a JWT without verifying it, into v. The
// agent does so only with tokens it received from the provider itself and
// kept in a cookie that only its keys seal.
func jwtClaims(raw string, v any) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("not a JWS compact serialization")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	return json.Unmarshal(payload, v)
}
