package ldap

import (
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
)

func TestSubject(t *testing.T) {
	tests := []struct {
		name, attr string
		raw        []byte
		want       string
	}{
		{name: "entryUUID as it is", attr: "entryUUID", raw: []byte(aliceUUID), want: aliceUUID},
		{name: "text with non-ASCII letters", attr: "employeeNumber", raw: []byte("Zoë-7"), want: "Zoë-7"},
		{name: "binary hex-encoded", attr: "nsUniqueId", raw: []byte{0xde, 0xad, 0x00, 0x01}, want: "dead0001"},
		{name: "a control character hex-encoded", attr: "x", raw: []byte("a\nb"), want: "610a62"},
		{name: "objectGUID always hex, even printable", attr: "objectGUID", raw: []byte("ABCDEFGHIJKLMNOP"), want: "4142434445464748494a4b4c4d4e4f50"},
		{name: "objectGUID in any case", attr: "OBJECTguid", raw: []byte{0x01, 0x02}, want: "0102"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := subject(tt.attr, tt.raw); got != tt.want {
				t.Errorf("subject = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzUserFilter asserts that whatever a person types, the user filter is
// one equality assertion of exactly that value: the username cannot
// change the filter's shape (RFC 4515 section 3).
func FuzzUserFilter(f *testing.F) {
	for _, s := range []string{"alice", "*", "*)(uid=*", "alice)(|(uid=*", `\2a`, "a\x00b", "ü", "\xff"} {
		f.Add(s)
	}
	s := UserSearch{BaseDN: peopleDN}
	f.Fuzz(func(t *testing.T, username string) {
		p, err := goldap.CompileFilter(s.userFilter(username))
		if err != nil {
			t.Fatalf("filter of %q does not compile: %v", username, err)
		}
		if p.Tag != goldap.FilterEqualityMatch || len(p.Children) != 2 {
			t.Fatalf("filter of %q is a %s", username, goldap.FilterMap[uint64(p.Tag)])
		}
		if attr, value := p.Children[0].Data.String(), p.Children[1].Data.String(); attr != "uid" || value != username {
			t.Fatalf("filter of %q asserts %s=%q", username, attr, value)
		}
	})
}
