// Package ldaptest runs an LDAP directory (RFC 4511) in the test process,
// on gldap, for the tests of the ldap connector and of the sign-in pages
// that use it. Like a real directory it lets only its service account
// (and anonymous binds, when told) search: a person's bind only proves a
// password.
package ldaptest

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"
	"github.com/hashicorp/go-hclog"
	"github.com/jimlambrt/gldap"
)

// The tree that Tree builds.
const (
	BaseDN   = "dc=example,dc=org"
	PeopleDN = "ou=people," + BaseDN
	GroupsDN = "ou=groups," + BaseDN
	// ServiceDN and ServicePassword are the account that may search.
	ServiceDN       = "cn=portcullis,ou=services," + BaseDN
	ServicePassword = "service-secret"
)

// Entry is one entry of a directory.
type Entry struct {
	DN    string
	Attrs map[string][]string
	// Password, when not empty, lets a simple bind as this entry succeed.
	Password string
	// Refuse, when not zero, is the result code of every bind as this
	// entry (a locked account), e.g. gldap.ResultUnwillingToPerform.
	Refuse int
}

// User is a person of Tree: uid=UID under PeopleDN.
type User struct {
	UID, Password, Mail, Name string
}

// Group is a group of Tree: cn=Name under GroupsDN, with its members by
// DN (the member attribute).
type Group struct {
	Name    string
	Members []string // uids
}

// DN is the entry of the person uid in Tree's tree.
func DN(uid string) string { return "uid=" + uid + "," + PeopleDN }

// Tree is a directory's content: the base, people and groups branches,
// the service account, users and groups.
func Tree(users []User, groups []Group) []Entry {
	out := []Entry{
		{DN: BaseDN, Attrs: map[string][]string{"dc": {"example"}}},
		{DN: PeopleDN, Attrs: map[string][]string{"ou": {"people"}}},
		{DN: GroupsDN, Attrs: map[string][]string{"ou": {"groups"}}},
		{DN: ServiceDN, Password: ServicePassword, Attrs: map[string][]string{"cn": {"portcullis"}}},
	}
	for _, u := range users {
		attrs := map[string][]string{"uid": {u.UID}}
		if u.Mail != "" {
			attrs["mail"] = []string{u.Mail}
		}
		if u.Name != "" {
			attrs["cn"] = []string{u.Name}
		}
		out = append(out, Entry{DN: DN(u.UID), Password: u.Password, Attrs: attrs})
	}
	for _, g := range groups {
		var members []string
		for _, m := range g.Members {
			members = append(members, DN(m))
		}
		out = append(out, Entry{DN: "cn=" + g.Name + "," + GroupsDN, Attrs: map[string][]string{"cn": {g.Name}, "member": members}})
	}
	return out
}

// Directory is an LDAP directory in the test process. Set its fields
// before Start.
type Directory struct {
	Entries []Entry
	// Searcher is the DN allowed to search; empty means ServiceDN.
	Searcher string
	// Anonymous lets anonymous binds search.
	Anonymous bool
	// TLS is the server's certificate for StartTLS (and LDAPS when LDAPS).
	TLS   *tls.Config
	LDAPS bool
	// RequireTLS refuses binds on a connection that is not TLS
	// (confidentialityRequired), as OpenLDAP's olcSecurity tls=1 does.
	RequireTLS bool

	mu     sync.Mutex
	bound  map[int]string // connection ID: DN of its bind ("" anonymous)
	secure map[int]bool   // connection ID: after StartTLS
	ops    []string       // what was asked, in order
	// dials counts the connections made through d.DialContext, closed
	// those the server has closed.
	dials, closed int
}

// Start runs d on a free loopback port until the test ends and returns
// its URL (ldap:// or ldaps://).
func (d *Directory) Start(t testing.TB) string {
	t.Helper()
	if d.Searcher == "" {
		d.Searcher = ServiceDN
	}
	d.bound, d.secure = map[int]string{}, map[int]bool{}
	s, err := gldap.NewServer(gldap.WithLogger(hclog.NewNullLogger()), gldap.WithOnClose(d.onClose))
	if err != nil {
		t.Fatal(err)
	}
	mux, err := gldap.NewMux()
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		mux.Bind(d.bind),
		mux.Search(d.search),
		mux.ExtendedOperation(d.startTLS, gldap.ExtendedOperationStartTLS),
		s.Router(mux),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	addr := FreeAddr(t)
	var opts []gldap.Option
	if d.LDAPS {
		opts = append(opts, gldap.WithTLSConfig(d.TLS))
	}
	go func() { _ = s.Run(addr, opts...) }()
	t.Cleanup(func() {
		d.waitClosed(t)
		_ = s.Stop()
	})
	// Ready is true once Run has listened; no probe connection, which
	// would be one more for waitClosed to wait for.
	for !s.Ready() {
		time.Sleep(time.Millisecond)
	}
	scheme := "ldap"
	if d.LDAPS {
		scheme = "ldaps"
	}
	return scheme + "://" + addr
}

// Start runs a directory of users and groups (Tree) until the test ends
// and returns its URL and the service account that may search it.
func Start(t testing.TB, users []User, groups []Group) (url, bindDN, bindPassword string) {
	t.Helper()
	d := &Directory{Entries: Tree(users, groups)}
	return d.Start(t), ServiceDN, ServicePassword
}

func (d *Directory) bind(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewBindResponse(gldap.WithResponseCode(gldap.ResultInvalidCredentials))
	defer func() { _ = w.Write(resp) }()
	m, err := r.GetSimpleBindMessage()
	if err != nil {
		resp.SetResultCode(gldap.ResultProtocolError)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ops = append(d.ops, "bind "+m.UserName)
	if d.RequireTLS && !d.LDAPS && !d.secure[r.ConnectionID()] {
		resp.SetResultCode(gldap.ResultConfidentialityRequired)
		return
	}
	delete(d.bound, r.ConnectionID())
	// An empty password is an anonymous or unauthenticated bind (RFC 4513
	// section 5.1), which succeeds here as it does on many servers: a
	// connector must never send one for a person.
	if m.Password == "" {
		d.bound[r.ConnectionID()] = ""
		resp.SetResultCode(gldap.ResultSuccess)
		return
	}
	for _, e := range d.Entries {
		if strings.EqualFold(e.DN, m.UserName) && e.Password != "" && e.Password == string(m.Password) {
			if e.Refuse != 0 {
				resp.SetResultCode(e.Refuse)
				return
			}
			d.bound[r.ConnectionID()] = e.DN
			resp.SetResultCode(gldap.ResultSuccess)
			return
		}
	}
}

func (d *Directory) search(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewSearchDoneResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	defer func() { _ = w.Write(resp) }()
	m, err := r.GetSearchMessage()
	if err != nil {
		resp.SetResultCode(gldap.ResultProtocolError)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	as, ok := d.bound[r.ConnectionID()]
	d.ops = append(d.ops, fmt.Sprintf("search %s %s as %s", m.BaseDN, m.Filter, as))
	if !ok || (as == "" && !d.Anonymous) || (as != "" && !strings.EqualFold(as, d.Searcher)) {
		resp.SetResultCode(gldap.ResultInsufficientAccessRights)
		return
	}
	if !d.exists(m.BaseDN) {
		resp.SetResultCode(gldap.ResultNoSuchObject)
		return
	}
	filter, err := goldap.CompileFilter(m.Filter)
	if err != nil {
		resp.SetResultCode(gldap.ResultProtocolError)
		return
	}
	var found []Entry
	for _, e := range d.Entries {
		if !inScope(e.DN, m.BaseDN, m.Scope) {
			continue
		}
		ok, err := match(filter, e)
		if err != nil {
			resp.SetResultCode(gldap.ResultUnwillingToPerform)
			resp.SetDiagnosticMessage(err.Error())
			return
		}
		if ok {
			found = append(found, e)
		}
	}
	if m.SizeLimit > 0 && int64(len(found)) > m.SizeLimit {
		found = found[:m.SizeLimit]
		resp.SetResultCode(gldap.ResultSizeLimitExceeded)
	}
	for _, e := range found {
		_ = w.Write(r.NewSearchResponseEntry(e.DN, gldap.WithAttributes(selected(e.Attrs, m.Attributes))))
	}
}

func (d *Directory) startTLS(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewExtendedResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	resp.SetResponseName(gldap.ExtendedOperationStartTLS)
	if d.TLS == nil || d.LDAPS {
		resp.SetResultCode(gldap.ResultUnavailable)
		_ = w.Write(resp)
		return
	}
	if err := w.Write(resp); err != nil {
		return
	}
	if err := r.StartTLS(d.TLS); err != nil {
		return // the client gave up the handshake: the connection ends
	}
	d.mu.Lock()
	d.secure[r.ConnectionID()] = true
	d.ops = append(d.ops, "starttls")
	d.mu.Unlock()
}

// DialContext makes d a dialer (ldap.Dialer) that counts the connections
// to it: when the test ends, Start's cleanup fails the test if the server
// has not closed each of them (a connector must close each login's).
func (d *Directory) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := new(net.Dialer).DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.dials++
		d.mu.Unlock()
	}
	return c, err
}

func (d *Directory) onClose(int) {
	d.mu.Lock()
	d.closed++
	d.mu.Unlock()
}

// waitClosed waits until the server has closed every connection dialled
// through d. It also orders the server's accepting of them before its
// Stop, which gldap itself does not (its Stop waits on a WaitGroup that
// its accept loop adds to).
func (d *Directory) waitClosed(t testing.TB) {
	t.Helper()
	for range 1000 {
		d.mu.Lock()
		open := d.dials - d.closed
		d.mu.Unlock()
		if open <= 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("connections left open at the directory")
}

// Log returns what the directory was asked so far, in order: "bind DN",
// "search BASE FILTER as DN", "starttls".
func (d *Directory) Log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ops...)
}

func (d *Directory) exists(dn string) bool {
	for _, e := range d.Entries {
		if strings.EqualFold(e.DN, dn) {
			return true
		}
	}
	return false
}

// inScope reports whether dn is within base at scope. The tree's DNs have
// no escaped commas, so a DN's parent is what follows its first comma.
func inScope(dn, base string, scope gldap.Scope) bool {
	dn, base = strings.ToLower(dn), strings.ToLower(base)
	switch scope {
	case gldap.BaseObject:
		return dn == base
	case gldap.SingleLevel:
		_, parent, _ := strings.Cut(dn, ",")
		return parent == base
	default:
		return dn == base || strings.HasSuffix(dn, ","+base)
	}
}

// match evaluates the filter f (RFC 4511 section 4.5.1.7) on e, for the
// kinds of filter the connector sends; others are an error, so that a
// filter the connector should not have sent cannot pass unnoticed.
// Values compare without regard to case, as caseIgnoreMatch does.
func match(f *ber.Packet, e Entry) (bool, error) {
	switch f.Tag {
	case goldap.FilterAnd, goldap.FilterOr:
		and := f.Tag == goldap.FilterAnd
		for _, c := range f.Children {
			ok, err := match(c, e)
			if err != nil || ok != and {
				return ok, err
			}
		}
		return and, nil
	case goldap.FilterNot:
		ok, err := match(f.Children[0], e)
		return !ok, err
	case goldap.FilterPresent:
		return len(values(e.Attrs, f.Data.String())) > 0, nil
	case goldap.FilterEqualityMatch:
		want := f.Children[1].Data.String()
		for _, v := range values(e.Attrs, f.Children[0].Data.String()) {
			if strings.EqualFold(v, want) {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("test directory: no %s filters", goldap.FilterMap[uint64(f.Tag)])
}

// values returns the values of the attribute named name, whatever its case.
func values(attrs map[string][]string, name string) []string {
	for k, v := range attrs {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// selected returns the attributes asked for (all when none is).
func selected(attrs map[string][]string, names []string) map[string][]string {
	if len(names) == 0 {
		return attrs
	}
	out := map[string][]string{}
	for _, n := range names {
		for k, v := range attrs {
			if strings.EqualFold(k, n) {
				out[k] = v
			}
		}
	}
	return out
}

// FreeAddr returns a loopback address no one listens on: for a server
// that takes an address rather than a listener, or a directory that is
// down.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
