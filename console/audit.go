package console

import (
	"net/http"
	"time"

	"github.com/portcullis/portcullis/registry"
	"github.com/portcullis/portcullis/sdk"
)

// auditPage is the data of audit.html.
type auditPage struct {
	Events []registry.AuditEvent
	Next   string
}

// auditTime is the layout of the since and until filters: what a
// datetime-local input sends, read as UTC.
const auditTime = "2006-01-02T15:04"

func (c *Console) auditLog(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	f := sdk.AuditFilter{Subject: q.Get("sub"), ClientID: q.Get("client_id"), Type: q.Get("type"),
		ListOptions: sdk.ListOptions{Limit: pageSize, Cursor: q.Get("cursor")}}
	errs := map[string]string{}
	for _, b := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(b.name); v != "" {
			t, err := time.Parse(auditTime, v)
			if err != nil {
				errs[b.name] = "Give a date and time as YYYY-MM-DDTHH:MM (UTC)."
				continue
			}
			*b.to = t
		}
	}
	v := &view{Title: "Audit log", Nav: "audit", Form: q, Errors: errs}
	if len(errs) > 0 {
		c.render(w, r, s, http.StatusBadRequest, "audit.html", v)
		return
	}
	p, err := c.api(s).Audit.Page(r.Context(), f)
	if fe, ok := formErrors(err); ok {
		v.Errors = fe
		c.render(w, r, s, http.StatusBadRequest, "audit.html", v)
		return
	}
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	v.Data = auditPage{Events: p.Items, Next: p.NextCursor}
	c.render(w, r, s, http.StatusOK, "audit.html", v)
}
