package authserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/internal/tokencache"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/usage"
)

// introspection is an RFC 7662 section 2.2 response. Only Active is set for
// an inactive token: the RFC forbids telling more about it.
type introspection struct {
	Active    bool         `json:"active"`
	Scope     string       `json:"scope,omitempty"`
	ClientID  string       `json:"client_id,omitempty"`
	TokenType string       `json:"token_type,omitempty"`
	Exp       int64        `json:"exp,omitempty"`
	Iat       int64        `json:"iat,omitempty"`
	Sub       string       `json:"sub,omitempty"`
	Aud       jwt.Audience `json:"aud,omitempty"`
	Iss       string       `json:"iss,omitempty"`
	JTI       string       `json:"jti,omitempty"`
	// Cnf is a DPoP-bound token's key (RFC 9449 section 6.2).
	Cnf *Confirmation `json:"cnf,omitempty"`
	// AuthTime, ACR and AMR are the user's sign-in, as the access token
	// states them (RFC 9068 section 2.2.1), so that a resource server
	// using introspection can require step-up (RFC 9470 section 6.2).
	AuthTime int64    `json:"auth_time,omitempty"`
	ACR      string   `json:"acr,omitempty"`
	AMR      []string `json:"amr,omitempty"`
}

// handleIntrospect is the introspection endpoint (RFC 7662). Clients that
// authenticate may introspect (resource servers are clients), and learn
// about the tokens mayIntrospect allows them; public clients cannot
// authenticate, so they cannot use it.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	form, e := readForm(w, r)
	if e != nil {
		e.Render(w)
		return
	}
	client, e := s.authenticateConfidential(r, form)
	if e != nil {
		e.Render(w)
		return
	}
	clientID := client.ID
	raw := form.Get("token")
	if raw == "" {
		errInvalidRequest("token is required").Render(w)
		return
	}
	t, err := s.activeAccessToken(r, raw)
	if err != nil {
		s.internal(r, err).Render(w)
		return
	}
	if t == nil {
		s.introspectRefreshToken(w, r, clientID, raw)
		return
	}
	if !s.mayIntrospect(r, client, t.claims) {
		s.introspected(r, clientID, false, nil)
		writeJSON(w, http.StatusOK, introspection{Active: false})
		return
	}
	s.introspected(r, clientID, true, t.claims.Audience)
	writeJSONBytes(w, http.StatusOK, t.answer)
}

// introspectionOf is the answer about an active access token.
func introspectionOf(c AccessTokenClaims) introspection {
	return introspection{
		Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: tokenType(c.boundTo()),
		Exp: c.Expiry.Time().Unix(), Iat: c.IssuedAt.Time().Unix(), Sub: c.Subject,
		Aud: c.Audience, Iss: c.Issuer, JTI: c.ID, Cnf: c.Confirmation,
		AuthTime: unixOrZero(c.AuthTime), ACR: c.ACR, AMR: c.AMR,
	}
}

// unixOrZero is a claim's time in seconds, zero (omitted) when absent.
func unixOrZero(d *jwt.NumericDate) int64 {
	if d == nil {
		return 0
	}
	return d.Time().Unix()
}

// activeAccessToken returns raw's verified claims if it is an access token
// of this server that has neither expired nor been revoked, by its jti or
// by a cutoff of its client or subject (one indexed read each), and nil
// otherwise. The error is for a store failure only; a token that is not
// ours is simply inactive.
//
// A token seen before costs neither its signature nor the reads: what was
// verified is remembered (s.verified) while its key is published, with the
// store's RevocationVersion at which it was last found unrevoked. That
// version is read after the request arrived, so while it is unchanged no
// revocation or cutoff committed since, in any process: the answer is the
// store's, as exact as asking it.
func (s *Server) activeAccessToken(r *http.Request, raw string) (*verifiedToken, error) {
	now := s.cfg.Now()
	k := tokencache.KeyOf(raw)
	seen, ok := s.verified.Get(k, now.UnixNano())
	if ok {
		if _, published := s.keys.PublicKey(seen.token.kid); !published {
			return nil, nil
		}
	} else {
		c, kid, err := s.verifyAccessToken(raw)
		if err != nil || !now.Before(c.Expiry.Time()) {
			return nil, nil
		}
		answer, err := json.Marshal(introspectionOf(c))
		if err != nil {
			return nil, fmt.Errorf("introspection answer: %w", err)
		}
		// As writeJSON's encoder ends every answer.
		seen.token = &verifiedToken{claims: c, kid: kid, answer: append(answer, '\n')}
	}
	// A failed reading proves nothing; the reads below then decide.
	version, _ := s.store.RevocationVersion(r.Context())
	if ok && version != (store.Version{}) && version == seen.checked {
		return seen.token, nil
	}
	c := &seen.token.claims
	revoked, err := s.store.IsRevoked(r.Context(), c.ID)
	if err != nil || revoked {
		return nil, err
	}
	nb, err := s.store.NotBefore(r.Context(), c.ClientID, c.Subject)
	if err != nil {
		return nil, err
	}
	// A missing iat reads as the zero time: before any cutoff.
	if c.IssuedAt.Time().Before(nb) {
		return nil, nil
	}
	seen.checked = version
	s.verified.Put(k, seen, c.Expiry.Time().UnixNano(), now.UnixNano())
	return seen.token, nil
}

// verifiedToken is an access token whose signature and claims
// activeAccessToken verified, the ID of the key that signed it, and its
// introspection answer while active, encoded once. It is not changed once
// made, so requests share it.
type verifiedToken struct {
	claims AccessTokenClaims
	kid    string
	answer []byte
}

// seenToken is what s.verified holds of a token: what was verified, and
// the store's RevocationVersion at which it was last found unrevoked.
type seenToken struct {
	token   *verifiedToken
	checked store.Version
}

// verifiedTokens bounds s.verified: at about 1 KiB an entry, a few MiB.
const verifiedTokens = 4096

// authenticateConfidential authenticates a client that must hold
// credentials: introspection and revocation are not for public clients.
func (s *Server) authenticateConfidential(r *http.Request, form map[string][]string) (store.Client, *Error) {
	c, e := s.authenticateClient(r, form)
	if e != nil {
		return store.Client{}, e
	}
	if c.AuthMethod == store.AuthNone {
		return store.Client{}, s.authFailed(r, c.ID, "this endpoint requires client authentication; public clients cannot use it", true, false)
	}
	return c, nil
}

// introspectRefreshToken answers for a refresh token. Only the client it was
// issued to learns anything about it: to others it is inactive.
func (s *Server) introspectRefreshToken(w http.ResponseWriter, r *http.Request, clientID, raw string) {
	now := s.cfg.Now()
	rt, err := s.store.GetRefreshToken(r.Context(), wire.Digest(raw))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internal(r, err).Render(w)
		return
	}
	if err != nil || rt.ClientID != clientID || !rt.RotatedAt.IsZero() || !rt.RevokedAt.IsZero() || !now.Before(rt.ExpiresAt) || !now.Before(rt.FamilyExpiresAt) {
		s.introspected(r, clientID, false, nil)
		writeJSON(w, http.StatusOK, introspection{Active: false})
		return
	}
	s.introspected(r, clientID, true, nil)
	authn := signedIn(rt.ACR, rt.AMR, rt.AuthTime)
	writeJSON(w, http.StatusOK, introspection{
		Active: true, Scope: strings.Join(rt.Scopes, " "), ClientID: rt.ClientID,
		Exp: rt.ExpiresAt.Unix(), Sub: rt.UserID, Iss: s.cfg.Issuer,
		AuthTime: authn.unix(), ACR: authn.acr, AMR: authn.amr,
	})
}

// introspected reports an introspection answer to the usage Sink, once
// for each API of the token's audience: none for an inactive token, whose
// answer tells nothing of it, nor for a refresh token.
func (s *Server) introspected(r *http.Request, clientID string, active bool, audience []string) {
	if s.cfg.Usage == nil {
		return
	}
	e := usage.Event{Kind: usage.Introspected, Time: s.cfg.Now(), ClientID: clientID, Outcome: usage.Inactive,
		Address: s.clientIP(r), UserAgent: r.UserAgent()}
	if active {
		e.Outcome = usage.Active
	}
	if len(audience) == 0 {
		s.cfg.Usage.Observe(e)
		return
	}
	for _, aud := range audience {
		e.Audience = aud
		s.cfg.Usage.Observe(e)
	}
}
