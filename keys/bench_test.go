package keys

import (
	"context"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// BenchmarkSign is Manager.Sign of an access token's payload, beside the
// same signature through a go-jose Signer (the baseline): the difference
// is what encoding the protected header once saves.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	s := openStore(b)
	if err := Ensure(ctx, s, []string{ES256}, time.Hour, time.Now()); err != nil {
		b.Fatal(err)
	}
	m, err := NewManager(ctx, s, time.Hour, nil)
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"iss":"https://auth.example.com","sub":"svc","aud":"https://api.example.com","client_id":"svc","scope":"read write","iat":1800000000,"exp":1800003600,"jti":"yubdjoQhmqLz0V9TMyf4Gg"}`)
	b.Run("baseline-go-jose", func(b *testing.B) {
		k := m.active(ES256)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k.private, KeyID: k.ID}},
			(&jose.SignerOptions{}).WithType("at+jwt"))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			jws, err := signer.Sign(payload)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := jws.CompactSerialize(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("manager", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := m.Sign(ES256, "at+jwt", payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}
