// Package dpop implements Demonstrating Proof of Possession (RFC 9449):
// the proofs that bind an access token, and a public client's refresh
// token, to a key its client holds, so that a token copied out of a log, a
// proxy or a browser is worthless without that key.
//
// It has both sides, so that the authorization server, the guard, the
// gateway and the OAuth Agent verify proofs with one verifier and Go
// clients make them with one signer:
//
//   - Verifier checks a request's DPoP header (RFC 9449 section 4.3): its
//     form, signature, method, target URI, age, single use, server nonce
//     and, at a resource server, the hash of the access token (ath) and
//     the key the token is bound to (cnf.jkt, section 6.1).
//   - Nonces issues and checks stateless server nonces (section 8): a MAC
//     over a time window, so every instance sharing the key accepts every
//     other's.
//   - MemoryReplay is a bounded in-process ReplayCache for proofs' jti;
//     several instances share one through Redis (package redisstate) or
//     the store.
//   - Key makes proofs; Transport is an http.RoundTripper that adds them to
//     every request and retries once when a server asks for a nonce;
//     NewClient joins it with an oauth2.TokenSource such as
//     golang.org/x/oauth2/clientcredentials; ParseKey and Key.MarshalPEM
//     keep a key in a PEM file, so that it outlives a process as long as
//     the tokens bound to it.
package dpop
