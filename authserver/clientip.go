package authserver

import (
	"net/http"

	"github.com/portcullis/portcullis/internal/clientaddr"
)

// clientIP is the client's address (clientaddr.Of with the configured
// trusted proxies), as throttles and the audit trail name it; RemoteAddr
// as it is when it cannot be read.
func (s *Server) clientIP(r *http.Request) string {
	if ip := clientaddr.String(r, s.cfg.TrustedProxies); ip != "" {
		return ip
	}
	return r.RemoteAddr
}
