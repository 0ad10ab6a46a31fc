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
	for _, o := range orgs {
		id.Groups = append(id.Groups, o.Login)
	}
	if !c.allowed(id.Groups) {
		return connectors.Identity{}, fmt.Errorf("%w: %s is not a member of an allowed organisation", connectors.ErrRefused, u.Login)
	}
	if *c.cfg.TeamsAsGroups {
		teams, err := list[team](ctx, a, "/user/teams")
		if err != nil {
			return connectors.Identity{}, err
		}
		for _, t := range teams {
			id.Groups = append(id.Groups, t.Organization.Login+":"+t.Slug)
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
// GitHub logins are case-insensitive.
func (c *Connector) allowed(orgs []string) bool {
	if len(c.cfg.Orgs) == 0 {
		return true
	}
	for _, want := range c.cfg.Orgs {
		if slices.ContainsFunc(orgs, func(o string) bool { return strings.EqualFold(o, want) }) {
			return true
		}
	}
	return false
}
