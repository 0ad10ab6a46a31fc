package ldap

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

// The test directory's tree.
const (
	baseDN     = "dc=example,dc=org"
	peopleDN   = "ou=people," + baseDN
	groupsDN   = "ou=groups," + baseDN
	serviceDN  = "cn=portcullis,ou=services," + baseDN
	servicePW  = "service-secret"
	aliceDN    = "uid=alice," + peopleDN
	alicePW    = "alice-password"
	aliceUUID  = "5b1c8e7e-1f0a-4d0e-9a57-2c1f6f1e2a10"
	bobDN      = "uid=bob," + peopleDN
	bobPW      = "bob-password"
	lockedDN   = "uid=locked," + peopleDN
	lockedPW   = "locked-password"
	aliceGUIDx = "00ff10203040506070808090a0b0c0d0" // alice's objectGUID, hex
)

// entry is one entry of the test directory.
type entry struct {
	dn       string
	attrs    map[string][]string
	password string // empty: no bind as this entry
	// refuse, when not zero, is the result of every bind as this entry
	// (a locked account).
	refuse int
}

// tree is the test directory's content: people (one of whom, twin,
// appears twice), groups by member DN and by memberUid, and the service
// account.
func tree() []entry {
	guid := string([]byte{0x00, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0})
	return []entry{
		{dn: baseDN, attrs: map[string][]string{"dc": {"example"}}},
		{dn: peopleDN, attrs: map[string][]string{"ou": {"people"}}},
		{dn: groupsDN, attrs: map[string][]string{"ou": {"groups"}}},
		{dn: serviceDN, password: servicePW, attrs: map[string][]string{"cn": {"portcullis"}}},
		{dn: aliceDN, password: alicePW, attrs: map[string][]string{
			"uid": {"alice"}, "mail": {"alice@example.org"}, "cn": {"Alice Liddell"},
			"entryUUID": {aliceUUID}, "objectGUID": {guid},
		}},
		{dn: bobDN, password: bobPW, attrs: map[string][]string{"uid": {"bob"}, "cn": {"Bob"}}},
		{dn: lockedDN, password: lockedPW, refuse: gldap.ResultUnwillingToPerform, attrs: map[string][]string{"uid": {"locked"}}},
		{dn: "uid=twin," + peopleDN, password: "twin", attrs: map[string][]string{"uid": {"twin"}}},
		{dn: "uid=twin,ou=contractors," + peopleDN, password: "twin", attrs: map[string][]string{"uid": {"twin"}}},
		{dn: "cn=admins," + groupsDN, attrs: map[string][]string{"cn": {"admins"}, "member": {aliceDN}}},
		{dn: "cn=developers," + groupsDN, attrs: map[string][]string{"cn": {"developers"}, "member": {bobDN, aliceDN}}},
		{dn: "cn=nobody," + groupsDN, attrs: map[string][]string{"cn": {"nobody"}}},
		{dn: "cn=ops," + groupsDN, attrs: map[string][]string{"cn": {"ops"}, "memberUid": {"alice"}}},
	}
}

// directory is an LDAP directory in the test process (gldap) over tree().
// Like a real one, it lets the service account (and anonymous binds, when
// told) search, not the people: a person's bind only proves a password.
type directory struct {
	entries []entry
	// anonymous lets anonymous binds search.
	anonymous bool
	// tls is the server's certificate for StartTLS (and LDAPS when ldaps).
	tls   *tls.Config
	ldaps bool
	// requireTLS refuses binds on a connection that is not TLS
	// (confidentialityRequired), as olcSecurity tls=1 does.
	requireTLS bool

	mu     sync.Mutex
	bound  map[int]string // connection ID: DN of its bind ("" anonymous)
	secure map[int]bool   // connection ID: after StartTLS
	ops    []string       // what was asked, in order: "bind DN", "search base filter as DN"
	// dials counts the connections made through d.DialContext, closed
	// those the server has closed.
	dials, closed int
}

// start runs d on a free loopback port until the test ends and returns
// its URL.
func (d *directory) start(t *testing.T) string {
	t.Helper()
	if d.entries == nil {
		d.entries = tree()
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
	must(t, mux.Bind(d.bind))
	must(t, mux.Search(d.search))
	must(t, mux.ExtendedOperation(d.startTLS, gldap.ExtendedOperationStartTLS))
	must(t, s.Router(mux))

	addr := freeAddr(t)
	var opts []gldap.Option
	if d.ldaps {
		opts = append(opts, gldap.WithTLSConfig(d.tls))
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
	if d.ldaps {
		scheme = "ldaps"
	}
	return scheme + "://" + addr
}

func (d *directory) bind(w *gldap.ResponseWriter, r *gldap.Request) {
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
	if d.requireTLS && !d.ldaps && !d.secure[r.ConnectionID()] {
		resp.SetResultCode(gldap.ResultConfidentialityRequired)
		return
	}
	delete(d.bound, r.ConnectionID())
	// An empty password is an anonymous or unauthenticated bind (RFC 4513
	// section 5.1), which succeeds here as it does on many servers: the
	// connector must never send one for a person.
	if m.Password == "" {
		d.bound[r.ConnectionID()] = ""
		resp.SetResultCode(gldap.ResultSuccess)
		return
	}
	for _, e := range d.entries {
		if strings.EqualFold(e.dn, m.UserName) && e.password != "" && e.password == string(m.Password) {
			if e.refuse != 0 {
				resp.SetResultCode(e.refuse)
				return
			}
			d.bound[r.ConnectionID()] = e.dn
			resp.SetResultCode(gldap.ResultSuccess)
			return
		}
	}
}

func (d *directory) search(w *gldap.ResponseWriter, r *gldap.Request) {
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
	if !ok || (as == "" && !d.anonymous) || (as != "" && as != serviceDN) {
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
	var found []entry
	for _, e := range d.entries {
		if !inScope(e.dn, m.BaseDN, m.Scope) {
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
		_ = w.Write(r.NewSearchResponseEntry(e.dn, gldap.WithAttributes(selected(e.attrs, m.Attributes))))
	}
}

func (d *directory) startTLS(w *gldap.ResponseWriter, r *gldap.Request) {
	resp := r.NewExtendedResponse(gldap.WithResponseCode(gldap.ResultSuccess))
	resp.SetResponseName(gldap.ExtendedOperationStartTLS)
	if d.tls == nil || d.ldaps {
		resp.SetResultCode(gldap.ResultUnavailable)
		_ = w.Write(resp)
		return
	}
	if err := w.Write(resp); err != nil {
		return
	}
	if err := r.StartTLS(d.tls); err != nil {
		return // the client gave up the handshake: the connection ends
	}
	d.mu.Lock()
	d.secure[r.ConnectionID()] = true
	d.ops = append(d.ops, "starttls")
	d.mu.Unlock()
}

// DialContext makes d a Dialer that counts the connections to it.
func (d *directory) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := new(net.Dialer).DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.dials++
		d.mu.Unlock()
	}
	return c, err
}

func (d *directory) onClose(int) {
	d.mu.Lock()
	d.closed++
	d.mu.Unlock()
}

// waitClosed waits until the server has closed every connection dialled
// through d: the connector must close each login's connection. It also
// orders the server's accepting of them before its Stop, which gldap
// itself does not (its Stop waits on a WaitGroup that its accept loop
// adds to).
func (d *directory) waitClosed(t *testing.T) {
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

// log returns what the directory was asked so far.
func (d *directory) log() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ops...)
}

func (d *directory) exists(dn string) bool {
	for _, e := range d.entries {
		if strings.EqualFold(e.dn, dn) {
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
func match(f *ber.Packet, e entry) (bool, error) {
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
		return len(values(e.attrs, f.Data.String())) > 0, nil
	case goldap.FilterEqualityMatch:
		want := f.Children[1].Data.String()
		for _, v := range values(e.attrs, f.Children[0].Data.String()) {
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

// freeAddr returns a loopback address no one listens on, for a server
// that takes an address rather than a listener.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
