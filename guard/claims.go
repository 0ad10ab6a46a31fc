package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/dpop"
)

// claims are the members of a JWT access token (RFC 9068 section 2.2) and
// of an introspection response (RFC 7662 section 2.2) that the guard reads.
type claims struct {
	Issuer    string      `json:"iss"`
	Subject   string      `json:"sub"`
	Audience  audience    `json:"aud"`
	ClientID  string      `json:"client_id"`
	Scope     string      `json:"scope"`
	IssuedAt  numericDate `json:"iat"`
	NotBefore numericDate `json:"nbf"`
	Expiry    numericDate `json:"exp"`
	ID        string      `json:"jti"`
	// Confirmation is "cnf" (RFC 7800 section 3.1): the key a token is
	// bound to, as cnf.jkt (RFC 9449 section 6).
	Confirmation map[string]json.RawMessage `json:"cnf"`

	// jkt is cnf.jkt once check has accepted the binding.
	jkt string
}

// audience is "aud", a string or an array of strings (RFC 7519
// section 4.1.3).
type audience []string

// UnmarshalJSON accepts both forms of "aud".
func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

// numericDate is a NumericDate (RFC 7519 section 2): seconds since the
// epoch, possibly fractional. set tells an absent claim from zero.
type numericDate struct {
	set bool
	sec int64
}

// UnmarshalJSON reads a JSON number; null leaves the claim absent.
func (d *numericDate) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*d = numericDate{}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > float64(math.MaxInt64/int64(time.Second)) {
		return errors.New("guard: NumericDate out of range")
	}
	*d = numericDate{set: true, sec: int64(f)}
	return nil
}

func (d numericDate) time() time.Time {
	if !d.set {
		return time.Time{}
	}
	return time.Unix(d.sec, 0)
}

// check validates the claims at now. A JWT must carry every claim RFC 9068
// section 2.2 requires; an introspection response (RFC 7662 section 2.2)
// has only "active" required, so absent iss and exp are accepted there, but
// "aud" is required of both: a token whose audience is unknown could have
// been minted for another API.
func (c *claims) check(issuer, aud string, now time.Time, leeway time.Duration, jwt bool) error {
	if jwt {
		for _, claim := range [...]struct {
			name    string
			present bool
		}{
			{"iss", c.Issuer != ""}, {"exp", c.Expiry.set}, {"iat", c.IssuedAt.set},
			{"sub", c.Subject != ""}, {"client_id", c.ClientID != ""}, {"jti", c.ID != ""},
		} {
			if !claim.present {
				return fmt.Errorf("%w: %s", ErrMissingClaim, claim.name)
			}
		}
	}
	if (jwt || c.Issuer != "") && c.Issuer != issuer {
		return ErrIssuer
	}
	if !slices.Contains(c.Audience, aud) {
		return ErrAudience
	}
	// RFC 7519 section 4.1.4: the current time must be before exp.
	if c.Expiry.set && !now.Before(c.Expiry.time().Add(leeway)) {
		return ErrExpired
	}
	later := now.Add(leeway)
	if c.NotBefore.set && later.Before(c.NotBefore.time()) || c.IssuedAt.set && later.Before(c.IssuedAt.time()) {
		return ErrNotYetValid
	}
	return c.checkBinding()
}

// checkBinding reads cnf into jkt. A token bound other than by one JWK
// SHA-256 thumbprint (a certificate thumbprint of RFC 8705, an empty cnf,
// a jkt of the wrong form) is refused rather than taken for unbound: the
// guard could not check that binding, and ignoring it would accept the
// token from whoever stole it.
func (c *claims) checkBinding() error {
	if c.Confirmation == nil {
		return nil
	}
	raw, ok := c.Confirmation["jkt"]
	if !ok || len(c.Confirmation) != 1 || json.Unmarshal(raw, &c.jkt) != nil || !dpop.ValidThumbprint(c.jkt) {
		c.jkt = ""
		return ErrUnsupportedBinding
	}
	return nil
}

// caller builds the Caller for validated claims; raw is their JSON.
func (c *claims) caller(raw []byte) *Caller {
	return &Caller{
		subject:   c.Subject,
		clientID:  c.ClientID,
		scopes:    strings.Fields(c.Scope),
		issuer:    c.Issuer,
		audience:  c.Audience,
		tokenID:   c.ID,
		issuedAt:  c.IssuedAt.time(),
		expiresAt: c.Expiry.time(),
		jkt:       c.jkt,
		claims:    raw,
	}
}

// signIn are the claims that say how the user signed in (RFC 9068 section
// 2.2.1), read from the raw claims only when a route asks for them.
type signIn struct {
	ACR      string      `json:"acr"`
	AMR      []string    `json:"amr"`
	AuthTime numericDate `json:"auth_time"`
}

// signIn decodes the caller's sign-in claims, once per Caller: a Caller
// is shared by every request with its token, so a step-up route decodes
// them at the token's first request only. Claims of the wrong type read as
// absent, which a step-up requirement refuses.
func (c *Caller) signIn() *signIn {
	c.signInOnce.Do(func() {
		if json.Unmarshal(c.claims, &c.signInClaims) != nil {
			c.signInClaims = signIn{}
		}
	})
	return &c.signInClaims
}
