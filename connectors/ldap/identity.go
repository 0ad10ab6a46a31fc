package ldap

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/portcullis/portcullis/connectors"
)

// userAttributes are the attributes the user search asks for.
func (c *Connector) userAttributes() []string {
	a := c.cfg.UserSearch.Attributes
	attrs := []string{or(a.Username, defaultUsernameAt), or(a.Email, defaultEmailAt), or(a.Name, defaultNameAt)}
	if a.Subject != "" {
		attrs = append(attrs, a.Subject)
	}
	return attrs
}

// identity maps the person's entry into an Identity (without groups).
// typed is the username typed, the Username when the entry has none.
// Attribute names are matched without regard to case, as LDAP does
// (RFC 4512 section 2.5).
func (c *Connector) identity(entry *goldap.Entry, typed string) (connectors.Identity, error) {
	a := c.cfg.UserSearch.Attributes
	id := connectors.Identity{
		Subject:  entry.DN,
		Username: or(entry.GetEqualFoldAttributeValue(or(a.Username, defaultUsernameAt)), typed),
		Email:    entry.GetEqualFoldAttributeValue(or(a.Email, defaultEmailAt)),
		Name:     entry.GetEqualFoldAttributeValue(or(a.Name, defaultNameAt)),
	}
	id.EmailVerified = c.cfg.EmailVerified && id.Email != ""
	if a.Subject != "" {
		raw := entry.GetEqualFoldRawAttributeValue(a.Subject)
		if len(raw) == 0 {
			return connectors.Identity{}, fmt.Errorf("%w: ldap: the user's entry has no %s (user_search.attributes.subject)", connectors.ErrRefused, a.Subject)
		}
		id.Subject = subject(a.Subject, raw)
	}
	return id, nil
}

// subject is the string form of a subject attribute's value: text as it
// is, binary values hex-encoded. objectGUID (Active Directory's 16-byte
// GUID) is always hex-encoded, so that a GUID whose bytes happen to be
// printable keeps the same form as every other.
func subject(attr string, raw []byte) string {
	if strings.EqualFold(attr, "objectGUID") || !printable(raw) {
		return hex.EncodeToString(raw)
	}
	return string(raw)
}

// printable reports whether b is UTF-8 text without control characters.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
