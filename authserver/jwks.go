package authserver

import "net/http"

// jwksMaxAge is how long clients may cache the key set. Key rotation
// publishes a new key longer than this before it signs.
const jwksMaxAge = "300"

// handleJWKS serves the public signing keys (RFC 7517 section 5).
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age="+jwksMaxAge)
	w.Write(s.keys.JWKS())
}
