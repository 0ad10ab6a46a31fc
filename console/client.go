package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"slices"

	"github.com/portcullis/portcullis/authserver"
	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/store"
)

// ClientID is the client ID of the console's built-in client.
const ClientID = "portcullis-console"

// consoleScopes are the scopes the console asks for: the user's identity,
// refresh tokens for a session longer than one access token, and every
// management API scope (the authorization server grants a user only those
// their roles allow).
var consoleScopes = append([]string{"openid", "profile", "offline_access"}, registry.AdminScopes...)

// derive is a key for purpose, derived from the server secret, so that the
// console needs no secret of its own and every instance sharing the store
// derives the same one.
func derive(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("portcullis console: " + purpose))
	return m.Sum(nil)
}

// clientSecret is the built-in client's secret: never configured, never
// printed, known only to processes holding the server secret.
func clientSecret(secret []byte) string {
	return base64.RawURLEncoding.EncodeToString(derive(secret, "client secret"))
}

// signedOutPath is where the authorization server's sign-out returns: a
// page that starts no sign-in by itself, since the single sign-on session
// may still be alive (the person chose "Stay signed in") and the console
// skips consent, so any page that did would sign the person straight
// back in.
const signedOutPath = Path + "signed-out"

// Client is the console's built-in OAuth client for issuer, whose secret
// is derived from the server secret (keys.Secret): serve adds it to the
// authorization server's clients when the console is enabled. It skips the
// consent page, since the console is part of the server.
func Client(issuer string, secret []byte) store.Client {
	return store.Client{
		ID: ClientID, Name: "Portcullis console",
		SecretHash: authserver.HashSecret(clientSecret(secret)), AuthMethod: store.AuthSecretBasic,
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		Scopes:                 slices.Clone(consoleScopes),
		RedirectURIs:           []string{issuer + Path + "callback"},
		PostLogoutRedirectURIs: []string{issuer + signedOutPath},
		SkipConsent:            true,
	}
}
