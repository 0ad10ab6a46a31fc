package oidc

import (
	"cmp"
	"fmt"
	"time"

	"github.com/portcullis/portcullis/connectors"
)

// Claims names the claims of the ID token (and userinfo) that make a
// connectors.Identity. Each empty field means the OpenID Connect standard
// claim (Core section 5.1) named in its comment.
type Claims struct {
	// Subject is the upstream's stable identifier of the person: sub, or
	// another claim whose value is a string (Entra ID's oid, say). A
	// missing or empty subject refuses the sign-in.
	Subject string `yaml:"subject"`
	// Username: preferred_username.
	Username string `yaml:"username"`
	// Email: email.
	Email string `yaml:"email"`
	// EmailVerified: email_verified, a boolean or the string "true" (as
	// some providers send it); anything else counts as not verified.
	EmailVerified string `yaml:"email_verified"`
	// Name: name.
	Name string `yaml:"name"`
	// Groups: groups, an array of strings or one string; other values in
	// it are ignored.
	Groups string `yaml:"groups"`
}

// withDefaults fills the empty names with the standard claims.
func (c Claims) withDefaults() Claims {
	return Claims{
		Subject:       cmp.Or(c.Subject, "sub"),
		Username:      cmp.Or(c.Username, "preferred_username"),
		Email:         cmp.Or(c.Email, "email"),
		EmailVerified: cmp.Or(c.EmailVerified, "email_verified"),
		Name:          cmp.Or(c.Name, "name"),
		Groups:        cmp.Or(c.Groups, "groups"),
	}
}

// identity maps the claims m by the names in c (with defaults applied).
// acr and amr are OpenID Connect's own (Core section 2), not mapped, and
// Finish takes them from the ID token alone (signedOnly).
func (c Claims) identity(m map[string]any) (connectors.Identity, error) {
	sub, _ := m[c.Subject].(string)
	if sub == "" {
		return connectors.Identity{}, fmt.Errorf("%w: the subject claim %q is missing or not a string", connectors.ErrRefused, c.Subject)
	}
	id := connectors.Identity{
		Subject:       sub,
		Username:      str(m[c.Username]),
		Email:         str(m[c.Email]),
		Name:          str(m[c.Name]),
		EmailVerified: verified(m[c.EmailVerified]),
		Groups:        strs(m[c.Groups]),
	}
	return id, nil
}

// str returns v when it is a string, else "".
func str(v any) string {
	s, _ := v.(string)
	return s
}

// verified reads email_verified: true, or "true" from providers that send
// the boolean as a string.
func verified(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// strs returns the strings of an array claim, or a one-string claim as a
// one-element slice.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		if v != "" {
			return []string{v}
		}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// signedOnly is what an Identity takes from the verified ID token alone,
// whatever userinfo says: how and when the person authenticated (acr,
// amr, auth_time in seconds since the epoch). Userinfo is not signed and
// could claim a stronger sign-in than the ID token.
func signedOnly(idToken map[string]any) connectors.Identity {
	id := connectors.Identity{ACR: str(idToken["acr"]), AMR: strs(idToken["amr"])}
	if t, ok := idToken["auth_time"].(float64); ok && t > 0 {
		id.AuthTime = time.Unix(int64(t), 0)
	}
	return id
}
