package dpop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/dpop"
)

func TestParseKey(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	pkcs8 := func(k crypto.Signer) string {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	sec1, _ := x509.MarshalECPrivateKey(p256)
	pub, _ := x509.MarshalPKIXPublicKey(p256.Public())
	for _, tc := range []struct {
		name, pem string
		// alg is the key's algorithm, "" for a key ParseKey refuses.
		alg string
	}{
		{"PKCS #8 P-256", pkcs8(p256), "ES256"},
		{"SEC 1 P-256", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})), "ES256"},
		{"PKCS #8 P-384", pkcs8(p384), "ES384"},
		{"PKCS #8 Ed25519", pkcs8(ed), "EdDSA"},
		{"PKCS #8 RSA", pkcs8(rsa2048), "PS256"},
		{"after text", "a comment\n" + pkcs8(p256), "ES256"},
		{"RSA under 2048 bits", pkcs8(rsa1024), ""},
		{"a public key", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), ""},
		{"encrypted", string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}})), ""},
		{"PKCS #8 label on SEC 1 bytes", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: sec1})), ""},
		{"not PEM", "-----BEGIN", ""},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := dpop.ParseKey([]byte(tc.pem))
			if tc.alg == "" {
				if err == nil {
					t.Fatal("parsed")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if key.Algorithm() != tc.alg {
				t.Errorf("Algorithm %s, want %s", key.Algorithm(), tc.alg)
			}
			out, err := key.MarshalPEM()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), "-----BEGIN PRIVATE KEY-----\n") {
				t.Errorf("MarshalPEM: %.40s", out)
			}
			again, err := dpop.ParseKey(out)
			if err != nil {
				t.Fatal(err)
			}
			if again.Thumbprint() != key.Thumbprint() || again.Algorithm() != key.Algorithm() {
				t.Errorf("read back as %s %s, was %s %s", again.Algorithm(), again.Thumbprint(), key.Algorithm(), key.Thumbprint())
			}
		})
	}
}
