package config

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/store"
)

// factorKinds are the values mfa.allowed may list.
var factorKinds = []string{store.FactorPasskey, store.FactorTOTP}

// validateMFA checks the mfa section: known factor kinds, each once; a
// relying party ID the browsers accept for the issuer's pages (WebAuthn
// Level 3 section 5.1.4.1: the origin's host or a registrable suffix of
// it); origins a browser would run a ceremony on (a secure context: https,
// or http on loopback).
func (c *Config) validateMFA(p *problems) {
	m := c.MFA
	for i, k := range m.Allowed {
		key := fmt.Sprintf("mfa.allowed[%d]", i)
		p.check(slices.Contains(factorKinds, k), key, "must be one of "+strings.Join(factorKinds, ", "))
		p.check(!slices.Contains(m.Allowed[:i], k), key, "is listed twice")
	}
	if u, err := url.Parse(c.Issuer); err == nil && u.Host != "" && slices.Contains(m.Allowed, store.FactorPasskey) {
		// authserver turns passkeys off behind an IP address when they are
		// only the default; asked for by name, that would be a surprise.
		p.check(net.ParseIP(cmp.Or(m.Passkeys.RPID, u.Hostname())) == nil, "mfa.allowed",
			"lists passkey, but a passkey's relying party is a domain name and the issuer's host is an IP address: use localhost, or a name")
	}
	if m.Passkeys.RPID != "" {
		if u, err := url.Parse(c.Issuer); err == nil && u.Host != "" {
			p.check(registrableSuffix(m.Passkeys.RPID, u.Hostname()), "mfa.passkeys.rp_id",
				"must be the issuer's host ("+u.Hostname()+") or a registrable domain it is under")
		}
	}
	for i, o := range m.Passkeys.Origins {
		p.check(checkOrigin(o) == nil, fmt.Sprintf("mfa.passkeys.origins[%d]", i),
			"must be an origin (scheme://host[:port], no path) using https, or http on a loopback host")
	}
}

// registrableSuffix reports whether rpID may be the relying party ID of
// pages on host: host itself, or a parent domain of it that is not a
// public suffix (a passkey for "com" would be every site's).
func registrableSuffix(rpID, host string) bool {
	rpID, host = strings.ToLower(rpID), strings.ToLower(host)
	if rpID == host {
		return true
	}
	if !strings.HasSuffix(host, "."+rpID) {
		return false
	}
	suffix, _ := publicsuffix.PublicSuffix(rpID)
	return suffix != rpID
}

// checkOrigin requires a bare origin (RFC 6454) of a secure context.
func checkOrigin(o string) error {
	if err := checkURL(o); err != nil {
		return err
	}
	u, _ := url.Parse(o)
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%s is not a bare origin", o)
	}
	return nil
}

// authServerMFA is the mfa section as the authorization server takes it.
func (c *Config) authServerMFA() authserver.MFA {
	return authserver.MFA{
		Required: c.MFA.Required, Allowed: c.MFA.Allowed,
		RPID: c.MFA.Passkeys.RPID, Origins: c.MFA.Passkeys.Origins,
	}
}
