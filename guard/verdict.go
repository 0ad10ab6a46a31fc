package guard

// entry is a cached verdict on a token (tokencache keeps it until the
// token's exp for a JWT, the earlier of exp and the configured maximum for
// introspection).
type entry struct {
	// caller is the validated caller; nil records an inactive answer from
	// introspection (negative caching).
	caller *Caller
	// jwt marks a locally verified token, valid only while the key set
	// generation gen is current.
	jwt bool
	gen uint64
}
