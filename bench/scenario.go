package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// scenario is one kind of request and the targets measured doing it.
type scenario struct {
	name    string
	targets []string
	// run measures target once, on a server started fresh for it.
	run func(ctx context.Context, e *env, target string) (*measurement, error)
}

// The targets' names, as the table and the ratios spell them.
const (
	tPortcullis = "portcullis"
	tOPOpaque   = "oidc-provider opaque"
	tOPJWT      = "oidc-provider jwt"
	tOPRS256    = "oidc-provider jwt-rs256"
	tFloorES256 = "floor-es256"
	tFloorJSON  = "floor-json"
	tGateway    = "portcullis gateway"
	tFloorProxy = "floor-proxy"
)

// loadScenarios are the scenarios measured under load, in round order.
var loadScenarios = []scenario{
	{name: "token", targets: []string{tPortcullis, tOPOpaque, tOPJWT, tOPRS256, tFloorES256, tFloorJSON}, run: runToken},
	{name: "introspect", targets: []string{tPortcullis, tOPOpaque, tFloorJSON}, run: runIntrospect},
	{name: "jwks", targets: []string{tPortcullis, tOPOpaque}, run: runJWKS},
	{name: "gateway", targets: []string{tGateway, tFloorProxy}, run: runGateway},
}

// startTarget starts the server named target, fresh.
func startTarget(ctx context.Context, e *env, target string) (*server, error) {
	switch {
	case target == tPortcullis:
		return newPortcullis(ctx, e, portcullisConfig{})
	case strings.HasPrefix(target, "oidc-provider "):
		return startOIDCProvider(ctx, e, strings.TrimPrefix(target, "oidc-provider "))
	case target == tFloorES256 || target == tFloorJSON:
		return startFloor(ctx, e, target, serverCPU)
	}
	return nil, fmt.Errorf("unknown target %q", target)
}

func runToken(ctx context.Context, e *env, target string) (*measurement, error) {
	s, err := startTarget(ctx, e, target)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	req := tokenRequest(s)
	if target == tFloorJSON {
		req.Expect = `"active":true` // its fixed body
	}
	return measure(ctx, e, s, req)
}

func runIntrospect(ctx context.Context, e *env, target string) (*measurement, error) {
	s, err := startTarget(ctx, e, target)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	token := "floor"
	if target != tFloorJSON {
		if token, err = getToken(ctx, s); err != nil {
			return nil, err
		}
	}
	return measure(ctx, e, s, introspectRequest(s, token))
}

// introspectRequest is scenario 2's request: the token's own client asks.
func introspectRequest(s *server, token string) request {
	return request{
		Method: http.MethodPost, URLs: []string{s.introspectURL}, Header: formHeader(),
		Body: []byte("token=" + token), Expect: `"active":true`,
	}
}

func runJWKS(ctx context.Context, e *env, target string) (*measurement, error) {
	s, err := startTarget(ctx, e, target)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	return measure(ctx, e, s, request{Method: http.MethodGet, URLs: []string{s.jwksURL}, Expect: `"keys"`})
}

// runGateway measures Portcullis's gateway, or a bare reverse proxy, in
// front of the upstream, which runs on the load generator's core.
func runGateway(ctx context.Context, e *env, target string) (*measurement, error) {
	up, err := startFloor(ctx, e, "upstream", loadCPU)
	if err != nil {
		return nil, err
	}
	defer up.stop()
	upstream := strings.TrimSuffix(up.tokenURL, "/token")
	var s *server
	bearer := "Bearer not-checked-by-the-bare-proxy"
	var base string
	switch target {
	case tGateway:
		if s, err = newPortcullis(ctx, e, portcullisConfig{upstream: upstream}); err != nil {
			return nil, err
		}
		defer s.stop()
		token, err := getToken(ctx, s)
		if err != nil {
			return nil, err
		}
		bearer, base = "Bearer "+token, s.gatewayURL
	case tFloorProxy:
		if s, err = startFloor(ctx, e, "floor-proxy", serverCPU, "-upstream", upstream); err != nil {
			return nil, err
		}
		defer s.stop()
		base = strings.TrimSuffix(s.tokenURL, "/token")
	default:
		return nil, fmt.Errorf("unknown target %q", target)
	}
	return measure(ctx, e, s, request{
		Method: http.MethodGet, URLs: []string{base + "/items"},
		Header: http.Header{"Authorization": {bearer}}, Expect: `"items"`,
	})
}
