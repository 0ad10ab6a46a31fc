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
