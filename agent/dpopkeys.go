package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/go-jose/go-jose/v4"

	"github.com/portcullis/portcullis/dpop"
)

// dpopKeyInfo is the HKDF info of DPoPKey; it keeps the derived key apart
// from anything else the secret could be used for.
const dpopKeyInfo = "portcullis oauth agent dpop key P-256"

// DPoPKey returns the DPoP key (RFC 9449) that the agent and the gateway
// derive from secret, one of Config.DPoPKeys: an ES256 key whose private
// scalar is d = (c mod (n-1)) + 1, where c is 40 bytes of HKDF-SHA256
// (RFC 5869) of secret's 32 bytes with no salt and the info
// "portcullis oauth agent dpop key P-256", read as a big-endian integer,
// and n the order of P-256 (FIPS 186-5 appendix A.2.1). Every instance
// configured with the secret holds the same key, so any of them presents
// the tokens any other bound. Tools use it to learn the thumbprint the
// agent's tokens carry in cnf.jkt.
func DPoPKey(secret string) (*dpop.Key, error) {
	raw, err := hex.DecodeString(secret)
	if err != nil || len(raw) != 32 {
		return nil, errors.New("agent: a DPoP key secret must be 64 hexadecimal characters")
	}
	c, err := hkdf.Key(sha256.New, raw, nil, dpopKeyInfo, 40)
	if err != nil {
		return nil, fmt.Errorf("agent: derive DPoP key: %w", err)
	}
	// 64 bits more than n makes the bias of the reduction negligible.
	n := elliptic.P256().Params().N
	nMinus1 := new(big.Int).Sub(n, big.NewInt(1))
	d := new(big.Int).Mod(new(big.Int).SetBytes(c), nMinus1)
	d.Add(d, big.NewInt(1))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
	if err != nil {
		return nil, fmt.Errorf("agent: derive DPoP key: %w", err)
	}
	return dpop.NewKey(priv, jose.ES256)
}

// ErrUnknownDPoPKey means an access token is bound (cnf.jkt, RFC 9449
// section 6.1) to a key that is not among the configured DPoP keys: one
// since retired, or DPoP is off. Nobody here can present it; a refresh
// gets a token bound to the current key.
var ErrUnknownDPoPKey = errors.New("agent: the access token is bound to a DPoP key the agent does not hold")

// dpopKeys are the agent's DPoP keys. The agent and the gateway choose
// among them with forToken and current alone, so both present a token
// with the key its provider bound it to.
type dpopKeys struct {
	// keys are in configuration order: the first binds new tokens. Empty
	// when DPoP is off.
	keys  []*dpop.Key
	byJKT map[string]*dpop.Key
}

// newDPoPKeys derives the keys of secrets (Config.Validate has checked
// them); none when on is false.
func newDPoPKeys(on bool, secrets Keys) (*dpopKeys, error) {
	k := &dpopKeys{byJKT: map[string]*dpop.Key{}}
	if !on {
		return k, nil
	}
	for i, s := range secrets {
		key, err := DPoPKey(s)
		if err != nil {
			return nil, fmt.Errorf("agent: dpop key %d: %w", i, err)
		}
		k.keys = append(k.keys, key)
		k.byJKT[key.Thumbprint()] = key
	}
	return k, nil
}

// current is the key new tokens are bound to; nil when DPoP is off.
func (k *dpopKeys) current() *dpop.Key {
	if len(k.keys) == 0 {
		return nil
	}
	return k.keys[0]
}

// forToken returns the key to present accessToken with, or nil for a
// bearer token. A JWT names its key in cnf.jkt: that key, or
// ErrUnknownDPoPKey when none has its thumbprint; a JWT without cnf.jkt
// was issued before DPoP was turned on. An opaque token does not say:
// while DPoP is on, the agent keeps no token that is not DPoP-bound, so
// it is bound to the current key, or it is from before a rotation and the
// resource server's refusal asks for a refresh.
func (k *dpopKeys) forToken(accessToken string) (*dpop.Key, error) {
	var c struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	switch {
	case jwtClaims(accessToken, &c) != nil:
		return k.current(), nil
	case c.Cnf.JKT == "":
		return nil, nil
	}
	if key := k.byJKT[c.Cnf.JKT]; key != nil {
		return key, nil
	}
	return nil, ErrUnknownDPoPKey
}

// forRefresh returns the key to refresh accessToken's session with: the
// one the access token is bound to while it is configured, since a
// provider that binds the refresh token too (as it must a public
// client's, RFC 9449 section 5) refuses a proof of another; otherwise the
// current key. Under a provider that leaves a confidential client's
// refresh tokens unbound, sessions thus move to a new key when the old one
// is removed, without a new sign-in.
func (k *dpopKeys) forRefresh(accessToken string) *dpop.Key {
	if key, err := k.forToken(accessToken); err == nil && key != nil {
		return key
	}
	return k.current()
}
