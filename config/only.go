package config

import (
	"errors"
	"strings"

	"github.com/portcullis/portcullis/agent"
	"github.com/portcullis/portcullis/gateway"
	"github.com/portcullis/portcullis/usage"
)

// Option changes how Load and Parse read a file.
type Option func(*options)

type options struct {
	// only, when set, are the keys whose ${VAR}s must be set.
	only []string
}

// Only makes ${VAR}s required under the given keys alone (such as
// "storage" and "key_encryption_key"), for commands that read the store
// and nothing else: elsewhere an unset variable reads as empty, and the
// problems that emptiness causes under its key are not reported, so that a
// secret only the serving parts use need not be set to list users.
func Only(keys ...string) Option {
	return func(o *options) { o.only = keys }
}

// needs reports whether the ${VAR}s at path must be set.
func (o options) needs(path string) bool {
	return o.only == nil || under(path, o.only)
}

// under reports whether key is one of keys, or within one.
func under(key string, keys []string) bool {
	for _, k := range keys {
		if key == k || strings.HasPrefix(key, k+".") || strings.HasPrefix(key, k+"[") {
			return true
		}
	}
	return false
}

// holdsAny reports whether one of keys is within key: a problem reported
// for a whole section (connectors[0].oidc: "one of client_secret and
// private_key") may come from an unset variable inside it.
func holdsAny(key string, keys []string) bool {
	for _, k := range keys {
		if under(k, []string{key}) {
			return true
		}
	}
	return false
}

// dropUnder removes from err, an errors.Join of problems, those under one
// of keys or holding one; problems that name no key are kept.
func dropUnder(err error, keys []string) error {
	if len(keys) == 0 || err == nil {
		return err
	}
	var kept []error
	for _, e := range unjoin(err) {
		if _, joined := e.(interface{ Unwrap() []error }); joined {
			if e = dropUnder(e, keys); e != nil {
				kept = append(kept, e)
			}
			continue
		}
		if k, ok := problemKey(e); !ok || !(under(k, keys) || holdsAny(k, keys)) {
			kept = append(kept, e)
		}
	}
	return errors.Join(kept...)
}

// problemKey is the configuration key a problem names.
func problemKey(err error) (string, bool) {
	if fe := (*FieldError)(nil); errors.As(err, &fe) {
		return fe.Field, true
	}
	if ae := (*agent.ConfigError)(nil); errors.As(err, &ae) {
		return ae.Key, true
	}
	if ge := (*gateway.ConfigError)(nil); errors.As(err, &ge) {
		return ge.Key, true
	}
	if ue := (*usage.ConfigError)(nil); errors.As(err, &ue) {
		return ue.Key, true
	}
	return "", false
}
