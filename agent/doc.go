// Package agent is the OAuth Agent of the token handler pattern: a small
// stateless API beside a single-page app that runs the authorization code
// flow as a confidential client of any OpenID provider and keeps the tokens
// in encrypted HttpOnly cookies, so that no token ever reaches JavaScript.
// API calls go through a gateway that turns the access-token cookie back
// into a bearer token (see CookieReader and package gateway).
//
// # Endpoints
//
// Under Config.BasePath, JSON in and out:
//
//	POST /login/start  {"extraParams": [{"key": "ui_locales", "value": "fr"}]} (optional)
//	                   → {"authorizationRequestUrl": "..."}
//	POST /login/end    {"pageUrl": "..."}
//	                   → {"handled": bool, "isLoggedIn": bool, "accessTokenExpiresIn": seconds}
//	GET  /userInfo     → the provider's UserInfo claims
//	GET  /claims       → the ID token's claims
//	POST /refresh      → 204 with new cookies
//	POST /logout       → {"url": "..."}, where to end the provider's session
//
// extraParams may set any authorization request parameter the agent does
// not set itself: an API's step-up challenge (RFC 9470 section 4) is
// passed as acr_values and max_age, after which /claims shows the new ID
// token's acr, amr and auth_time.
//
// /login/start pushes the request to the provider's PAR endpoint when it
// has one (RFC 9126) and keeps its state, PKCE verifier and nonce in a
// login cookie holding up to four logins in progress, so that two tabs
// signing in at once both succeed. /login/end handles the authorization
// response in the page URL when the page is the redirect URI and the
// state is one of this browser's logins: it checks iss (RFC 9207), redeems
// the code and verifies the ID token's signature, iss, aud, exp and
// nonce. The app keeps its callback page and removes code and state from
// its URL afterwards.
//
// # Errors
//
// Failures answer {"code": "...", "message": "..."}. The status is the
// app's cue: 401 means refresh, and sign in again if /refresh also answers
// 401; 400 a bad request or a misconfiguration; 403 a cross-site request;
// 502 and 503 a provider that answered badly or not at all (nothing is
// lost: retry). The codes:
//
//	400 invalid_request       malformed body, extraParams naming a reserved parameter, bad pageUrl
//	400 invalid_state         the response is for no login this browser has in progress
//	400 invalid_issuer        iss missing (when advertised) or not the provider's
//	400 <provider's code>     an error response (access_denied...), or a refused code or PAR request
//	400 insufficient_scope    the provider refused userinfo for the token's scope
//	400 not_supported         the provider has no userinfo endpoint
//	401 login_required        the provider's error for prompt=none
//	401 no_session            no session cookie
//	401 invalid_cookie        a cookie does not decrypt (tampered, truncated, foreign, sealed for another cookie); the session cookies are deleted
//	401 token_rejected        the provider refused the access token (refresh)
//	401 session_expired       the provider refused the refresh token; the cookies are deleted
//	403 untrusted_origin      Origin not trusted, or absent without Sec-Fetch-Site: same-origin
//	403 missing_csrf_header   a POST without token-handler-version: 1
//	403 conflicting_cookies   two cookies of one name, or session cookies of two logins; nothing is deleted
//	404 not_found, 405 method_not_allowed
//	413 request_too_large     the JSON body exceeds 16 KiB
//	502 provider_error        the provider answered badly
//	502 invalid_id_token      the ID token failed verification
//	503 provider_unavailable  the provider could not be reached
//
// # Cookies
//
// Each cookie value is base64url_nopad(0x02 ‖ nonce[12] ‖ ciphertext ‖
// tag[16]): AES-256-GCM with a random nonce, the associated data being
// 0x02 followed by the cookie's name, and the plaintext a 16-byte login ID
// followed by the raw token. A value sealed for one cookie does not open
// as another; the cookies of one login share its ID, which a refresh
// keeps. The first configured key encrypts and every configured key
// decrypts. The test vectors in testdata/cookie_vectors.json pin the
// format; the first is
//
//	key        000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
//	nonce      000102030405060708090a0b
//	name       __Host-pc-at
//	login ID   202122232425262728292a2b2c2d2e2f
//	plaintext  token
//	cookie     AgABAgMEBQYHCAkKC2cj9DjhwOQ8pWi9oJ3EVkL3uexRnvakLqQuvXBBYNCuXCALCHY
//
// The names are PREFIX-at (path /, for the gateway), PREFIX-auth (path
// BASE/refresh, and a copy at BASE/logout), PREFIX-id (path BASE) and
// PREFIX-login (path /). With Secure cookies, those at path / take the
// __Host- prefix and the others __Secure-. The login cookie is at / for
// that prefix alone: no sibling host can plant one holding the state of
// its own login to sign the user into its account (login CSRF); the
// gateway strips it, like every cookie of the prefix. All are HttpOnly and SameSite=Strict, without Domain,
// and Secure unless every trusted web origin is http on a loopback host.
// They last the browser session, except the login cookie (ten minutes).
//
// A browser sends two cookies of one name when another path or another
// host of the domain set one (cookie tossing, to make the app work in the
// attacker's account); such a request is refused, by the agent and the
// gateway alike. The access-token cookie anchors the session: it is the
// one that can be a __Host- cookie, which other hosts cannot set, so the
// endpoints need it, and the other session cookies must carry its login
// ID.
//
// Version 1 values, the layout of Curity's OAuth Agent (no associated
// data, the plaintext being the token), which the agent wrote before, are
// read until CookieConfig.LegacyCookiesUntil, and only under the names
// without the prefixes, which they were written under: a version 1 value
// has no login ID, so under a prefixed name it would escape the binding
// to the access-token cookie's login. A refresh rewrites the session in
// version 2.
//
// # Cross-site defences
//
// Every request needs an Origin among Config.TrustedWebOrigins or, without
// Origin, Sec-Fetch-Site: same-origin; POSTs also need the header
// token-handler-version: 1, which forces a CORS preflight that only trusted
// origins pass. CORS answers trusted origins only, with credentials.
//
// # DPoP
//
// With Config.DPoP the tokens are bound to a key of the agent (RFC 9449):
// the agent proves it at the code exchange, at each refresh and at
// userinfo, through a dpop.Transport per key, and refuses token responses
// whose token_type is not DPoP. The keys are derived from
// Config.DPoPKeys (DPoPKey), so every agent and gateway with the same
// secrets holds the same keys. The first binds new tokens; a token is
// presented with the key its cnf.jkt names (CookieReader.Present, which
// the gateway calls), and refreshed with that key while it is configured,
// with the first otherwise.
//
// # Refresh
//
// Requests carrying the same refresh token share one call to the provider
// and its result, kept for 30 seconds, so that concurrent refreshes from
// one browser do not trip a provider's refresh token reuse detection; only
// the request that made the call deletes cookies when the provider refuses
// the token. Instances do not share results: behind several instances,
// rely on the provider's grace period for rotated refresh tokens
// (Portcullis has one).
package agent
