package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// compactSigner makes JWS compact serializations (RFC 7515 section 7.1)
// with one key and one protected header, encoded once. go-jose encodes the
// header anew for every signature, through a map, which cost a fifth of a
// token's allocations and more time than everything the token endpoint
// does besides signing; what remains is the signature itself. Tokens are
// verified with go-jose everywhere (the tests check every algorithm here
// against it).
type compactSigner struct {
	alg    string
	key    crypto.Signer
	header string // base64url of the protected header, then "."
	// ecBits is an ES256 key's curve size, for the width of R and S.
	ecBits int
}

// newCompactSigner builds the signer of k for the "typ" header typ.
func newCompactSigner(k *key, typ string) (*compactSigner, error) {
	switch k.Alg {
	case ES256, RS256, EdDSA:
	default:
		return nil, fmt.Errorf("signer for key %s: algorithm %s is not supported", k.ID, k.Alg)
	}
	h, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ,omitempty"`
	}{k.Alg, k.ID, typ})
	if err != nil {
		return nil, fmt.Errorf("signer for key %s: %w", k.ID, err)
	}
	s := &compactSigner{alg: k.Alg, key: k.private, header: base64.RawURLEncoding.EncodeToString(h) + "."}
	if k.Alg == ES256 {
		pub, ok := k.private.Public().(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("signer for key %s: an ES256 key that is not ECDSA", k.ID)
		}
		s.ecBits = pub.Curve.Params().BitSize
	}
	return s, nil
}

// sigSize is the largest signature in base64url: RSA-4096.
const sigSize = 683

// sign returns header.payload.signature, built in one buffer.
func (s *compactSigner) sign(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	n := len(s.header) + enc.EncodedLen(len(payload))
	buf := make([]byte, n, n+1+sigSize)
	copy(buf, s.header)
	enc.Encode(buf[len(s.header):], payload)
	sig, err := s.signature(buf)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// signature signs the JWS signing input as RFC 7518 section 3 (ES256,
// RS256) and RFC 8037 section 3.1 (EdDSA) require.
func (s *compactSigner) signature(input []byte) ([]byte, error) {
	if s.alg == EdDSA {
		return s.key.Sign(rand.Reader, input, crypto.Hash(0))
	}
	digest := sha256.Sum256(input)
	sig, err := s.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil || s.alg != ES256 {
		return sig, err
	}
	return rawECDSA(sig, s.ecBits)
}

// rawECDSA turns an ASN.1 ECDSA signature into the fixed-width R || S of
// RFC 7518 section 3.4.
func rawECDSA(der []byte, bits int) ([]byte, error) {
	size := (bits + 7) / 8
	var seq, r, sv cryptobyte.String
	in := cryptobyte.String(der)
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1(&r, cbasn1.INTEGER) || !seq.ReadASN1(&sv, cbasn1.INTEGER) || !seq.Empty() {
		return nil, errors.New("malformed ECDSA signature")
	}
	out := make([]byte, 2*size)
	for i, v := range [][]byte{r, sv} {
		for len(v) > 0 && v[0] == 0 {
			v = v[1:]
		}
		if len(v) > size {
			return nil, errors.New("malformed ECDSA signature")
		}
		copy(out[(i+1)*size-len(v):], v)
	}
	return out, nil
}
