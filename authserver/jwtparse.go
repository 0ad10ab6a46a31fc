package authserver

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// errPayloadNotUTF8 refuses a JWT whose payload is not valid UTF-8.
var errPayloadNotUTF8 = errors.New("JWT payload is not valid UTF-8")

// parseJWT parses a JWT in the JWS compact serialization signed with one of
// algs. A payload that is not valid UTF-8 is refused, as RFC 7519 section
// 7.2 requires: the JSON decoder would silently replace the bad bytes with
// U+FFFD, so claims the signer never wrote, and distinct tokens that read
// alike, would be accepted.
func parseJWT(raw string, algs []jose.SignatureAlgorithm) (*jwt.JSONWebToken, error) {
	_, rest, _ := strings.Cut(raw, ".")
	segment, _, _ := strings.Cut(rest, ".")
	payload, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(payload) {
		return nil, errPayloadNotUTF8
	}
	return jwt.ParseSigned(raw, algs)
}
