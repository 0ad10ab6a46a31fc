package dpop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// ProofType is the "typ" of a DPoP proof (RFC 9449 section 4.2).
const ProofType = "dpop+jwt"

// Header is the request and response header that carries a proof.
const Header = "DPoP"

// NonceHeader carries a server nonce in answers (RFC 9449 section 8).
const NonceHeader = "DPoP-Nonce"

// Algorithms are the proof algorithms a Verifier accepts when Options
// leaves them open: asymmetric ones only (RFC 9449 section 4.2 forbids
// "none" and symmetric algorithms).
var Algorithms = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
	jose.PS256, jose.PS384, jose.PS512, jose.RS256, jose.RS384, jose.RS512,
}

// DefaultWindow is Options.Window's zero value.
const DefaultWindow = time.Minute

const (
	// maxProofLen bounds the header parsed, so hostile input stays cheap; a
	// proof with an RSA-4096 key is under 2 KiB.
	maxProofLen = 8 << 10
	// maxJTILen bounds the jti stored by the replay cache.
	maxJTILen = 256
	// minRSABits refuses RSA keys too weak to prove anything (RFC 8725
	// section 3.5 points at NIST's 2048).
	minRSABits = 2048
)

// ReplayCache remembers proofs' jti so that each is used once. UseOnce
// marks key used until expiresAt and returns ErrReplay if it already was;
// any other error means the cache could not answer, and the proof is
// refused. Several instances behind one URL must share one cache.
type ReplayCache interface {
	UseOnce(ctx context.Context, key string, expiresAt time.Time) error
}

// Options configure a Verifier. Replay is required: a verifier that lets
// proofs be replayed would prove nothing.
type Options struct {
	// Algorithms are the accepted "alg" values, asymmetric only. Empty
	// means Algorithms (the package variable).
	Algorithms []jose.SignatureAlgorithm
	// Window is how far a proof's iat may lie from now, either way, and so
	// how long its jti is remembered. Zero means DefaultWindow.
	Window time.Duration
	// Replay remembers used jti values. Required.
	Replay ReplayCache
	// Nonces, when set, makes a current server nonce mandatory in every
	// proof (RFC 9449 section 8). Nil means nonces are not used.
	Nonces *Nonces
	// Clock returns the current time. Nil means time.Now.
	Clock func() time.Time
}

// Verifier checks DPoP proofs. It is safe for concurrent use.
type Verifier struct {
	algs   []jose.SignatureAlgorithm
	window time.Duration
	replay ReplayCache
	nonces *Nonces
	now    func() time.Time
}

// NewVerifier returns a Verifier for opts, or an error naming the option
// that leaves a security decision open.
func NewVerifier(opts Options) (*Verifier, error) {
	if opts.Replay == nil {
		return nil, errors.New("dpop: Options.Replay is required")
	}
	if opts.Window < 0 {
		return nil, errors.New("dpop: Options.Window is negative")
	}
	algs := opts.Algorithms
	if len(algs) == 0 {
		algs = Algorithms
	}
	for _, a := range algs {
		if !slices.Contains(Algorithms, a) {
			return nil, fmt.Errorf("dpop: algorithm %q is not an asymmetric signature algorithm", a)
		}
	}
	v := &Verifier{algs: slices.Clone(algs), window: opts.Window, replay: opts.Replay, nonces: opts.Nonces, now: opts.Clock}
	if v.window == 0 {
		v.window = DefaultWindow
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Algorithms returns the accepted algorithms, for discovery's
// dpop_signing_alg_values_supported and the algs of a challenge.
func (v *Verifier) Algorithms() []string {
	out := make([]string, len(v.algs))
	for i, a := range v.algs {
		out[i] = string(a)
	}
	return out
}

// Nonce returns a current server nonce for the DPoP-Nonce header, or ""
// when nonces are not used.
func (v *Verifier) Nonce() string {
	if v.nonces == nil {
		return ""
	}
	return v.nonces.Issue(v.now())
}

// Request is what a proof must match.
type Request struct {
	// Method is the request's method, compared exactly with htm.
	Method string
	// URL is the request's target URI as the server is configured to be
	// reached (never taken from Host or X-Forwarded-* headers), without
	// query and fragment; compared with htu after normalisation
	// (RFC 9449 section 4.3, RFC 3986 section 6).
	URL string
	// AccessToken, when set, must be what the proof's ath hashes
	// (RFC 9449 section 4.3 at a resource server). Empty means the proof
	// is for a token request and carries no token.
	AccessToken string
	// JKT, when set, is the thumbprint the proof's key must have: the
	// token's cnf.jkt, a code's dpop_jkt, a refresh token's binding.
	JKT string
}

// Proof is a verified proof.
type Proof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's key,
	// base64url-encoded: what a token bound to the key carries in cnf.jkt.
	JKT string
	// ID is the proof's jti.
	ID string
	// IssuedAt is the proof's iat.
	IssuedAt time.Time
}

// proofClaims are the claims RFC 9449 section 4.2 defines.
type proofClaims struct {
	ID       string   `json:"jti"`
	Method   string   `json:"htm"`
	URL      string   `json:"htu"`
	IssuedAt *float64 `json:"iat"`
	Hash     string   `json:"ath"`
	Nonce    *string  `json:"nonce"`
}

// Verify checks the DPoP header of a request against want (RFC 9449
// section 4.3) and marks its jti used. It returns ErrNoProof when there is
// no header, an *Error for a refused proof, and any other error when the
// replay cache could not answer.
func (v *Verifier) Verify(ctx context.Context, h http.Header, want Request) (*Proof, error) {
	values := h.Values(Header)
	switch {
	case len(values) == 0:
		return nil, ErrNoProof
	case len(values) > 1:
		return nil, invalid("the request carries more than one DPoP header")
	case len(values[0]) > maxProofLen:
		return nil, invalid("the DPoP proof is too long")
	}
	jws, err := jose.ParseSignedCompact(values[0], v.algs)
	if err != nil {
		return nil, invalid("the DPoP proof is not a JWS signed with an accepted algorithm and a public jwk")
	}
	hdr := jws.Signatures[0].Protected
	if typ, _ := hdr.ExtraHeaders["typ"].(string); typ != ProofType {
		return nil, invalid("the DPoP proof's typ must be " + ProofType)
	}
	jwk := hdr.JSONWebKey
	if jwk == nil {
		return nil, invalid("the DPoP proof's header must carry its public key as jwk")
	}
	if msg := checkKey(jwk); msg != "" {
		return nil, invalid(msg)
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return nil, invalid("the DPoP proof's signature does not verify with its jwk")
	}
	var c proofClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, invalid("the DPoP proof's claims are not a JSON object of the right types")
	}
	now := v.now()
	if msg := v.checkClaims(&c, want, now); msg != "" {
		return nil, invalid(msg)
	}
	jkt, err := Thumbprint(jwk)
	if err != nil {
		return nil, invalid("the DPoP proof's jwk has no thumbprint")
	}
	if want.JKT != "" && subtle.ConstantTimeCompare([]byte(jkt), []byte(want.JKT)) != 1 {
		return nil, invalid("the DPoP proof's key is not the key the token is bound to")
	}
	if v.nonces != nil && (c.Nonce == nil || !v.nonces.Valid(*c.Nonce, now)) {
		return nil, &Error{Code: CodeUseNonce, Description: "the DPoP proof must carry the nonce of the DPoP-Nonce header"}
	}
	iat := time.Unix(int64(*c.IssuedAt), 0)
	// A proof is acceptable until iat+window, so its jti need be
	// remembered no longer; the digest keeps keys short and of one size.
	key := digest(jkt + "\x00" + c.ID)
	switch err := v.replay.UseOnce(ctx, key, iat.Add(v.window+time.Second)); {
	case errors.Is(err, ErrReplay):
		return nil, invalid("the DPoP proof was already used")
	case err != nil:
		return nil, fmt.Errorf("dpop: replay cache: %w", err)
	}
	return &Proof{JKT: jkt, ID: c.ID, IssuedAt: iat}, nil
}

// checkClaims checks the proof's claims against the request; it returns
// why they fail, or "".
func (v *Verifier) checkClaims(c *proofClaims, want Request, now time.Time) string {
	switch {
	case c.ID == "":
		return "the DPoP proof must carry a jti"
	case len(c.ID) > maxJTILen:
		return "the DPoP proof's jti is too long"
	case c.Method != want.Method:
		return "the DPoP proof's htm is not the request's method"
	case c.IssuedAt == nil:
		return "the DPoP proof must carry an iat"
	}
	if u, ok := NormalizeURL(c.URL); !ok || u != want.URL && u != normalizedOrEmpty(want.URL) {
		return "the DPoP proof's htu is not this endpoint's URL (without query or fragment)"
	}
	iat := *c.IssuedAt
	if lo, hi := float64(now.Add(-v.window).Unix()), float64(now.Add(v.window).Unix()); iat < lo || iat > hi {
		return "the DPoP proof's iat is too far from the server's time"
	}
	if want.AccessToken == "" {
		return ""
	}
	if c.Hash == "" {
		return "the DPoP proof must carry ath, the hash of the access token"
	}
	if subtle.ConstantTimeCompare([]byte(c.Hash), []byte(TokenHash(want.AccessToken))) != 1 {
		return "the DPoP proof's ath is not the hash of the access token"
	}
	return ""
}

// checkKey refuses keys that prove nothing; it returns why, or "".
// go-jose has already refused private and malformed keys at parse time.
func checkKey(jwk *jose.JSONWebKey) string {
	switch k := jwk.Key.(type) {
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return ""
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return "the DPoP proof's RSA key is shorter than 2048 bits"
		}
		return ""
	default:
		return "the DPoP proof's jwk must be an asymmetric public key"
	}
}

// TokenHash is the ath of a proof for an access token: the base64url
// SHA-256 of its ASCII form (RFC 9449 section 4.2).
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Thumbprint returns the base64url RFC 7638 SHA-256 thumbprint of a public
// key, the value of cnf.jkt (RFC 9449 section 6.1).
func Thumbprint(jwk *jose.JSONWebKey) (string, error) {
	b, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("dpop: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "dpop:" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidThumbprint reports whether s has the form of a SHA-256 JWK
// thumbprint: 43 base64url characters. Servers check dpop_jkt with it.
func ValidThumbprint(s string) bool {
	if len(s) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && !strings.ContainsAny(s, "=+/")
}
