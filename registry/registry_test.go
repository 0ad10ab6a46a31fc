package registry

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestScopeEncodings(t *testing.T) {
	tests := []struct {
		name, yaml, json string
		want             []Scope
		wantErr          bool
	}{
		{name: "names", yaml: "[read, write]", json: `["read","write"]`, want: []Scope{{Name: "read"}, {Name: "write"}}},
		{name: "objects", yaml: "[{name: read, description: Read things}]", json: `[{"name":"read","description":"Read things"}]`,
			want: []Scope{{Name: "read", Description: "Read things"}}},
		{name: "mixed", yaml: "[read, {name: write}]", json: `["read",{"name":"write"}]`, want: []Scope{{Name: "read"}, {Name: "write"}}},
		{name: "unknown field", json: `[{"name":"read","desc":"x"}]`, wantErr: true},
		{name: "number", json: `[3]`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.yaml != "" {
				var got []Scope
				if err := yaml.Unmarshal([]byte(tt.yaml), &got); err != nil || !equal(got, tt.want) {
					t.Errorf("YAML %s = %+v, %v; want %+v", tt.yaml, got, err, tt.want)
				}
			}
			var got []Scope
			err := json.Unmarshal([]byte(tt.json), &got)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("JSON %s decoded as %+v; want an error", tt.json, got)
				}
				return
			}
			if err != nil || !equal(got, tt.want) {
				t.Errorf("JSON %s = %+v, %v; want %+v", tt.json, got, err, tt.want)
			}
		})
	}
}

func equal(a, b []Scope) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestScopeRoundTrip checks that answers always give objects, which
// requests may send back as they are.
func TestScopeRoundTrip(t *testing.T) {
	b, err := json.Marshal(API{Identifier: "https://api.example", Scopes: []Scope{{Name: "read"}}})
	if err != nil || !strings.Contains(string(b), `"scopes":[{"name":"read"}]`) {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	y, err := yaml.Marshal(API{Identifier: "https://api.example", Scopes: []Scope{{Name: "read"}, {Name: "w", Description: "Write"}}})
	if err != nil || !strings.Contains(string(y), "- read\n") || !strings.Contains(string(y), "description: Write") {
		t.Fatalf("YAML = %s, %v", y, err)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		name, json string
		want       time.Duration
		wantErr    bool
	}{
		{name: "string", json: `"90s"`, want: 90 * time.Second},
		{name: "seconds", json: `3600`, want: time.Hour},
		{name: "bad string", json: `"soon"`, wantErr: true},
		{name: "bool", json: `true`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Duration
			err := json.Unmarshal([]byte(tt.json), &d)
			if (err != nil) != tt.wantErr || (!tt.wantErr && d.D() != tt.want) {
				t.Fatalf("Unmarshal(%s) = %v, %v", tt.json, d.D(), err)
			}
		})
	}
	b, _ := json.Marshal(Duration(time.Hour))
	if string(b) != `"1h0m0s"` {
		t.Fatalf("Marshal = %s", b)
	}
	var y struct {
		D Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 15m"), &y); err != nil || y.D.D() != 15*time.Minute {
		t.Fatalf("YAML = %v, %v", y.D.D(), err)
	}
}
