package github

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/portcullis/portcullis/connectors"
)

// user is the part of GET /user read (docs.github.com/rest/users/users).
type user struct {
	ID    int64  `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name"`
	// Email is the public email, which may be empty.
	Email string `json:"email"`
}

// email is one entry of GET /user/emails.
type email struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// org is one entry of GET /user/orgs; team one of GET /user/teams.
type (
	org struct {
		Login string `json:"login"`
	}
	team struct {
		Slug         string `json:"slug"`
		Organization org    `json:"organization"`
	}
)

// profile reads who holds the token and what they belong to.
func (c *Connector) profile(ctx context.Context, a api) (connectors.Identity, error) {
	var u user
	if err := a.get(ctx, "/user", &u); err != nil {
		return connectors.Identity{}, err
	}
	if u.ID <= 0 || u.Login == "" {
		return connectors.Identity{}, fmt.Errorf("%w: GET /user has no id or login", connectors.ErrRefused)
	}
	emails, err := list[email](ctx, a, "/user/emails")
	if err != nil {
		return connectors.Identity{}, err
	}
	orgs, err := list[org](ctx, a, "/user/orgs")
	if err != nil {
		return connectors.Identity{}, err
	}
	id := connectors.Identity{Subject: strconv.FormatInt(u.ID, 10), Username: u.Login, Name: u.Name}
	id.Email, id.EmailVerified = pickEmail(emails, u.Email)
	var member []string
	for _, o := range orgs {
		member = append(member, o.Login)
	}
	if !c.allowed(member) {
		return connectors.Identity{}, fmt.Errorf("%w: %s is not a member of an allowed organisation", connectors.ErrRefused, u.Login)
	}
	// Groups come from the allowed organisations only: anyone can create
	// an organisation of any free name, so others' names mean nothing.
	for _, o := range member {
		if c.listed(o) {
			id.Groups = append(id.Groups, o)
		}
	}
	if *c.cfg.TeamsAsGroups {
		teams, err := list[team](ctx, a, "/user/teams")
		if err != nil {
			return connectors.Identity{}, err
		}
		for _, t := range teams {
			if c.listed(t.Organization.Login) {
				id.Groups = append(id.Groups, t.Organization.Login+":"+t.Slug)
			}
		}
	}
	return id, nil
}

// pickEmail returns the primary email and whether GitHub verified it. With
// no primary listed (the user:email scope was not granted), it is the
// public email, counted as not verified: that cannot be checked.
func pickEmail(emails []email, public string) (string, bool) {
	if i := slices.IndexFunc(emails, func(e email) bool { return e.Primary }); i >= 0 {
		return emails[i].Email, emails[i].Verified
	}
	return public, false
}

// allowed reports whether orgs meets the allow-list: empty allows anyone.
func (c *Connector) allowed(orgs []string) bool {
	return len(c.cfg.Orgs) == 0 || slices.ContainsFunc(orgs, c.listed)
}

// listed reports whether org is in the allow-list, or the list is empty.
// GitHub logins are case-insensitive.
func (c *Connector) listed(org string) bool {
	return len(c.cfg.Orgs) == 0 || slices.ContainsFunc(c.cfg.Orgs, func(o string) bool { return strings.EqualFold(o, org) })
}
