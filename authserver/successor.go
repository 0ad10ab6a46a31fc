package authserver

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A rotated refresh token's successor response is kept for the retry grace
// period, encrypted with a key derived from the rotated token itself: only a
// client that holds that token can read it back, and the database alone
// reveals nothing usable.

// successor is the stored form of a rotation's token response. JKT is the
// DPoP key its access token is bound to, which a retry must prove.
type successor struct {
	Response  tokenResponse `json:"response"`
	AccessExp int64         `json:"access_exp"`
	JKT       string        `json:"jkt,omitempty"`
}

func successorKey(refreshToken string) ([]byte, error) {
	return hkdf.Key(sha256.New, []byte(refreshToken), nil, "portcullis refresh successor v1", 32)
}

func sealSuccessor(refreshToken string, resp tokenResponse, accessExp time.Time, jkt string) ([]byte, error) {
	plain, err := json.Marshal(successor{Response: resp, AccessExp: accessExp.Unix(), JKT: jkt})
	if err != nil {
		return nil, err
	}
	aead, err := successorAEAD(refreshToken)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, nil), nil
}

// openSuccessor decrypts a successor response, brings expires_in up to
// date, and returns the DPoP key its access token is bound to.
func openSuccessor(refreshToken string, sealed []byte, now time.Time) (tokenResponse, string, error) {
	aead, err := successorAEAD(refreshToken)
	if err != nil {
		return tokenResponse{}, "", err
	}
	if len(sealed) < aead.NonceSize() {
		return tokenResponse{}, "", errors.New("successor: truncated")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return tokenResponse{}, "", fmt.Errorf("successor: %w", err)
	}
	var s successor
	if err := json.Unmarshal(plain, &s); err != nil {
		return tokenResponse{}, "", fmt.Errorf("successor: %w", err)
	}
	s.Response.ExpiresIn = max(0, s.AccessExp-now.Unix())
	return s.Response, s.JKT, nil
}

func successorAEAD(refreshToken string) (cipher.AEAD, error) {
	key, err := successorKey(refreshToken)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
