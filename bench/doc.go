// Command bench is Portcullis's benchmark harness (issue 16): it measures
// Portcullis beside node-oidc-provider and beside floors built here (a
// bare net/http handler, one that signs an ES256 JWT per request, a bare
// reverse proxy), each server pinned to its own core and the load
// generator to another, and prints requests per second, server CPU per
// request (from /proc), p50/p99 latency and RSS, then the ratios
// from the medians of alternating rounds.
//
// Usage, from the repository's root:
//
//	go run ./bench [-rounds 3] [-duration 10s] [-warmup 2s] [-conns 32]
//	               [-only token,introspect,jwks,gateway,start,rss]
//	               [-store sqlite|postgres] [-out results.json] [-quick]
//
// The same binary is also the floors and the gateway's upstream: run as
// "bench floor-json|floor-es256|floor-proxy|upstream -addr HOST:PORT".
// docs/benchmarks.md says what each figure means and how to read them.
package main
