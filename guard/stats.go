package guard

// Stats counts the guard's traffic to the issuer, so that operators can
// alert on an issuer the guard cannot reach while it keeps serving from its
// last good state.
type Stats struct {
	// KeySetFetches and KeySetFailures count JWKS fetches (start-up,
	// background and unknown-kid) and those that failed or returned no
	// usable key.
	KeySetFetches, KeySetFailures int64
	// RevocationPolls and RevocationFailures count completed polls of the
	// revocation list and those that failed.
	RevocationPolls, RevocationFailures int64
	// Introspections and IntrospectionFailures count introspection calls
	// (cache misses) and those that got no usable answer.
	Introspections, IntrospectionFailures int64
}

// Stats returns the counters since New: zeros while the guard is not
// Ready, whose failures its log and Ready report.
func (g *Guard) Stats() Stats {
	if !g.ready.Ready() {
		return Stats{}
	}
	st := Stats{
		KeySetFetches:  g.keys.fetches.Load(),
		KeySetFailures: g.keys.failures.Load(),
	}
	if r := g.revocations; r != nil {
		st.RevocationPolls, st.RevocationFailures = r.polls.Load(), r.failures.Load()
	}
	if in := g.introspector; in != nil {
		st.Introspections, st.IntrospectionFailures = in.calls.Load(), in.failures.Load()
	}
	return st
}
