package users

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/portcullis/portcullis/connectors"
	"github.com/portcullis/portcullis/store"
)

// FederationRules are one connector's account rules (config's
// connectors[].provisioning and connectors[].groups).
type FederationRules struct {
	// CreateUsers creates a user at the first sign-in of an unknown
	// upstream identity (just-in-time provisioning).
	CreateUsers bool
	// LinkByEmail links a first sign-in to the one existing user whose
	// email claim is the upstream's verified address.
	LinkByEmail bool
	// GroupsClaim keeps the upstream groups that Include matches in the
	// user's groups claim; Include empty means all, and a pattern ending
	// in "*" matches a prefix.
	GroupsClaim bool
	Include     []string
	// Roles, when not empty, manages the user's console roles: role name
	// to the upstream groups (exact names) that grant it. The roles are
	// replaced at every sign-in.
	Roles map[string][]string
	// Configured are the configuration file's usernames: a just-in-time
	// user never takes one (ignoring case), and none of their users is
	// ever linked by email, since the file is the truth for them.
	Configured []string
}

// Outcome says how Federate found the user.
type Outcome int

// Outcomes of Federate.
const (
	// Linked: the identity was linked to the user before.
	Linked Outcome = iota
	// LinkedByEmail: the identity was linked now to an existing user with
	// its verified email address.
	LinkedByEmail
	// Created: a new user was created and linked (just-in-time).
	Created
)

// Errors of Federate, besides the store's.
var (
	// ErrNoAccount: the identity is linked to no user and the rules
	// neither link nor create one.
	ErrNoAccount = errors.New("users: no account for this upstream identity")
)

// FederateStore is the part of store.Store that Federate needs.
type FederateStore interface {
	GetUser(ctx context.Context, id string) (store.User, error)
	SearchUsers(ctx context.Context, q store.UserQuery) ([]store.User, error)
	UpdateUser(ctx context.Context, id string, update func(*store.User) error) error
	CreateLink(ctx context.Context, l store.Link, newUser *store.User) error
	GetLink(ctx context.Context, connectorID, subject string) (store.Link, error)
}

// maxUsernameTries bounds the suffixes tried for a free username before a
// random one is used.
const maxUsernameTries = 20

// Federate finds or makes the Portcullis user of an identity an upstream
// (the connector connectorID) vouched for: the linked user; else, with
// LinkByEmail, the one user whose email claim is the upstream's verified
// address, linked now; else, with CreateUsers, a new user with a random
// subject (never the upstream's, OpenID Connect Core section 8: a
// Portcullis sub is Portcullis's own) and no password. Every sign-in
// refreshes the claims the upstream gives and, when rules.Roles is set,
// the roles. A disabled user is refused with ErrDisabled.
func Federate(ctx context.Context, s FederateStore, connectorID string, id connectors.Identity, rules FederationRules, now time.Time) (store.User, Outcome, error) {
	if id.Subject == "" {
		return store.User{}, 0, errors.New("federate: the upstream identity has no subject")
	}
	u, outcome, err := findOrCreate(ctx, s, connectorID, id, rules, now)
	if err != nil {
		return store.User{}, 0, err
	}
	if u.Disabled {
		return store.User{}, 0, ErrDisabled
	}
	if outcome == Created {
		return u, outcome, nil
	}
	err = s.UpdateUser(ctx, u.ID, func(x *store.User) error {
		if x.Disabled {
			return ErrDisabled
		}
		refresh(x, id, rules)
		u = *x
		return nil
	})
	if err != nil {
		return store.User{}, 0, fmt.Errorf("federate: refresh user: %w", err)
	}
	return u, outcome, nil
}

// findOrCreate resolves the link, links by email or creates the user.
func findOrCreate(ctx context.Context, s FederateStore, connectorID string, id connectors.Identity, rules FederationRules, now time.Time) (store.User, Outcome, error) {
	if u, err := linkedUser(ctx, s, connectorID, id.Subject); !errors.Is(err, store.ErrNotFound) {
		return u, Linked, err
	}
	link := store.Link{ConnectorID: connectorID, Subject: id.Subject, CreatedAt: now}
	if rules.LinkByEmail && id.EmailVerified && id.Email != "" {
		owner, err := emailOwner(ctx, s, id.Email, rules.Configured)
		if err != nil {
			return store.User{}, 0, err
		}
		if owner != nil {
			link.UserID = owner.ID
			err := s.CreateLink(ctx, link, nil)
			if errors.Is(err, store.ErrAlreadyExists) {
				// A concurrent first sign-in linked it.
				u, err := linkedUser(ctx, s, connectorID, id.Subject)
				return u, Linked, err
			}
			if err != nil {
				return store.User{}, 0, fmt.Errorf("federate: link: %w", err)
			}
			return *owner, LinkedByEmail, nil
		}
	}
	if !rules.CreateUsers {
		return store.User{}, 0, ErrNoAccount
	}
	base := baseUsername(id)
	for i := 1; ; i++ {
		name := candidate(base, i)
		if i <= maxUsernameTries {
			taken, err := usernameTaken(ctx, s, name, rules.Configured)
			if err != nil {
				return store.User{}, 0, err
			}
			if taken {
				continue
			}
		}
		u := store.User{ID: NewID(), Username: name, CreatedAt: now}
		refresh(&u, id, rules)
		link.UserID = u.ID
		err := s.CreateLink(ctx, link, &u)
		if err == nil {
			return u, Created, nil
		}
		if !errors.Is(err, store.ErrAlreadyExists) {
			return store.User{}, 0, fmt.Errorf("federate: create user: %w", err)
		}
		// Either the identity was linked meanwhile (a concurrent first
		// sign-in), or the username is taken: try the next one.
		if lu, lerr := linkedUser(ctx, s, connectorID, id.Subject); !errors.Is(lerr, store.ErrNotFound) {
			return lu, Linked, lerr
		}
		if i > maxUsernameTries+1 {
			return store.User{}, 0, fmt.Errorf("federate: no free username for %q: %w", base, err)
		}
	}
}

// linkedUser returns the user the identity is linked to; store.ErrNotFound
// when there is no link.
func linkedUser(ctx context.Context, s FederateStore, connectorID, subject string) (store.User, error) {
	l, err := s.GetLink(ctx, connectorID, subject)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.User{}, err
		}
		return store.User{}, fmt.Errorf("federate: get link: %w", err)
	}
	u, err := s.GetUser(ctx, l.UserID)
	if err != nil {
		// A link without its user (deleted meanwhile) cannot sign in.
		return store.User{}, fmt.Errorf("federate: linked user: %w", err)
	}
	return u, nil
}

// emailOwner returns the one user whose email claim is email, ignoring
// case, and whose email_verified claim is true, or nil when none or
// several have it: an ambiguous address links no one, and an unverified
// one (a just-in-time user's own claim, say) never attracts a link that
// would hand the account to whoever holds the address later.
func emailOwner(ctx context.Context, s FederateStore, email string, configured []string) (*store.User, error) {
	var found []store.User
	q := store.UserQuery{Text: email, Limit: store.MaxPageLimit}
	for {
		page, err := s.SearchUsers(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("federate: find email: %w", err)
		}
		for _, u := range page {
			e, _ := u.Claims["email"].(string)
			verified, _ := u.Claims["email_verified"].(bool)
			if verified && strings.EqualFold(e, email) && !containsFold(configured, u.Username) {
				found = append(found, u)
			}
		}
		if len(page) < q.Limit || len(found) > 1 {
			break
		}
		q.After = page[len(page)-1].Username
	}
	if len(found) != 1 {
		return nil, nil
	}
	return &found[0], nil
}

// refresh sets the claims the upstream gives and, with rules.Roles, the
// roles. Claims the upstream does not give stay as they are, and a
// verified address is never replaced by an unverified one: the verified
// claim is what linking by email trusts.
func refresh(u *store.User, id connectors.Identity, rules FederationRules) {
	claims := maps.Clone(u.Claims)
	if claims == nil {
		claims = map[string]any{}
	}
	wasVerified, _ := claims["email_verified"].(bool)
	if id.Email != "" && (id.EmailVerified || !wasVerified) {
		claims["email"] = id.Email
		claims["email_verified"] = id.EmailVerified
	}
	if id.Name != "" {
		claims["name"] = id.Name
	}
	if rules.GroupsClaim {
		groups := []string{}
		for _, g := range id.Groups {
			if included(g, rules.Include) {
				groups = append(groups, g)
			}
		}
		claims["groups"] = groups
	}
	u.Claims = claims
	if len(rules.Roles) > 0 {
		u.Roles = MappedRoles(id.Groups, rules.Roles)
	}
}

// MappedRoles are the roles groups grant by mapping (role to the groups
// that give it), sorted.
func MappedRoles(groups []string, mapping map[string][]string) []string {
	roles := []string{}
	for role, from := range mapping {
		if slices.ContainsFunc(from, func(g string) bool { return slices.Contains(groups, g) }) {
			roles = append(roles, role)
		}
	}
	slices.Sort(roles)
	return roles
}

// included reports whether group matches one of patterns (empty: all); a
// pattern ending in "*" matches a prefix.
func included(group string, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(group, prefix) || p == group {
			return true
		}
	}
	return false
}

// reservedUsernames are names a just-in-time user never gets as they are:
// people and operators read them as the system's own.
var reservedUsernames = []string{"admin", "administrator", "root", "system", "portcullis"}

// maxUsernameLen bounds a just-in-time username.
const maxUsernameLen = 64

// baseUsername is the upstream's username, else its email's local part,
// else "user", folded to a safe set so that no name looks like another
// (a configured "admin" beside "Admin", "admin\u200b" or a right-to-left
// override): compatibility-normalised (NFKC: full-width letters become
// ASCII), lower-cased, every character outside [a-z0-9._@-] replaced by
// "-", and trimmed of "-" and ".".
func baseUsername(id connectors.Identity) string {
	name := strings.TrimSpace(id.Username)
	if name == "" {
		name, _, _ = strings.Cut(id.Email, "@")
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '@', r == '-':
			return r
		}
		return '-'
	}, strings.ToLower(norm.NFKC.String(name)))
	name = strings.Trim(name, "-.")
	if len(name) > maxUsernameLen {
		name = strings.TrimRight(name[:maxUsernameLen], "-.")
	}
	if name == "" {
		name = "user"
	}
	return name
}

// usernameTaken reports whether a just-in-time user may not take name:
// reserved, a configured user's, or a stored user's, ignoring case (the
// store's uniqueness is exact, and "Alice" beside "alice" is one person
// to a reader).
func usernameTaken(ctx context.Context, s FederateStore, name string, configured []string) (bool, error) {
	if containsFold(reservedUsernames, name) || containsFold(configured, name) {
		return true, nil
	}
	q := store.UserQuery{Text: name, Limit: store.MaxPageLimit}
	for {
		page, err := s.SearchUsers(ctx, q)
		if err != nil {
			return false, fmt.Errorf("federate: find username: %w", err)
		}
		if slices.ContainsFunc(page, func(u store.User) bool { return strings.EqualFold(u.Username, name) }) {
			return true, nil
		}
		if len(page) < q.Limit {
			return false, nil
		}
		q.After = page[len(page)-1].Username
	}
}

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// candidate is the i-th username tried: base, then base-2, base-3...; past
// maxUsernameTries a random suffix.
func candidate(base string, i int) string {
	switch {
	case i == 1:
		return base
	case i <= maxUsernameTries:
		return base + "-" + strconv.Itoa(i)
	default:
		return base + "-" + strings.ToLower(NewID()[:8])
	}
}
