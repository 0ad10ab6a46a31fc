package main

import (
	"errors"
	"log/slog"
	"net/http"
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
// management API) in process, as the management API's guard does.
func withConsole(cfg *config.Config, secret []byte, main http.Handler, log *slog.Logger) (http.Handler, error) {
	if !cfg.Console.Enabled {
		return main, nil
	}
	c, err := console.New(console.Config{Issuer: cfg.Issuer, Secret: secret, Theme: cfg.Theme(), Transport: inProcess{main}, Log: log})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(console.Path, c)
	mux.Handle("/", main)
	return mux, nil
}
