package usage

import "time"

// Kind says what an Event reports.
type Kind uint8

// Kinds of events.
const (
	// TokenIssued: the authorization server issued an access token
	// (ClientID, Subject, Audience, GrantType, TokenID, Address,
	// UserAgent): one event per API of the token's audience, all with
	// the same TokenID, SameToken set on all but the first.
	TokenIssued Kind = iota + 1
	// Introspected: the introspection endpoint answered (ClientID the
	// caller, Audience of the token, Outcome "active" or "inactive").
	Introspected
	// APICall: the gateway or a guard judged an API request (Route,
	// ClientID, Subject, Audience, TokenID, Address, UserAgent; Outcome
	// "allowed" or the refusal's reason, one of a fixed set such as
	// "invalid_token", "revoked", "expired", "insufficient_scope": see
	// guard.Outcomes). ClientID, Subject and TokenID are empty when the
	// call was refused before a token verified.
	APICall
	// RateLimited: a rate limit refused a request (Limit names it, such
	// as "token", "authorize", "gateway_route"; ClientID or Address says
	// whose).
	RateLimited
)

// Event is one thing that happened. Fields a Kind does not name are empty.
// It never carries a token or a secret: TokenID is the token's jti.
type Event struct {
	Kind      Kind
	Time      time.Time
	ClientID  string
	Subject   string
	Audience  string
	GrantType string
	Route     string
	TokenID   string
	Address   string
	UserAgent string
	Outcome   string
	Limit     string
	// SameToken marks a TokenIssued event for a further API of the token
	// the one before reported: a Sink that counts tokens, not tokens per
	// API (the client_rate rule), skips it.
	SameToken bool
}

// Sink receives events. Observe runs on the request path: it must not
// block, and must be safe for concurrent use.
type Sink interface {
	Observe(Event)
}

// Fanout is a Sink that passes each event to every one of its Sinks.
type Fanout []Sink

// Observe implements Sink.
func (f Fanout) Observe(e Event) {
	for _, s := range f {
		s.Observe(e)
	}
}
