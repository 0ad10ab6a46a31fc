package gateway

// CookieAuth is cookieAuth, for tests that put a stand-in for the guard
// behind it.
var CookieAuth = cookieAuth
