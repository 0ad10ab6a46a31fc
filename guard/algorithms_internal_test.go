package guard

import (
	"slices"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// A start retried after a partial failure settles the algorithms from
// what the issuer advertises then, not from every document it ever read.
func TestPickAlgorithmsAgain(t *testing.T) {
	var s settings
	if err := s.pickAlgorithms([]string{"ES256", "HS256"}); err != nil {
		t.Fatal(err)
	}
	if err := s.pickAlgorithms([]string{"RS256"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.algorithms, []jose.SignatureAlgorithm{jose.RS256}) {
		t.Fatalf("algorithms %v after the issuer moved to RS256; want only RS256", s.algorithms)
	}
}
