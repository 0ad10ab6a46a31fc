package signin

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/theme"
)

// TestReturnPath holds enrolment's return parameter to the sign-in
// resume route of this server: no open redirect.
func TestReturnPath(t *testing.T) {
	tests := []struct {
		name, ret string
		ok        bool
	}{
		{"empty", "", true},
		{"resume", "/authorize/resume?request=abc", true},
		{"another host", "https://evil.example/authorize/resume?x", false},
		{"scheme-relative", "//evil.example/authorize/resume?x", false},
		{"backslash", "/authorize/resume?\\evil", false},
		{"another route", "/authorize?x", false},
		{"dot segments", "/authorize/resume/../../x?", false},
		{"no query", "/authorize/resume", false},
		{"fragment", "/authorize/resume?x#y", false},
		{"newline", "/authorize/resume?x\nLocation: y", false},
		{"javascript", "javascript:alert(1)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := returnPath(tt.ret); ok != tt.ok || (ok && got != tt.ret) {
				t.Errorf("returnPath(%q) = %q, %v; want ok %v", tt.ret, got, ok, tt.ok)
			}
		})
	}
}

// TestBase leads each page's relative links back to the issuer's root.
func TestBase(t *testing.T) {
	tests := []struct{ name, path, want string }{
		{"root", "/", ""},
		{"login", "/login", ""},
		{"account", "/account", ""},
		{"enrol", "/account/enrol", "../"},
		{"enrol totp", "/account/enrol/totp", "../../"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := base(httptest.NewRequest("GET", tt.path, nil)); got != tt.want {
				t.Errorf("base(%s) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

// TestFactorName checks the names people give factors.
func TestFactorName(t *testing.T) {
	tests := []struct {
		name, raw, fallback, want string
		ok                        bool
	}{
		{"trimmed", "  Phone ", "", "Phone", true},
		{"fallback", " ", "Passkey", "Passkey", true},
		{"empty", "", "", "", false},
		{"control", "a\tb", "", "", false},
		{"invalid UTF-8", "a\xffb", "", "", false},
		{"64 characters", strings.Repeat("é", 64), "", strings.Repeat("é", 64), true},
		{"65 characters", strings.Repeat("é", 65), "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := factorName(tt.raw, tt.fallback)
			if (problem == "") != tt.ok || got != tt.want {
				t.Errorf("factorName(%q) = %q, %q", tt.raw, got, problem)
			}
		})
	}
}

// TestPasskeyOptionsEscaped: the creation options, which carry the
// username, cannot end the JSON block they are written into.
func TestPasskeyOptionsEscaped(t *testing.T) {
	pages, err := loadTemplates("", theme.Default())
	if err != nil {
		t.Fatal(err)
	}
	p := &passkeyPage{Options: json.RawMessage(`{"publicKey":{"user":{"name":"</script><script>alert(1)</script>"}}}`)}
	p.Brand = theme.Default()
	var b strings.Builder
	if err := pages.ExecuteTemplate(&b, "account_passkey.html", p); err != nil {
		t.Fatal(err)
	}
	block := b.String()[strings.Index(b.String(), "data-passkey-options>"):]
	block = block[:strings.Index(block, "</script>")]
	if strings.Contains(block, "<script") || !strings.Contains(block, `\u003c/script\u003e`) {
		t.Errorf("options block %q", block)
	}
}
