package usage

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Rule names: a Detection's Rule, the rule label of the anomaly metric and
// the keys of anomalies.rules in the configuration file.
const (
	// RuleTokenTheft: one access token presented from more distinct
	// client addresses or user agents within a window than one holder
	// uses.
	RuleTokenTheft = "token_theft"
	// RuleClientRate: a client's issuance or API call rate far above its
	// own trailing baseline.
	RuleClientRate = "client_rate"
	// RuleInvalidClient: a burst of failed client authentications for one
	// client_id.
	RuleInvalidClient = "invalid_client"
	// RuleCredentialStuffing: sign-in failures across many accounts from
	// one address, or for one account from many addresses.
	RuleCredentialStuffing = "credential_stuffing"
	// RuleRevokedTokenUse: a revoked or expired token still presented.
	RuleRevokedTokenUse = "revoked_token_use"
	// RuleRefreshReuse: a rotated refresh token presented again (RFC 9700
	// section 4.14.2); the authorization server has already revoked its
	// grant.
	RuleRefreshReuse = "refresh_reuse"
)

// RuleNames lists every rule, so that metrics can create each series up front.
var RuleNames = [...]string{RuleTokenTheft, RuleClientRate, RuleInvalidClient, RuleCredentialStuffing, RuleRevokedTokenUse, RuleRefreshReuse}

// Automatic responses a rule may take.
const (
	// RespondRevokeToken revokes the access token (its jti) as /revoke
	// would, so guards and the gateway refuse it once they learn of it.
	RespondRevokeToken = "revoke_token"
	// RespondSuspendClient suspends the client for SuspendFor: it is
	// answered invalid_client until then (see Suspensions). A detection
	// about a user's token (its subject not the client) suspends
	// nothing: any one of the client's users could raise it with their
	// own token and shut out the others.
	RespondSuspendClient = "suspend_client"
)

// Anomalies is the anomalies: section of the configuration file. Its zero
// value runs every rule with the defaults documented on each field,
// without automatic responses: detections are recorded, counted and, with
// alerts.webhook, sent, and nothing else happens until a rule is given a
// response.
type Anomalies struct {
	// Disabled turns every rule off. False means each rule runs unless
	// its own disabled is set.
	Disabled bool `yaml:"disabled"`
	// MaxKeys bounds each table of detector state (tokens, clients,
	// client_ids, addresses, accounts), in keys: when a table is full the
	// least recently seen key is forgotten. Zero means 10000; between 100
	// and 1000000.
	MaxKeys int `yaml:"max_keys"`
	// Rules are the detectors' thresholds.
	Rules Rules `yaml:"rules"`
}

// Rules holds each rule's settings.
type Rules struct {
	TokenTheft         TokenTheft         `yaml:"token_theft"`
	ClientRate         ClientRate         `yaml:"client_rate"`
	InvalidClient      InvalidClient      `yaml:"invalid_client"`
	CredentialStuffing CredentialStuffing `yaml:"credential_stuffing"`
	RevokedTokenUse    RevokedTokenUse    `yaml:"revoked_token_use"`
	RefreshReuse       RefreshReuse       `yaml:"refresh_reuse"`
}

// Rule is what every rule has.
type Rule struct {
	// Disabled turns the rule off.
	Disabled bool `yaml:"disabled"`
	// Window is the period the rule counts over, and within which a key
	// raises at most one detection. Zero means the rule's default.
	Window time.Duration `yaml:"window"`
	// Response is what to do on a detection: revoke_token or
	// suspend_client, where the rule allows it. Empty means nothing
	// beyond the record, the metric and the alert.
	Response string `yaml:"response"`
	// SuspendFor is how long suspend_client suspends the client. Zero
	// means 1h; between 1m and 720h. Only with response: suspend_client.
	SuspendFor time.Duration `yaml:"suspend_for"`
}

// TokenTheft is the token_theft rule: a token in the hands of one client
// comes from one place and one program. Its window is 10m unless set.
type TokenTheft struct {
	Rule `yaml:",inline"`
	// Addresses is how many distinct client addresses (IPv6 by /64) one
	// token may come from within the window; one more raises it. Zero
	// means 3; between 1 and 32.
	Addresses int `yaml:"addresses"`
	// UserAgents is how many distinct User-Agent values one token may
	// come with within the window; one more raises it. Zero means 3;
	// between 1 and 32.
	UserAgents int `yaml:"user_agents"`
}

// ClientRate is the client_rate rule: a client's tokens issued, and its
// API calls, per window, against an exponentially weighted average of
// its own past windows. Its window is 1m unless set.
type ClientRate struct {
	Rule `yaml:",inline"`
	// Factor is how many times its baseline a window's count must exceed.
	// Zero means 10; more than 1.
	Factor float64 `yaml:"factor"`
	// MinCount is the least count in a window that can raise it, so that
	// a quiet client going from 1 to 20 calls does not. Zero means 100.
	MinCount int `yaml:"min_count"`
	// Baseline is the time constant of the average, and how long a client
	// must have been seen before it is judged. Zero means 1h; at least 10
	// windows.
	Baseline time.Duration `yaml:"baseline"`
}

// InvalidClient is the invalid_client rule. Its window is 1m unless set.
type InvalidClient struct {
	Rule `yaml:",inline"`
	// Failures is how many failed authentications of one client_id within
	// the window raise it. Zero means 20.
	Failures int `yaml:"failures"`
}

// CredentialStuffing is the credential_stuffing rule. An account is its
// sub, or for a username that names none, the audit trail's digest of it.
// Its window is 10m unless set.
type CredentialStuffing struct {
	Rule `yaml:",inline"`
	// AccountsPerAddress is how many distinct accounts one address may
	// fail to sign in to within the window; one more raises it. Zero
	// means 20; between 1 and 32.
	AccountsPerAddress int `yaml:"accounts_per_address"`
	// AddressesPerAccount is how many distinct addresses may fail to sign
	// in to one account within the window; one more raises it. Zero
	// means 10; between 1 and 32.
	AddressesPerAccount int `yaml:"addresses_per_account"`
}

// RevokedTokenUse is the revoked_token_use rule. Each token raises it at
// most once while its state is kept. Its window is 1h unless set.
type RevokedTokenUse struct {
	Rule `yaml:",inline"`
	// Revoked is how many presentations of one revoked token within the
	// window raise it. Zero means 2: a client may try a token once before
	// it learns it was revoked.
	Revoked int `yaml:"revoked"`
	// Expired is how many presentations of one expired token within the
	// window raise it. Zero means 10: clients that refresh on failure
	// present an expired token once or twice.
	Expired int `yaml:"expired"`
}

// RefreshReuse is the refresh_reuse rule: every reuse the authorization
// server reports is a detection, once per client and user per window
// (10m unless set).
type RefreshReuse struct {
	Rule `yaml:",inline"`
}

// Defaults.
const (
	DefaultDetectorKeys = 10000
	DefaultSuspendFor   = time.Hour
)

// ruleSpec is what differs between rules in resolving and validating
// their common settings.
type ruleSpec struct {
	name      string
	rule      *Rule
	window    time.Duration // default
	responses []string      // allowed
}

// specs returns the rules of r with their defaults and allowed responses.
// invalid_client and credential_stuffing allow none: anyone can fail to
// authenticate as a client or sign in from an address, so a response
// would let them suspend a client they do not control. refresh_reuse
// allows none either: a refresh token is always a user's, whose reuse
// suspends nothing (RespondSuspendClient).
func (r *Rules) specs() []ruleSpec {
	return []ruleSpec{
		{RuleTokenTheft, &r.TokenTheft.Rule, 10 * time.Minute, []string{RespondRevokeToken, RespondSuspendClient}},
		{RuleClientRate, &r.ClientRate.Rule, time.Minute, []string{RespondSuspendClient}},
		{RuleInvalidClient, &r.InvalidClient.Rule, time.Minute, nil},
		{RuleCredentialStuffing, &r.CredentialStuffing.Rule, 10 * time.Minute, nil},
		{RuleRevokedTokenUse, &r.RevokedTokenUse.Rule, time.Hour, []string{RespondSuspendClient}},
		{RuleRefreshReuse, &r.RefreshReuse.Rule, 10 * time.Minute, nil},
	}
}

// withDefaults returns a with every zero value replaced by its default.
func (a Anomalies) withDefaults() Anomalies {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&a.MaxKeys, DefaultDetectorKeys)
	r := &a.Rules
	for _, s := range r.specs() {
		if s.rule.Window == 0 {
			s.rule.Window = s.window
		}
		if s.rule.SuspendFor == 0 && s.rule.Response == RespondSuspendClient {
			s.rule.SuspendFor = DefaultSuspendFor
		}
	}
	def(&r.TokenTheft.Addresses, 3)
	def(&r.TokenTheft.UserAgents, 3)
	if r.ClientRate.Factor == 0 {
		r.ClientRate.Factor = 10
	}
	def(&r.ClientRate.MinCount, 100)
	if r.ClientRate.Baseline == 0 {
		r.ClientRate.Baseline = time.Hour
	}
	def(&r.InvalidClient.Failures, 20)
	def(&r.CredentialStuffing.AccountsPerAddress, 20)
	def(&r.CredentialStuffing.AddressesPerAccount, 10)
	def(&r.RevokedTokenUse.Revoked, 2)
	def(&r.RevokedTokenUse.Expired, 10)
	return a
}

// ConfigError is one bad value in the anomalies: or alerts: section. Key
// names it as the configuration file does, for example
// "anomalies.rules.token_theft.addresses".
type ConfigError struct {
	Key     string
	Problem string
}

// Error returns "key: problem".
func (e *ConfigError) Error() string { return e.Key + ": " + e.Problem }

// Validate checks the section and returns every problem found, each a
// *ConfigError, joined with errors.Join; nil when it is valid.
func (a Anomalies) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &ConfigError{Key: "anomalies." + key, Problem: fmt.Sprintf(format, args...)})
	}
	a = a.withDefaults()
	if a.MaxKeys < 100 || a.MaxKeys > 1000000 {
		bad("max_keys", "must be between 100 and 1000000")
	}
	r := a.Rules
	for _, s := range r.specs() {
		key := "rules." + s.name + "."
		if s.rule.Window < time.Second || s.rule.Window > 24*time.Hour {
			bad(key+"window", "must be between 1s and 24h")
		}
		switch {
		case s.rule.Response == "":
		case !slices.Contains(s.responses, s.rule.Response) && len(s.responses) == 0:
			bad(key+"response", "%q: this rule takes no response: others than the client can trigger it", s.rule.Response)
		case !slices.Contains(s.responses, s.rule.Response):
			bad(key+"response", "%q is not one of %v", s.rule.Response, s.responses)
		}
		if s.rule.Response != RespondSuspendClient && s.rule.SuspendFor != 0 {
			bad(key+"suspend_for", "is only used with response: suspend_client")
		} else if s.rule.Response == RespondSuspendClient && (s.rule.SuspendFor < time.Minute || s.rule.SuspendFor > 720*time.Hour) {
			bad(key+"suspend_for", "must be between 1m and 720h")
		}
	}
	between := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			bad("rules."+key, "must be between %d and %d", lo, hi)
		}
	}
	between("token_theft.addresses", r.TokenTheft.Addresses, 1, maxDistinct)
	between("token_theft.user_agents", r.TokenTheft.UserAgents, 1, maxDistinct)
	if !(r.ClientRate.Factor > 1) {
		bad("rules.client_rate.factor", "must be more than 1")
	}
	between("client_rate.min_count", r.ClientRate.MinCount, 1, 1<<30)
	if r.ClientRate.Baseline < 10*r.ClientRate.Window {
		bad("rules.client_rate.baseline", "must be at least 10 windows (%s)", 10*r.ClientRate.Window)
	}
	between("invalid_client.failures", r.InvalidClient.Failures, 1, 1<<30)
	between("credential_stuffing.accounts_per_address", r.CredentialStuffing.AccountsPerAddress, 1, maxDistinct)
	between("credential_stuffing.addresses_per_account", r.CredentialStuffing.AddressesPerAccount, 1, maxDistinct)
	between("revoked_token_use.revoked", r.RevokedTokenUse.Revoked, 1, 1<<30)
	between("revoked_token_use.expired", r.RevokedTokenUse.Expired, 1, 1<<30)
	return errors.Join(errs...)
}
