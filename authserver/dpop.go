package authserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/internal/authscheme"
	"github.com/portcullis/portcullis/store"
)

// DPoP (RFC 9449) at the authorization server: proofs are checked by one
// dpop.Verifier for the token endpoint, the PAR endpoint and userinfo.
// What each binding means is decided where it is used: a code's dpop_jkt
// in authcode.go, a public client's refresh token in refresh.go, the
// access token's cnf in accesstoken.go.

// DPoP configures DPoP proofs at the server. The zero value accepts proofs
// without server nonces, within a minute of the server's time.
type DPoP struct {
	// Nonce makes every proof carry a server nonce (RFC 9449 section 8),
	// which the DPoP-Nonce header of every token, PAR and userinfo answer
	// gives. Nonces are a MAC over a time window keyed from Config.Secret,
	// so every instance accepts every other's. False means proofs need
	// none.
	Nonce bool
	// Window is how far a proof's iat may lie from the server's time,
	// either way; its jti is remembered as long. Zero means
	// dpop.DefaultWindow (60 seconds).
	Window time.Duration
}

// tokenTypeDPoP is the token_type of a bound access token (RFC 9449
// section 5), in token responses and introspection.
const tokenTypeDPoP = "DPoP"

// Confirmation is the cnf claim of a bound access token (RFC 7800): JKT is
// the RFC 7638 SHA-256 thumbprint of the DPoP key (RFC 9449 section 6.1).
type Confirmation struct {
	JKT string `json:"jkt"`
}

// confirmation returns the cnf of a token bound to jkt, or nil for an
// unbound one.
func confirmation(jkt string) *Confirmation {
	if jkt == "" {
		return nil
	}
	return &Confirmation{JKT: jkt}
}

// boundTo returns the thumbprint of the DPoP key the token is bound to, or
// "" for a bearer token.
func (c AccessTokenClaims) boundTo() string {
	if c.Confirmation == nil {
		return ""
	}
	return c.Confirmation.JKT
}

// tokenType is the token_type of an access token bound to jkt.
func tokenType(jkt string) string {
	if jkt == "" {
		return "Bearer"
	}
	return tokenTypeDPoP
}

// newProofVerifier builds the server's verifier. Used jti values go to the
// store's single-use marks, which every instance shares.
func newProofVerifier(cfg Config, st Store) (*dpop.Verifier, error) {
	opts := dpop.Options{Window: cfg.DPoP.Window, Replay: storeReplay{st}, Clock: cfg.Now}
	if cfg.DPoP.Nonce {
		// NewNonces derives its MAC key from the secret, apart from the
		// secret's other uses.
		n, err := dpop.NewNonces(cfg.Secret, 0)
		if err != nil {
			return nil, err
		}
		opts.Nonces = n
	}
	return dpop.NewVerifier(opts)
}

// storeReplay is the verifier's dpop.ReplayCache: Store.UseOnce, which the
// database decides (Redis screens it first when configured), so a proof is
// accepted once across every instance.
type storeReplay struct{ st Store }

// UseOnce implements dpop.ReplayCache, turning the store's replay into
// the verifier's.
func (r storeReplay) UseOnce(ctx context.Context, key string, expiresAt time.Time) error {
	err := r.st.UseOnce(ctx, key, expiresAt)
	if errors.Is(err, store.ErrReplay) {
		return dpop.ErrReplay
	}
	return err
}

// setNonce gives the answer a fresh DPoP-Nonce when nonces are in use
// (RFC 9449 section 8.2: on success and error alike, so clients keep up).
func (s *Server) setNonce(w http.ResponseWriter) {
	if n := s.proofs.Nonce(); n != "" {
		w.Header().Set(dpop.NonceHeader, n)
	}
}

// proofKey checks the DPoP proof of a POST to the endpoint at url and
// returns the thumbprint of its key, or "" when the request carries no
// proof, which is an error only if required. Refusals are
// invalid_dpop_proof or use_dpop_nonce (RFC 9449 sections 5 and 8); a
// replay cache that cannot answer is a server error, as any store failure.
func (s *Server) proofKey(r *http.Request, url string, required bool) (string, *Error) {
	p, err := s.proofs.Verify(r.Context(), r.Header, dpop.Request{Method: http.MethodPost, URL: url})
	var pe *dpop.Error
	switch {
	case err == nil:
		return p.JKT, nil
	case errors.Is(err, dpop.ErrNoProof) && !required:
		return "", nil
	case errors.Is(err, dpop.ErrNoProof):
		// RFC 9449 section 5.2 names no code for a missing proof; the
		// proof it requires is not a valid one when absent.
		return "", errInvalidProof("this client must send a DPoP proof with every token request (dpop_bound_access_tokens)")
	case errors.As(err, &pe):
		return "", newError(http.StatusBadRequest, pe.Code, pe.Description)
	default:
		return "", s.internal(r, err)
	}
}

// errInvalidProof is RFC 9449 section 5's error for a proof that is
// missing where required or fails a check.
func errInvalidProof(desc string) *Error {
	return newError(http.StatusBadRequest, dpop.CodeInvalidProof, desc)
}

// errWrongKey refuses a code or refresh token bound to a DPoP key the
// request did not prove (RFC 9449 sections 5 and 10).
func errWrongKey(what string) *Error {
	return errInvalidGrant(fmt.Sprintf("the %s is bound to a DPoP key; send a DPoP proof of that key", what))
}

// proveResource checks the proof of a request to a protected resource of
// the server (userinfo) presenting the access token raw, bound to jkt
// (RFC 9449 section 7.1); the error is written as the DPoP challenge.
func (s *Server) proveResource(w http.ResponseWriter, r *http.Request, url, raw, jkt string) bool {
	_, err := s.proofs.Verify(r.Context(), r.Header, dpop.Request{Method: r.Method, URL: url, AccessToken: raw, JKT: jkt})
	var pe *dpop.Error
	switch {
	case err == nil:
		return true
	case errors.Is(err, dpop.ErrNoProof):
		s.challenge(w, authscheme.DPoP, http.StatusUnauthorized, dpop.CodeInvalidProof, "a DPoP-bound access token needs a DPoP proof", "")
	case errors.As(err, &pe):
		s.challenge(w, authscheme.DPoP, http.StatusUnauthorized, pe.Code, pe.Description, "")
	default:
		s.internal(r, err).Render(w)
	}
	return false
}

// challenge writes an RFC 6750 section 3 error with a challenge for each
// scheme the server accepts (RFC 9449 section 7.2), the error in the one
// the request used. Descriptions pass through describe, so they are plain
// ASCII without quotes, as a challenge's quoted-string needs.
func (s *Server) challenge(w http.ResponseWriter, used authscheme.Scheme, status int, code, desc, scope string) {
	desc = describe(desc)
	authscheme.Challenge{
		Realm: "portcullis", Bearer: true, Algs: strings.Join(s.proofs.Algorithms(), " "), Used: used,
		Code: code, Description: desc, Scope: scope,
	}.Set(w.Header())
	body := map[string]string{"error_description": desc}
	if code != "" {
		body["error"] = code
	}
	writeJSON(w, status, body)
}
