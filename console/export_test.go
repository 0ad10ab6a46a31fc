package console

import (
	"net/http"
	"net/http/httptest"
)

// AccessToken is the access token in the session cookie value, for tests
// that call the management API as a console user without the console.
func (c *Console) AccessToken(cookie string) (string, error) {
	var s session
	r := httptest.NewRequest(http.MethodGet, Path, nil)
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	if err := c.readCookie(r, sessionCookie, &s); err != nil {
		return "", err
	}
	return s.Access, nil
}
