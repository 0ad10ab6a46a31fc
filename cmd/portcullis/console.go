package main

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/console"
	"github.com/portcullis/portcullis/store"
)

// consoleClients are clients with the console's built-in client added
// when the console is enabled: it is an OAuth client of this server like
// any other, its secret derived from the server secret.
func consoleClients(cfg *config.Config, clients []store.Client, secret []byte) ([]store.Client, error) {
	if !cfg.Console.Enabled {
		return clients, nil
	}
	if slices.ContainsFunc(clients, func(c store.Client) bool { return c.ID == console.ClientID }) {
		return nil, errors.New("clients: " + console.ClientID + " is the console's built-in client; choose another client_id")
	}
	return append(clients, builtinClients(cfg, secret)...), nil
}

// builtinClients are the clients built into the server: the console's,
// when it is enabled. The management API lists them as built in and
// refuses changes to them.
func builtinClients(cfg *config.Config, secret []byte) []store.Client {
	if !cfg.Console.Enabled {
		return nil
	}
	return []store.Client{console.Client(cfg.Issuer, secret)}
}

// withConsole returns main with the console at /console/ when it is
// enabled. The console reaches main (the token endpoint and the
// management API) in process, as the management API's guard does. wrap is
// the authorization server's (authserver.Server.Wrap): the console's
// requests get a request ID, panic recovery, the access log and metrics
// as the server's own do. trusted are the proxies whose X-Forwarded-For
// tells the browser's address, which the console's calls carry to the
// management API for its audit events.
func withConsole(cfg *config.Config, secret []byte, main http.Handler, wrap func(http.Handler) http.Handler,
	trusted []netip.Prefix, log *slog.Logger) (http.Handler, error) {
	if !cfg.Console.Enabled {
		return main, nil
	}
	c, err := console.New(console.Config{Issuer: cfg.Issuer, Secret: secret, Theme: cfg.Theme(), Transport: inProcess{main}, Log: log})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(console.Path, withClientAddr(trusted, wrap(c)))
	mux.Handle("/", main)
	return mux, nil
}
