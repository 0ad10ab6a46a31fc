package guard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// metadata holds the fields of the issuer's discovery document the guard
// uses (RFC 8414 section 2, OpenID Connect Discovery 1.0 section 3).
type metadata struct {
	Issuer                string   `json:"issuer"`
	JWKSURI               string   `json:"jwks_uri"`
	IntrospectionEndpoint string   `json:"introspection_endpoint"`
	SigningAlgorithms     []string `json:"id_token_signing_alg_values_supported"`
	// RevocationList is Portcullis's list of revoked JWTs; other issuers
	// do not advertise it, and the guard then does not poll.
	RevocationList string `json:"portcullis_revocation_list_endpoint"`
}

// wellKnown lists the discovery paths tried in order, appended to the
// issuer as OpenID Connect Discovery 1.0 section 4 does.
var wellKnown = []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"}

// discover fetches and checks the issuer's metadata.
func discover(ctx context.Context, client *http.Client, issuer string) (*metadata, error) {
	var errs []error
	for _, path := range wellKnown {
		var m metadata
		if _, err := getJSON(ctx, client, strings.TrimSuffix(issuer, "/")+path, &m); err != nil {
			errs = append(errs, err)
			continue
		}
		// RFC 8414 section 3.3: the document must name the issuer it was
		// fetched for, or it could be an attacker's impersonation.
		if m.Issuer != issuer {
			return nil, fmt.Errorf("%w: document names issuer %q", ErrDiscovery, m.Issuer)
		}
		if m.JWKSURI == "" {
			return nil, fmt.Errorf("%w: no jwks_uri", ErrDiscovery)
		}
		return &m, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrDiscovery, errors.Join(errs...))
}
