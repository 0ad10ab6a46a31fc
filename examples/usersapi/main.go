// Command usersapi is a small users API protected by package guard, the
// example of issue 4: GET /users needs the list:users scope,
// GET /users/{id} needs read:users, and DELETE /users/{id} needs
// write:users and a recent second factor (RFC 9470 step-up).
//
//	usersapi -issuer http://127.0.0.1:8080 -audience https://api.example.com -listen 127.0.0.1:9000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/portcullis/portcullis/examples/usersapi/api"
	"github.com/portcullis/portcullis/guard"
)

func main() {
	issuer := flag.String("issuer", "http://127.0.0.1:8080", "issuer URL of the Portcullis server")
	audience := flag.String("audience", "https://api.example.com", "this API's identifier, the audience its tokens must name")
	listen := flag.String("listen", "127.0.0.1:9000", "address to listen on")
	publicURL := flag.String("public-url", "", "the URL clients reach this API by (a gateway's public_url when behind one); set, DPoP-bound tokens are accepted with proofs for it")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *issuer, *audience, *listen, *publicURL); err != nil {
		fmt.Fprintln(os.Stderr, "usersapi:", err)
		os.Exit(1)
	}
}

// run serves the API until ctx ends.
func run(ctx context.Context, issuer, audience, listen, publicURL string) error {
	opts := guard.Options{Issuer: issuer, Audience: audience}
	if publicURL != "" {
		opts.DPoP = guard.DPoP{Mode: guard.DPoPAllowed, PublicURL: publicURL}
	}
	g, err := guard.New(ctx, opts)
	if err != nil {
		return err
	}
	defer g.Close()
	srv := &http.Server{Addr: listen, Handler: api.Handler(g, api.SampleUsers), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe() }()
	slog.Info("usersapi: listening", "addr", listen, "issuer", issuer, "audience", audience)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
