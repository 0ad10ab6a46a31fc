package authserver_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/store/postgres/pgtest"
)

// TestClusterDPoP runs two instances with server nonces on one PostgreSQL
// database and Redis: a proof used at one is refused at the other, one
// proof raced across both yields one token, and each accepts the other's
// nonces.
func TestClusterDPoP(t *testing.T) {
	dsn := pgtest.FreshSchema(t)
	redisURL := os.Getenv("PORTCULLIS_TEST_REDIS")
	if redisURL == "" {
		t.Log("PORTCULLIS_TEST_REDIS not set: the instances share PostgreSQL alone")
	}
	c := authservertest.NewCluster(t, 2, sharedStore(dsn, redisURL), func(cfg *authserver.Config) { cfg.DPoP.Nonce = true })
	a, b := c.Nodes[0], c.Nodes[1]
	htu := c.Issuer + "/token"
	auth := basic(a.ClientID, a.ClientSecret)
	key := newKey(t)

	_, h, _ := dpopPost(t, a.URL+"/token", ccForm, nil, auth)
	nonce := h.Get(dpop.NonceHeader)
	proof := proofOf(t, key, htu, nonce)
	if status, _, body := dpopPost(t, b.URL+"/token", ccForm, proof, auth); status != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("A's nonce at B: %d %v", status, body)
	}
	if status, _, body := dpopPost(t, a.URL+"/token", ccForm, proof, auth); status != http.StatusBadRequest || body["error"] != dpop.CodeInvalidProof {
		t.Fatalf("the proof used at B, again at A: %d %v", status, body)
	}
	if w, l := raceProof(t, []string{a.URL + "/token", b.URL + "/token"}, proofOf(t, key, htu, nonce), auth); w != 1 || l != 49 {
		t.Fatalf("50 requests with one proof across A and B: %d won, %d refused; want 1 and 49", w, l)
	}
}
