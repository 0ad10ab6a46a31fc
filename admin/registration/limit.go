package registration

import (
	"net/http"

	"github.com/portcullis/portcullis/internal/clientaddr"
	"github.com/portcullis/portcullis/usage"
)

// limit applies Limit to a registration route, per client address,
// before h reads any token. Registering (every request)
// counts every request: each makes the server check an initial access
// token, whether a configured one-time token or an access token, and,
// when it passes, store a client; so an address also gets only so many
// guesses at a one-time token. At a configuration endpoint only the
// refused requests (401 and 403, a wrong registration access token)
// count, so a registered client reading and updating its registration is
// never held back while an address guessing tokens is. Both count against
// one allowance. The callers have proved nothing, so during an outage of
// the shared limiter this instance's memory decides (usage.FallBack).
func (s *Server) limit(every bool, h http.HandlerFunc) http.HandlerFunc {
	rule := usage.LimitRule{Name: usage.LimitRegister, Limit: s.cfg.Limit, Outage: usage.FallBack}
	if !rule.Limit.Enabled() {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		key := clientaddr.Key(clientaddr.Of(r, s.cfg.TrustedProxies))
		who := usage.Event{Address: clientaddr.String(r, s.cfg.TrustedProxies)}
		var d usage.Decision
		if every {
			d = s.limits.Allow(r.Context(), rule, key, who)
		} else {
			d = s.limits.Check(r.Context(), rule, key, who)
		}
		if !d.Allowed {
			// RFC 6585 section 4, with the error the token endpoint
			// answers over its limits, which OAuth clients know.
			d.SetHeaders(w.Header())
			writeOAuthError(w, http.StatusTooManyRequests, "temporarily_unavailable",
				"too many registration requests from this address; retry after Retry-After seconds")
			return
		}
		if every {
			h(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(sw, r)
		if sw.status == http.StatusUnauthorized || sw.status == http.StatusForbidden {
			s.limits.Fail(r.Context(), rule, key)
		}
	}
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}
