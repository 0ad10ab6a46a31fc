package ldap

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/portcullis/portcullis/connectors"
)

// maxGroups bounds the groups of one person. More are refused rather than
// cut, since groups become roles and a cut list is a wrong one.
const maxGroups = 1000

// groups returns the names of the groups of the entry dn (whose username
// attribute is username), searched as the service account: a person may
// not be allowed to read the groups, and what they can read is not what
// Portcullis should trust. Nil when there is no group search.
func (c *Connector) groups(conn *goldap.Conn, dn, username string) ([]string, error) {
	s := c.cfg.GroupSearch
	if s.BaseDN == "" {
		return nil, nil
	}
	if err := c.bindService(conn); err != nil {
		return nil, err
	}
	filter := strings.NewReplacer(
		placeholderDN, goldap.EscapeFilter(dn),
		placeholderUsername, goldap.EscapeFilter(username),
	).Replace(s.filter())
	nameAt := or(s.NameAttribute, defaultGroupNameAt)
	res, err := conn.Search(&goldap.SearchRequest{
		BaseDN:           s.BaseDN,
		Scope:            scope(s.Scope),
		SizeLimit:        maxGroups,
		EnforceSizeLimit: true,
		TimeLimit:        c.timeLimit(),
		Filter:           filter,
		Attributes:       []string{nameAt},
	})
	switch {
	case errors.Is(err, goldap.ErrSizeLimitExceeded),
		goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded):
		return nil, fmt.Errorf("%w: ldap: more than %d groups", connectors.ErrRefused, maxGroups)
	case err != nil:
		return nil, upstream("search the groups", err)
	}
	var names []string
	for _, e := range res.Entries {
		if n := e.GetEqualFoldAttributeValue(nameAt); n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
