package config

import (
	"github.com/portcullis/portcullis/connectors/github"
	"github.com/portcullis/portcullis/connectors/ldap"
	"github.com/portcullis/portcullis/connectors/oidc"
)

// Connector types (connectors[].type).
const (
	ConnectorOIDC   = "oidc"
	ConnectorGitHub = "github"
	ConnectorLDAP   = "ldap"
)

// Connector is one upstream identity provider people may sign in with
// (package connectors): connectors[] in the file.
type Connector struct {
	// ID names the connector for good: links from upstream identities to
	// users hold it, and the connector authorization parameter and
	// clients' connectors list use it. Lower-case letters, digits and
	// dashes.
	ID string `yaml:"id"`
	// Name is shown on the sign-in page: "Continue with <name>".
	Name string `yaml:"name"`
	// Type is oidc, github or ldap; the section of that name configures
	// it and the others stay empty.
	Type   string         `yaml:"type"`
	OIDC   *oidc.Config   `yaml:"oidc"`
	GitHub *github.Config `yaml:"github"`
	LDAP   *ldap.Config   `yaml:"ldap"`
	// Provisioning decides who may sign in through the connector.
	Provisioning Provisioning `yaml:"provisioning"`
	// Groups maps upstream groups to the groups claim and to roles.
	Groups GroupRules `yaml:"groups"`
	// TrustACR takes the upstream's acr, when it is one of Portcullis's
	// classes (sfa, mfa, phr), as the class of the session, so that a
	// second factor proved upstream meets acr_values=mfa here. Zero value:
	// off, the session's class is that of its methods (amr fed), since an
	// upstream that sends acr "mfa" in another sense would otherwise pass
	// every MFA requirement. oidc only.
	TrustACR bool `yaml:"trust_acr"`
}

// Provisioning decides what a first sign-in through a connector does.
type Provisioning struct {
	// CreateUsers creates a user at the first sign-in of an upstream
	// identity (just-in-time provisioning). Nil means true; false lets
	// only identities already linked to a user sign in.
	CreateUsers *bool `yaml:"create_users"`
	// LinkByEmail links a first sign-in to the existing user whose email
	// claim equals the upstream's, when the upstream says it verified the
	// address. Zero value: off, since it trusts the upstream with every
	// account whose address it can vouch for.
	LinkByEmail bool `yaml:"link_by_email"`
}

// GroupRules turn upstream groups into the groups claim and roles.
type GroupRules struct {
	// Claim puts the upstream groups (those Include keeps) in the user's
	// groups claim at every sign-in. Zero value: not kept.
	Claim bool `yaml:"claim"`
	// Include keeps only these groups for the claim ("*" suffix matches a
	// prefix). Empty means all.
	Include []string `yaml:"include"`
	// Roles grants console roles by upstream group: role name to the
	// groups that give it. When set, the connector manages the roles of
	// its users: they are replaced at every sign-in.
	Roles map[string][]string `yaml:"roles"`
}

// Password configures sign-in with a Portcullis password.
type Password struct {
	// Enabled shows the password form. Nil means true; false leaves only
	// passkeys and connectors.
	Enabled *bool `yaml:"enabled"`
}
