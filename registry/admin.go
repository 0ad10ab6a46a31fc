package registry

// AdminAudience is the resource identifier of the management API of the
// issuer: the built-in API whose scopes are AdminScopes. It sits under
// the issuer's path, so an issuer per tenant gets its own.
func AdminAudience(issuer string) string { return issuer + "/admin/v1" }

// The management API's scopes: one read and one write scope per
// collection (audit and usage are read only).
const (
	ScopeClientsRead  = "admin:clients:read"
	ScopeClientsWrite = "admin:clients:write"
	ScopeAPIsRead     = "admin:apis:read"
	ScopeAPIsWrite    = "admin:apis:write"
	ScopeUsersRead    = "admin:users:read"
	ScopeUsersWrite   = "admin:users:write"
	ScopeGrantsRead   = "admin:grants:read"
	ScopeGrantsWrite  = "admin:grants:write"
	ScopeKeysRead     = "admin:keys:read"
	ScopeKeysWrite    = "admin:keys:write"
	ScopeAuditRead    = "admin:audit:read"
	ScopeUsageRead    = "admin:usage:read"
)

// AdminScopes are every scope of the management API, in order.
var AdminScopes = []string{
	ScopeClientsRead, ScopeClientsWrite, ScopeAPIsRead, ScopeAPIsWrite, ScopeUsersRead, ScopeUsersWrite,
	ScopeGrantsRead, ScopeGrantsWrite, ScopeKeysRead, ScopeKeysWrite, ScopeAuditRead, ScopeUsageRead,
}

// AdminAPI is the management API as a built-in API of the issuer: the
// configuration adds it to the file's APIs, so that clients may be granted
// its scopes like any other, and the management API lists it.
func AdminAPI(issuer string) API {
	api := API{Identifier: AdminAudience(issuer), Name: "Portcullis management API"}
	for _, sc := range AdminScopes {
		api.Scopes = append(api.Scopes, Scope{Name: sc, Description: adminScopeText[sc]})
	}
	return api
}

// adminScopeText describes the management API's scopes on the consent
// page.
var adminScopeText = map[string]string{
	ScopeClientsRead:  "see the registered applications",
	ScopeClientsWrite: "register, change and delete applications",
	ScopeAPIsRead:     "see the registered APIs",
	ScopeAPIsWrite:    "register, change and delete APIs",
	ScopeUsersRead:    "see user accounts",
	ScopeUsersWrite:   "create, change and delete user accounts",
	ScopeGrantsRead:   "see what users authorized",
	ScopeGrantsWrite:  "revoke authorizations and tokens",
	ScopeKeysRead:     "see the signing keys",
	ScopeKeysWrite:    "rotate the signing keys",
	ScopeAuditRead:    "read the audit trail",
	ScopeUsageRead:    "read usage records and anomalies",
}
