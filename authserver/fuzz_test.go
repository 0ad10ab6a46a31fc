package authserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/authserver/authservertest"
	"github.com/portcullis/portcullis/dpop"
	"github.com/portcullis/portcullis/dpop/dpoptest"
)

// FuzzTokenEndpoint sends arbitrary bodies and Authorization headers to the
// token endpoint: every answer must be a well-formed OAuth response, never
// a 5xx.
func FuzzTokenEndpoint(f *testing.F) {
	as := authservertest.New(f)
	good := basic(as.ClientID, as.ClientSecret).value
	f.Add("grant_type=client_credentials", good)
	f.Add("grant_type=client_credentials&scope=list:users&resource=https://api.example.com", good)
	f.Add("grant_type=client_credentials&scope=%00%ff", good)
	f.Add("grant_type=client_credentials&client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=eyJhbGciOiJub25lIn0.e30.", "")
	f.Add("grant_type=client_credentials&client_id=test-client&client_secret=x", "")
	f.Add("a=%%%&&&=", "Basic Og==")
	f.Add(strings.Repeat("scope=a&", 100), "Basic dGVzdC1jbGllbnQ6")
	f.Fuzz(func(t *testing.T, body, authz string) {
		checkOAuthAnswer(t, as.Handler, "/token", body, authz)
	})
}

// FuzzIntrospect sends arbitrary tokens to introspection.
func FuzzIntrospect(f *testing.F) {
	as := authservertest.New(f)
	good := basic(as.ClientID, as.ClientSecret).value
	tok := as.Token(f, "")
	f.Add("token=" + tok)
	f.Add("token=" + tok[:len(tok)/2])
	f.Add("token=eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.e30.x")
	f.Add("token=....&token_type_hint=refresh_token")
	f.Fuzz(func(t *testing.T, body string) {
		w := checkOAuthAnswer(t, as.Handler, "/introspect", body, good)
		if w.Code == http.StatusOK && !strings.Contains(body, tok) && strings.Contains(w.Body.String(), `"active":true`) {
			t.Fatalf("a token this server did not issue introspected active: %q", body)
		}
	})
}

func checkOAuthAnswer(t *testing.T, h http.Handler, path, body, authz string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code >= 500 {
		t.Fatalf("%s answered %d to %q: %s", path, w.Code, body, w.Body)
	}
	if w.Body.Len() == 0 {
		return w
	}
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s answered non-JSON %q", path, w.Body)
	}
	if w.Code >= 400 {
		if code, _ := out["error"].(string); code == "" {
			t.Fatalf("%s error without an error code: %s", path, w.Body)
		}
	}
	return w
}

// FuzzDPoPHeader sends arbitrary DPoP headers with a good client
// credentials request: the answer is a token or invalid_dpop_proof, never
// a server error.
func FuzzDPoPHeader(f *testing.F) {
	as := authservertest.New(f)
	good := basic(as.ClientID, as.ClientSecret).value
	s := dpoptest.NewSigner(f)
	req := dpoptest.Request{Method: http.MethodPost, URL: as.URL + "/token"}
	f.Add(s.Proof(req))
	for _, d := range s.Defects(req) {
		f.Add(d.Header[0])
	}
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0.e30.")
	f.Fuzz(func(t *testing.T, proof string) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=client_credentials"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", good)
		r.Header.Set(dpop.Header, proof)
		w := httptest.NewRecorder()
		as.Handler.ServeHTTP(w, r)
		var out struct {
			Error string `json:"error"`
		}
		json.Unmarshal(w.Body.Bytes(), &out)
		if w.Code != http.StatusOK && (w.Code != http.StatusBadRequest || out.Error != dpop.CodeInvalidProof) {
			t.Fatalf("DPoP %q: %d %s", proof, w.Code, w.Body)
		}
	})
}
