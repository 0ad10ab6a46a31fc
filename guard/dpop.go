package guard

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/dpop"
)

// DPoPMode says which token schemes a guard, or one of its middlewares,
// accepts (RFC 9449 section 7).
type DPoPMode int

// The modes. Whatever the mode, a token bound to a key (cnf.jkt) is
// accepted only under the DPoP scheme with a proof of that key, and an
// unbound token never under the DPoP scheme: the mode only says whether
// each kind of token is welcome at all.
const (
	// DPoPOff accepts bearer tokens only (RFC 6750). A token bound to a
	// key is refused: this API cannot check the proof that would make it
	// usable, and accepting it as a bearer token would undo the binding.
	// An "Authorization: DPoP" header counts as no token.
	DPoPOff DPoPMode = iota
	// DPoPAllowed accepts unbound tokens as bearer tokens and bound ones
	// under the DPoP scheme with a proof (RFC 9449 section 7.2); answers
	// challenge with both schemes.
	DPoPAllowed
	// DPoPRequired accepts bound tokens under the DPoP scheme with a proof
	// only; bearer tokens are refused.
	DPoPRequired
)

// String returns the mode as configuration files spell it.
func (m DPoPMode) String() string {
	switch m {
	case DPoPOff:
		return "off"
	case DPoPAllowed:
		return "allowed"
	case DPoPRequired:
		return "required"
	}
	return fmt.Sprintf("DPoPMode(%d)", int(m))
}

// DPoP configures proof-of-possession tokens (RFC 9449). The zero value is
// DPoPOff: bearer tokens only, bound tokens refused.
type DPoP struct {
	// Mode is what Guard.Middleware accepts; Guard.MiddlewareWith chooses
	// per route. Zero means DPoPOff.
	Mode DPoPMode

	// PublicURL is the API's base URL as clients call it, for example
	// https://api.example.com: a proof's htu must be its scheme and host
	// followed by its path (without a trailing slash) and the request's
	// path, so an API that sees requests with a prefix removed (by a proxy
	// or http.StripPrefix) puts that prefix here. It is configured rather
	// than read from Host or X-Forwarded-* so that a client cannot choose
	// what its proof is compared with. Required when Mode is not DPoPOff,
	// and for MiddlewareWith with any other mode: an http or https URL
	// without user information, query or fragment.
	PublicURL string

	// Replay remembers proofs' jti so that each is used once (RFC 9449
	// section 11.1). Instances behind one PublicURL must share one, for
	// example a redisstate.Client.DPoPReplay, under a namespace of their
	// own: two checkers of the same proof (a gateway and the API behind
	// it) sharing one would each see the other's use as a replay. An error
	// other than dpop.ErrReplay refuses the request with 503. Nil means a
	// dpop.MemoryReplay of 100,000 proofs for this guard alone, which
	// answers 503 when that many proofs arrive within two Windows.
	Replay dpop.ReplayCache

	// Nonces, when set, makes every proof carry a current server nonce
	// (RFC 9449 section 9): a proof without one is answered 401
	// use_dpop_nonce, and every answer to a DPoP request carries a fresh
	// one in DPoP-Nonce. Instances behind one PublicURL must share its
	// key. Nil means no nonces.
	Nonces *dpop.Nonces

	// Window is how far a proof's iat may lie from now, either way. Zero
	// means dpop.DefaultWindow (one minute).
	Window time.Duration

	// Algorithms are the accepted proof algorithms, asymmetric only,
	// listed in the challenges' algs. Zero means dpop.Algorithms.
	Algorithms []string
}

// proofs is the resolved DPoP configuration of a guard; nil when
// PublicURL is empty, so that no route can accept DPoP.
type proofs struct {
	verifier *dpop.Verifier
	// base is the normalised PublicURL without its trailing slash: a
	// request's htu is base followed by its path.
	base string
	// algs is the algs challenge parameter, space-separated.
	algs string
}

// check enforces the DPoP options' explicit decisions.
func (d DPoP) check() error {
	if d.Mode < DPoPOff || d.Mode > DPoPRequired {
		return fmt.Errorf("%w: DPoP.Mode %d", ErrInvalidOption, d.Mode)
	}
	if d.Mode != DPoPOff && d.PublicURL == "" {
		return ErrMissingPublicURL
	}
	if d.Window < 0 {
		return fmt.Errorf("%w: DPoP.Window is negative", ErrInvalidOption)
	}
	for _, alg := range d.Algorithms {
		if !ValidAlgorithm(alg) {
			return fmt.Errorf("%w: DPoP.Algorithms: %q", ErrUnsafeAlgorithm, alg)
		}
	}
	return nil
}

// newProofs builds the proof checker, or nil when PublicURL is empty.
func newProofs(d DPoP, clock func() time.Time) (*proofs, error) {
	if d.PublicURL == "" {
		return nil, nil
	}
	base, ok := dpop.NormalizeURL(d.PublicURL)
	if !ok {
		return nil, fmt.Errorf("%w: DPoP.PublicURL must be an http or https URL without user information, query or fragment", ErrInvalidOption)
	}
	replay := d.Replay
	if replay == nil {
		replay = dpop.NewMemoryReplay(0, clock)
	}
	algs := make([]jose.SignatureAlgorithm, len(d.Algorithms))
	for i, a := range d.Algorithms {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	v, err := dpop.NewVerifier(dpop.Options{Algorithms: algs, Window: d.Window, Replay: replay, Nonces: d.Nonces, Clock: clock})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsafeAlgorithm, err)
	}
	return &proofs{verifier: v, base: strings.TrimSuffix(base, "/"), algs: strings.Join(v.Algorithms(), " ")}, nil
}

// check verifies the request's proof for token, bound to jkt (RFC 9449
// section 7.1): its htu is the configured base with the request's path,
// never the Host header's. A refused proof is a 401 with the proof's
// error code; a replay cache that cannot answer is a 503, since the proof
// can be neither accepted nor blamed.
func (p *proofs) check(r *http.Request, token, jkt string) error {
	_, err := p.verifier.Verify(r.Context(), r.Header, dpop.Request{
		Method:      r.Method,
		URL:         p.base + r.URL.EscapedPath(),
		AccessToken: token,
		JKT:         jkt,
	})
	var pe *dpop.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		desc := pe.Description
		if !quotable(desc) {
			desc = describe(ErrProof)
		}
		return &Error{Status: http.StatusUnauthorized, Code: pe.Code, Description: desc, Err: fmt.Errorf("%w: %w", ErrProof, err)}
	case errors.Is(err, dpop.ErrNoProof):
		return &Error{Status: http.StatusUnauthorized, Code: dpop.CodeInvalidProof, Description: describe(ErrNoProof), Err: ErrNoProof}
	}
	return newError(http.StatusServiceUnavailable, CodeTemporarilyUnavailable, ErrUnavailable, err)
}

// nonce sets a fresh DPoP-Nonce on the answer when nonces are on
// (RFC 9449 section 9).
func (p *proofs) nonce(h http.Header) {
	if n := p.verifier.Nonce(); n != "" {
		h.Set(dpop.NonceHeader, n)
	}
}
