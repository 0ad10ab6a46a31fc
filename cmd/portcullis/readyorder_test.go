package main

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// TestReadyOnlyWhenListening starts serve with an operations listener, a
// gateway and the authorization server, and polls /readyz as a load
// balancer would: the moment it first answers 200, every other listener
// already accepts connections. The operations listener starts first, so
// without the wait, /readyz drew requests to addresses not yet listening.
func TestReadyOnlyWhenListening(t *testing.T) {
	for i := range 3 {
		t.Run(fmt.Sprint("start ", i), func(t *testing.T) {
			port, ops, gw := freePort(t), freePort(t), freePort(t)
			issuer := fmt.Sprintf("http://127.0.0.1:%d", port)
			startServe(t, fmt.Sprintf(`issuer: %s
listen: 127.0.0.1:%d
ops_listen: 127.0.0.1:%d
storage: sqlite://%s/p.db
log_level: error
gateway:
  listen: 127.0.0.1:%d
  issuer: %s
  audience: https://api.example.com
  routes:
    - path: /
      upstream: http://127.0.0.1:1
apis:
  - identifier: https://api.example.com
    scopes: [read]
`, issuer, port, ops, t.TempDir(), gw, issuer))
			deadline := time.Now().Add(30 * time.Second)
			for {
				if code, _ := status(fmt.Sprintf("http://127.0.0.1:%d/readyz", ops)); code == 200 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("never ready")
				}
				time.Sleep(time.Millisecond)
			}
			for name, p := range map[string]int{"authorization server": port, "gateway": gw} {
				c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", p))
				if err != nil {
					t.Fatalf("/readyz said ready while the %s does not listen: %v", name, err)
				}
				c.Close()
			}
		})
	}
}
