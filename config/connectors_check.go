package config

import (
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/connectors/github"
	"github.com/portcullis/portcullis/connectors/ldap"
	"github.com/portcullis/portcullis/connectors/oidc"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// connectorID is the form of connectors[].id: it is stored in links and
// written in clients' connectors and authorization requests.
var connectorID = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)

// Timeouts of the HTTP client that talks to upstreams: a slow upstream
// holds a sign-in page, never the server.
const (
	upstreamTimeout       = 15 * time.Second
	upstreamHeaderTimeout = 10 * time.Second
)

// validateConnectors checks connectors[], password and clients[].connectors,
// and builds the connectors (c.connectors) for AuthServer.
func (c *Config) validateConnectors(p *problems) {
	c.connectors = nil
	ids := map[string]bool{}
	var client *http.Client
	var configured []string
	for _, u := range c.Users {
		configured = append(configured, u.Username)
	}
	for i, k := range c.Connectors {
		key := fmt.Sprintf("connectors[%d]", i)
		if !connectorID.MatchString(k.ID) {
			p.add(key+".id", "must be 1 to 40 lower-case letters, digits and dashes")
		}
		p.check(!ids[k.ID], key+".id", "is defined twice")
		ids[k.ID] = true
		p.check(strings.TrimSpace(k.Name) != "", key+".name", "is required")
		for _, role := range sortedKeys(k.Groups.Roles) {
			for _, rp := range registry.CheckRoles([]string{role}) {
				p.add(key+".groups.roles."+role, rp.Detail)
			}
		}
		sections := map[string]bool{ConnectorOIDC: k.OIDC != nil, ConnectorGitHub: k.GitHub != nil, ConnectorLDAP: k.LDAP != nil}
		if _, known := sections[k.Type]; !known {
			p.add(key+".type", "must be oidc, github or ldap")
			continue
		}
		bad := false
		for _, name := range []string{ConnectorOIDC, ConnectorGitHub, ConnectorLDAP} {
			if name == k.Type && !sections[name] {
				p.add(key+"."+name, "is required with type "+k.Type)
				bad = true
			} else if name != k.Type && sections[name] {
				p.add(key+"."+name, "must be empty with type "+k.Type)
				bad = true
			}
		}
		if bad {
			continue
		}
		if client == nil {
			client = upstreamClient()
		}
		if k.Type == ConnectorGitHub && k.GitHub != nil && len(k.GitHub.Orgs) == 0 && (k.Groups.Claim || len(k.Groups.Roles) > 0) {
			p.add(key+".github.orgs", "is required with groups.claim or groups.roles: anyone can create a GitHub organisation with a free name, so groups are only meaningful within the organisations listed")
		}
		p.check(!k.TrustACR || k.Type == ConnectorOIDC, key+".trust_acr", "is for oidc connectors only: others give no acr")
		ac := authserver.Connector{ID: k.ID, Name: k.Name, Rules: k.rules(configured), TrustACR: k.TrustACR}
		var err error
		var section any
		switch k.Type {
		case ConnectorOIDC:
			section = *k.OIDC
			if err = k.OIDC.Validate(); err == nil {
				ac.Redirect, err = oidc.New(*k.OIDC, client)
			}
		case ConnectorGitHub:
			section = *k.GitHub
			if err = k.GitHub.Validate(); err == nil {
				ac.Redirect, err = github.New(*k.GitHub, client)
			}
		case ConnectorLDAP:
			section = *k.LDAP
			if err = k.LDAP.Validate(); err == nil {
				ac.Password, err = ldap.New(*k.LDAP, nil)
			}
		}
		if err != nil {
			p.add(sectionKey(key+"."+k.Type, section, err))
			continue
		}
		c.connectors = append(c.connectors, ac)
	}
	for i, cl := range c.Clients {
		for j, id := range cl.Connectors {
			p.check(ids[id], fmt.Sprintf("clients[%d].connectors[%d]", i, j), fmt.Sprintf("%q is not an id of connectors", id))
		}
	}
	passkeys := len(c.MFA.Allowed) == 0 || slices.Contains(c.MFA.Allowed, store.FactorPasskey)
	p.check(c.Password.Enabled == nil || *c.Password.Enabled || len(c.Connectors) > 0 || passkeys,
		"password.enabled", "false needs a connector or passkeys: nobody could sign in")
}

// ConnectorWarnings are what the server logs at start about connectors
// that work but are set up in a way that can hand an account to someone
// else: an LDAP connector whose subject is the entry's DN, which a new
// entry of the same name gets again.
func (c *Config) ConnectorWarnings() []string {
	var out []string
	for i, k := range c.Connectors {
		if k.Type == ConnectorLDAP && k.LDAP != nil && k.LDAP.UserSearch.Attributes.Subject == "" {
			out = append(out, fmt.Sprintf("connectors[%d].ldap.user_search.attributes.subject is not set (connector %q): the subject is the entry's DN, so an entry deleted and created again under the same DN signs in to the old user; set it to entryUUID (objectGUID on Active Directory)", i, k.ID))
		}
	}
	return out
}

// rules are the connector's account rules for users.Federate; configured
// are the file's usernames.
func (k Connector) rules(configured []string) users.FederationRules {
	return users.FederationRules{Configured: configured,
		CreateUsers: k.Provisioning.CreateUsers == nil || *k.Provisioning.CreateUsers,
		LinkByEmail: k.Provisioning.LinkByEmail,
		GroupsClaim: k.Groups.Claim, Include: k.Groups.Include, Roles: k.Groups.Roles,
	}
}

// upstreamClient is the HTTP client of every connector, with its timeouts.
func upstreamClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = upstreamHeaderTimeout
	return &http.Client{Timeout: upstreamTimeout, Transport: t}
}

// sectionKey turns a connector package's error, which names a setting by
// its YAML key first ("issuer is required", "url: required",
// "user_search.base_dn: ..."), into the key under prefix and the message;
// an error that names no key of section stays on prefix.
func sectionKey(prefix string, section any, err error) (string, string) {
	msg := err.Error()
	// The constructors prefix their package name ("ldap: ...").
	for _, pkg := range []string{"oidc: ", "github: ", "ldap: "} {
		msg = strings.TrimPrefix(msg, pkg)
	}
	end := strings.IndexAny(msg, " :")
	if end <= 0 {
		return prefix, msg
	}
	name := msg[:end]
	first, _, _ := strings.Cut(name, ".")
	if !slices.Contains(yamlKeys(reflect.TypeOf(section)), first) {
		return prefix, msg
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(msg[end:], ":"), " ")
	return prefix + "." + name, rest
}

// yamlKeys are the yaml keys of struct type t's fields.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
