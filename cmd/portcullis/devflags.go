package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/config"
)

// devOptions are the flags of portcullis dev. The zero value is the demo
// on its default loopback ports, writing no file.
type devOptions struct {
	portBase    int
	host        string
	writeConfig string
}

// devFlags adds dev's flags to cmd.
func devFlags(cmd *cobra.Command, o *devOptions) {
	cmd.Flags().IntVar(&o.portBase, "port-base", 0, "first of seven consecutive ports for: listen, oauth_agent.listen, gateway.listen, the example API, the example app, ops_listen,\nthe upstream identity provider (default: 8080, 8081, 8082, 9000, 3000, 9090, 8083)")
	cmd.Flags().StringVar(&o.host, "host", "", "address to listen on: a loopback address, or 0.0.0.0 or :: for every interface (a container's published ports), when URLs name 127.0.0.1 (default 127.0.0.1)")
	cmd.Flags().StringVar(&o.writeConfig, "write-config", "", "write the demo's configuration, with its secrets, to `FILE` (mode 0600): every CLI command works with it against the running demo")
}

// devListener is one listener of the demo stack.
type devListener struct {
	key  string // its configuration key, or what it is when it has none
	addr string // its default address, as dev.go and the banner write it
}

// devListeners are the demo's listeners in the order --port-base numbers
// them.
var devListeners = []devListener{
	{"listen", strings.TrimPrefix(devIssuer, "http://")},
	{"oauth_agent.listen", devAgent},
	{"gateway.listen", devGate},
	{"the example users API", devAPI},
	{"the example app", devApp},
	{"ops_listen", devOps},
	{"the upstream identity provider", devUpstream},
}

// devStack is where the demo listens and what its URLs name. The demo's
// configuration, banner and code write the default addresses once; the
// stack moves them all with one replacement, so that they cannot disagree.
type devStack struct {
	urls  *strings.Replacer // default address -> the address URLs name
	binds map[string]string // default address -> the address to listen on
	write string            // the --write-config file, if any
}

// stack checks the flags and computes the demo's addresses.
func (o devOptions) stack() (devStack, error) {
	host, urlHost := "127.0.0.1", "127.0.0.1"
	if o.host != "" {
		ip := net.ParseIP(o.host)
		switch {
		case o.host == "localhost" || ip != nil && ip.IsLoopback():
			host, urlHost = o.host, o.host
		case ip != nil && ip.IsUnspecified():
			host = o.host
		default:
			// An issuer off loopback must be https (RFC 9700), which dev
			// does not serve.
			return devStack{}, fmt.Errorf("--host %s: want a loopback address, or 0.0.0.0 or :: for every interface: the demo serves plain http, which only a loopback issuer may", o.host)
		}
	}
	if o.portBase != 0 && (o.portBase < 1 || o.portBase > 65535-len(devListeners)+1) {
		return devStack{}, fmt.Errorf("--port-base %d: want 1 to %d, the first of %d ports", o.portBase, 65535-len(devListeners)+1, len(devListeners))
	}
	s := devStack{binds: map[string]string{}, write: o.writeConfig}
	var pairs []string
	for i, l := range devListeners {
		h, port, _ := net.SplitHostPort(l.addr)
		if o.portBase != 0 {
			port = strconv.Itoa(o.portBase + i)
		}
		s.binds[l.addr] = net.JoinHostPort(host, port)
		// A listener named by localhost (devUpstream) keeps that name: it
		// is its host of its own for the browser's cookies.
		if h != "localhost" {
			h = urlHost
		}
		pairs = append(pairs, l.addr, net.JoinHostPort(h, port))
	}
	s.urls = strings.NewReplacer(pairs...)
	return s, nil
}

// url is s with the demo's default addresses replaced by the stack's.
func (d devStack) url(s string) string { return d.urls.Replace(s) }

// bind is the address to listen on for the default address addr.
func (d devStack) bind(addr string) string { return d.binds[addr] }

// free reports a taken port before anything is printed or started,
// naming the listener's configuration key.
func (d devStack) free() error {
	for _, l := range devListeners {
		ln, err := net.Listen("tcp", d.bind(l.addr))
		if err != nil {
			return fmt.Errorf("%s: cannot listen on %s: %w (choose other ports with --port-base N)", l.key, d.bind(l.addr), err)
		}
		ln.Close()
	}
	return nil
}

// apply moves cfg's listeners to the stack's, and writes doc (the demo's
// configuration as parsed) with vars expanded and the store's absolute
// path when --write-config asks, so that the file works from anywhere.
func (d devStack) apply(cfg *config.Config, doc, dir string, vars map[string]string) error {
	cfg.Listen = d.bind(devListeners[0].addr)
	cfg.OAuthAgent.Listen = d.bind(devAgent)
	cfg.Gateway.Listen = d.bind(devGate)
	cfg.OpsListen = d.bind(devOps)
	if d.write == "" {
		return nil
	}
	pairs := []string{"sqlite://portcullis.db", "sqlite://" + filepath.Join(dir, "portcullis.db")}
	for k, v := range vars {
		// Quoted, so that no secret reads as a number.
		pairs = append(pairs, "${"+k+"}", strconv.Quote(v))
	}
	// The file holds the demo's secrets, the key-encryption key among
	// them: written to a new file readable by this user alone, then
	// renamed over the path, so that neither a handle someone opened on
	// an older, more readable file nor a symlink at the path ever sees
	// them.
	tmp, err := os.CreateTemp(filepath.Dir(d.write), ".portcullis-config-*") // mode 0600
	if err != nil {
		return fmt.Errorf("--write-config: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = io.WriteString(tmp, strings.NewReplacer(pairs...).Replace(doc))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), d.write)
	}
	if err != nil {
		return fmt.Errorf("--write-config: %w", err)
	}
	return nil
}

// urlWriter writes through to w with the demo's default addresses
// replaced; each Fprintf is one Write, so an address is never split.
type urlWriter struct {
	w io.Writer
	d devStack
}

func (u urlWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(u.w, u.d.url(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
