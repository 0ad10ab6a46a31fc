// Package guard protects HTTP APIs with OAuth 2.0 access tokens, bearer
// or bound to a key with DPoP (RFC 9449), issued by Portcullis or any
// authorization server that publishes discovery metadata (RFC 8414) and a
// JWK Set.
//
// A Guard is built from Options that must name the issuer and the API's
// audience; the accepted signature algorithms come from Options.Algorithms
// or, when that is empty, from the asymmetric algorithms the issuer
// advertises. Guard.Middleware authenticates each request and stores the
// Caller in the request context; Guard.RequireScopes checks scopes per
// route, and Guard.RequireAuthentication how recent and how strong the
// user's sign-in must be (RFC 9470 step-up: the token's acr and
// auth_time). Refusals follow RFC 6750 section 3: a WWW-Authenticate
// challenge and a JSON body.
//
// # Validation
//
// JWT access tokens (RFC 9068) are verified locally against the issuer's
// keys: the "typ" header must be "at+jwt" unless Options.TokenTypes says
// otherwise; "alg" must be an accepted asymmetric algorithm that fits the
// key named by "kid"; "iss", "aud", "exp", "nbf" and "iat" are checked with
// Options.Leeway. The "jwk", "jku", "x5u" and "x5c" headers are ignored:
// keys only ever come from the issuer's jwks_uri.
//
// The key set is cached and refreshed in the background at three quarters
// of the max-age the issuer sends, within [KeyRefreshMin, KeyRefreshMax].
// A token naming an unknown kid triggers one fetch shared by all concurrent
// requests, and at most one such fetch per KeyRefreshMin, so tokens with
// random kids cannot flood the issuer; a bad signature under a known kid
// never triggers a fetch. If the issuer is down or serves garbage, the last
// good key set keeps working, and the failure is logged and counted (see
// Guard.Stats).
//
// Tokens that are not JWTs are introspected (RFC 7662) when
// Options.Introspection is set. Answers are cached by the token's SHA-256,
// never past the token's exp nor Introspection.CacheMax; inactive answers
// for Introspection.NegativeCache; and concurrent requests with the same
// token share one call.
//
// A JWT seen before is served from a cache keyed by its SHA-256, bounded by
// its exp, dropped when its signing key leaves the key set, and checked
// against revocations on every request.
//
// # DPoP-bound tokens
//
// A token whose claims, or introspection answer, carry cnf.jkt is bound to
// its client's key (RFC 9449): it is accepted only under the DPoP
// authentication scheme, with a DPoP header holding a proof, signed by
// that key, of the request's method, of its URL (Options.DPoP.PublicURL
// and the request's path; never the Host header) and of the token (ath).
// Options.DPoP.Mode says whether such tokens, bearer tokens or both are
// welcome (see DPoPMode); Guard.MiddlewareWith picks another mode per
// route. The token cache serves the token as for bearer tokens; the proof,
// which is for one request, is checked on every request with the dpop
// package's Verifier, whose replay cache (Options.DPoP.Replay) sees each
// proof once. Answers carry a DPoP challenge beside, or instead of, the
// Bearer one (RFC 9449 section 7.1).
//
// # Revocation: polling versus introspection
//
// A JWT is valid by itself until it expires, so a guard learns of its
// revocation only from the issuer. Portcullis publishes the JTIs of revoked,
// unexpired JWTs at portcullis_revocation_list_endpoint, with cutoffs: "every
// token of this client_id, this sub, or this sub at this client_id whose iat
// is before not_before is revoked", which is how revoking everything of a
// client reaches its client credentials tokens. The guard polls it
// every Options.RevocationInterval, so a revoked JWT is refused at most one
// interval (plus one request's latency) after revocation, while every
// request is still answered from memory. If the list cannot be fetched, the
// guard keeps accepting tokens it cannot know to be revoked, logs and counts
// the failure: an issuer outage does not become an API outage, at the
// price of a longer revocation bound during it.
//
// Introspecting every token instead (opaque tokens) makes revocation take
// effect within Introspection.CacheMax and works with issuers that publish
// no list, but costs a round trip to the issuer for each new token and
// fails closed (503) when the issuer is unreachable and the answer is not
// cached.
//
// Guard.RefreshRevocations polls at once instead of waiting for the
// interval. Portcullis instances configured with Redis publish a notice on
// each revocation, and a guard subscribed to them (see the redisstate
// package) calls it on each: a revoked JWT is then refused everywhere
// within about a second, while requests are still answered from memory.
// Triggered polls are coalesced and at least half a second apart, so
// notices cannot make a guard flood the issuer. If Redis is down, the
// interval is the bound again.
//
// # Start-up
//
// New reads the issuer before it returns, and by default fails when it
// cannot, so that an API whose start succeeds can check tokens. With
// Options.RetryStart it returns anyway and keeps reading in the background
// with capped exponential backoff; until it has, every request is
// answered 503 temporarily_unavailable with Retry-After, and Ready says
// why, for the server's readiness check: the API may start before its
// issuer.
//
// # Usage
//
// Options.Observe, when set, is told once of every request Middleware
// and RequireScopes judge: the Caller, and nil or the refusal, which
// Outcome names from a fixed set (allowed, no_token, expired, revoked,
// insufficient_scope...). It is how an API reports its calls to its own
// metrics or usage records; Portcullis's gateway feeds its usage records
// from it.
package guard
