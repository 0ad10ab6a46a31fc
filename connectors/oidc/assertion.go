package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portcullis/portcullis/connectors/internal/flow"
)

// assertionType is the client_assertion_type of RFC 7523 section 2.2.
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is how long an assertion is valid: long enough for
// clock skew, short enough that a captured one is soon worthless.
const assertionLifetime = time.Minute

// signer makes private_key_jwt client assertions (RFC 7523 section 3).
type signer struct {
	jose.Signer
}

// newSigner parses the PEM key and picks its algorithm: ES256, ES384 or
// ES512 by curve, RS256 for RSA (at least 2048 bits).
func newSigner(pemKey, kid string) (*signer, error) {
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil {
		return nil, errors.New("private_key is not PEM")
	}
	key, err := parseKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		case elliptic.P521():
			alg = jose.ES512
		default:
			return nil, errors.New("private_key: the EC curve must be P-256, P-384 or P-521")
		}
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("private_key: an RSA key must have at least 2048 bits")
		}
		alg = jose.RS256
	default:
		return nil, errors.New("private_key must be an EC or RSA key")
	}
	if kid == "" {
		jwk := jose.JSONWebKey{Key: key.(crypto.Signer).Public()}
		tp, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("private_key: thumbprint: %w", err)
		}
		kid = base64.RawURLEncoding.EncodeToString(tp)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("private_key: %w", err)
	}
	return &signer{s}, nil
}

// parseKey reads PKCS #8, SEC 1 (EC) or PKCS #1 (RSA) DER.
func parseKey(der []byte) (any, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("private_key is not a PKCS #8, SEC 1 or PKCS #1 private key")
}

// assertion returns a fresh assertion of clientID for aud, with a unique
// jti so that the provider may refuse its replay.
func (s *signer) assertion(clientID, aud string, now time.Time) (string, error) {
	claims := jwt.Claims{
		Issuer: clientID, Subject: clientID, Audience: jwt.Audience{aud},
		ID: flow.Random(), IssuedAt: jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(assertionLifetime)),
	}
	return jwt.Signed(s).Claims(claims).Serialize()
}
