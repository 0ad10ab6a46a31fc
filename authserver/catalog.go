package authserver

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/portcullis/portcullis/authserver/signin"
	"github.com/portcullis/portcullis/store"
)

// API is a protected resource: its identifier is the audience of the access
// tokens issued for it (RFC 8707) and it defines the scopes clients may be
// granted for it.
type API struct {
	Identifier string
	Name       string
	Scopes     []string
	// Descriptions tell users, on the consent page, what some of the
	// scopes allow, by scope name. A scope without one is described by
	// the API's name.
	Descriptions map[string]string
	// IntrospectionClients are the clients, besides the one a token was
	// issued to, that may introspect tokens whose audience includes this
	// API: its resource servers.
	IntrospectionClients []string
	// AccessTokenTTL is the lifetime of access tokens for the API, at most
	// Config.AccessTokenTTL; zero means Config.AccessTokenTTL. A token
	// for several APIs lives as long as the shortest of them allows.
	AccessTokenTTL time.Duration
}

// catalog is one immutable snapshot of the APIs the server issues tokens
// for: the configuration file's and the store's. The server swaps a whole
// new one in when the stored APIs change (ReloadAPIs), so that a request,
// which reads it once, decides with one consistent set from start to end
// and never waits for a reload.
type catalog struct {
	// issuer is the audience of tokens for no API (the userinfo
	// endpoint's); defaultAudience the deployment's audience policy.
	issuer, defaultAudience string
	apis                    map[string]*API
	// scopeAPIs lists, for each scope, the APIs that define it, file
	// APIs first.
	scopeAPIs map[string][]*API
	// discovery is the metadata document, whose scopes_supported lists
	// the APIs' scopes.
	discovery []byte
}

// newCatalog builds the snapshot of the file's APIs and stored. A stored
// API with the identifier of one of the file's is left out: the file
// wins, as it does for clients.
func (s *Server) newCatalog(stored []store.API) (*catalog, error) {
	all := slices.Clone(s.cfg.APIs)
	for _, a := range stored {
		if slices.ContainsFunc(s.cfg.APIs, func(f API) bool { return f.Identifier == a.Identifier }) {
			continue
		}
		all = append(all, APIOf(a))
	}
	cat := &catalog{issuer: s.cfg.Issuer, defaultAudience: s.cfg.DefaultAudience,
		apis: map[string]*API{}, scopeAPIs: map[string][]*API{}}
	var scopes []string
	for i := range all {
		api := &all[i]
		cat.apis[api.Identifier] = api
		for _, sc := range api.Scopes {
			cat.scopeAPIs[sc] = append(cat.scopeAPIs[sc], api)
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	var err error
	if cat.discovery, err = s.metadata(scopes); err != nil {
		return nil, err
	}
	return cat, nil
}

// APIOf is a stored API as the server uses it; the configuration's APIs
// are written as store.APIs too, so that both have their scope
// descriptions read one way.
func APIOf(a store.API) API {
	out := API{Identifier: a.Identifier, Name: a.Name, Scopes: a.ScopeNames(),
		IntrospectionClients: a.IntrospectionClients, AccessTokenTTL: a.AccessTokenTTL}
	for _, sc := range a.Scopes {
		if sc.Description != "" {
			if out.Descriptions == nil {
				out.Descriptions = map[string]string{}
			}
			out.Descriptions[sc.Name] = sc.Description
		}
	}
	return out
}

// catalog returns the current snapshot of the APIs. A request reads it
// once and passes it on.
func (s *Server) catalog() *catalog { return s.apis.Load() }

// ReloadAPIs reads the stored APIs and makes the server issue tokens for
// them, with the file's, from the next request on: scopes, audiences,
// lifetimes, introspection rights, discovery's scopes_supported and the
// consent page's scope texts all change at once. New knows only the
// file's APIs, so that building a server needs no store call; serve calls
// ReloadAPIs once before it listens, then RunAPIs keeps them current. On
// failure the server keeps the APIs it had.
func (s *Server) ReloadAPIs(ctx context.Context) error {
	// One reload at a time: a reload that read the store before a
	// change must not store its snapshot after one that read it since.
	s.reload.Lock()
	defer s.reload.Unlock()
	stored, err := s.store.ListAPIs(ctx)
	if err != nil {
		return fmt.Errorf("authserver: reload APIs: %w", err)
	}
	cat, err := s.newCatalog(stored)
	if err != nil {
		return fmt.Errorf("authserver: reload APIs: %w", err)
	}
	s.apis.Store(cat)
	return nil
}

// RunAPIs calls ReloadAPIs every interval, and at once after each
// APIsChanged, until ctx ends, so that APIs changed at another instance
// reach this one within the interval even without change notices. A
// failure is logged once per minute at most while it lasts; the server
// keeps the last APIs it read.
func (s *Server) RunAPIs(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.changed:
		}
		if err := s.ReloadAPIs(ctx); err != nil && ctx.Err() == nil {
			s.reloadLog.Log(ctx, slog.LevelWarn, "reload apis",
				"cannot read the stored APIs; tokens are issued for the last ones read", "err", err)
		}
	}
}

// APIsChanged tells RunAPIs to reload the APIs at once. It never blocks,
// so a change notice subscription (redisstate.Client.SubscribeChanges)
// can call it; notices that come while a reload waits make one reload.
func (s *Server) APIsChanged() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// apiScopes describes each of scopes for the consent page: the first API
// that defines it and its description there; zero for a scope no API
// defines.
func (cat *catalog) apiScopes(scopes []string) []signin.APIScope {
	out := make([]signin.APIScope, len(scopes))
	for i, sc := range scopes {
		if defs := cat.scopeAPIs[sc]; len(defs) > 0 {
			out[i] = signin.APIScope{API: cmp.Or(defs[0].Name, defs[0].Identifier), Description: defs[0].Descriptions[sc]}
		}
	}
	return out
}
