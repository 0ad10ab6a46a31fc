package authserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/portcullis/portcullis/store"
)

// Auditor records security events. audit.Recorder logs them and stores
// them; without one the server only logs them.
type Auditor interface {
	Record(ctx context.Context, level slog.Level, e store.AuditEvent)
}

// logAuditor is the Auditor of a server that has no audit trail.
type logAuditor struct{ log *slog.Logger }

func (a logAuditor) Record(ctx context.Context, level slog.Level, e store.AuditEvent) {
	if !a.log.Enabled(ctx, level) {
		return
	}
	attrs := []any{"event", e.Type, "sub", e.Subject, "client_id", e.ClientID, "remote", e.Remote}
	for k, v := range e.Detail {
		attrs = append(attrs, k, v)
	}
	a.log.Log(ctx, level, e.Type, attrs...)
}

// event records a security event of a request. kv are key-value pairs:
// "sub" and "client_id" become the event's subject and client, the rest its
// detail. Never pass a secret or a token.
func (s *Server) event(r *http.Request, level slog.Level, typ string, kv ...any) {
	e := store.AuditEvent{Type: typ, Remote: s.clientIP(r), Time: s.cfg.Now()}
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		v, ok := kv[i+1].(string)
		if !ok {
			v = fmt.Sprint(kv[i+1])
		}
		switch k {
		case "sub":
			e.Subject = v
		case "client_id":
			e.ClientID = v
		case "remote":
		default:
			if e.Detail == nil {
				e.Detail = map[string]any{}
			}
			e.Detail[k] = v
		}
	}
	s.cfg.Auditor.Record(r.Context(), level, e)
}
