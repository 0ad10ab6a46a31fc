// Package console is the admin console: server-rendered pages, mounted by
// serve at /console/, for the people who run a Portcullis issuer. It owns
// its sign-in (it is an OAuth client of the same server: the built-in
// confidential client ClientID, authorization code with PKCE), the
// encrypted cookie that keeps its tokens, CSRF protection of its forms,
// its layout (in the deployment's theme.Branding) and its pages.
//
// The console has no path into the store: every page reads and every form
// changes through the management API (package sdk), with the signed-in
// user's access token. What a user may see or change is therefore decided
// by the authorization server (which grants admin scopes by role) and
// enforced by the management API; the console only hides the forms a
// token could not use and refuses their POSTs early.
package console
