package console

import (
	"net/http"

	"github.com/portcullis/portcullis/registry"
)

func (c *Console) keyList(w http.ResponseWriter, r *http.Request, s *session) {
	ks, err := c.api(s).Keys.List(r.Context())
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "keys.html", &view{Title: "Signing keys", Nav: "keys", Can: s.can(registry.ScopeKeysWrite), Data: ks})
}

func (c *Console) keyRotate(w http.ResponseWriter, r *http.Request, s *session) {
	k, err := c.api(s).Keys.Rotate(r.Context(), registry.KeyRotation{Alg: r.PostForm.Get("alg")})
	if err != nil {
		c.apiFailed(w, r, err)
		return
	}
	c.done(w, r, c.base+"keys", flash{Message: "New " + k.Alg + " key " + k.KID + " created; it signs from " + k.ActivatesAt.UTC().Format("2006-01-02 15:04 UTC") + "."})
}
