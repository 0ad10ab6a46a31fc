package mfa

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portcullis/portcullis/store"
)

// Errors of a one-time code or recovery code. Neither repeats the code.
var (
	ErrInvalidCode = errors.New("mfa: code is not valid")
	ErrReusedCode  = errors.New("mfa: code was already used")
)

// The TOTP parameters every authenticator app supports (RFC 6238 section
// 4 and its reference implementation; Google Authenticator ignores any
// other): HMAC-SHA-1, 6 digits, 30-second steps, and one step of drift
// either way (RFC 6238 section 5.2 recommends at most one).
const (
	totpPeriod = 30
	totpDigits = 6
	totpSkew   = 1
	// qrSize is the QR code's side in pixels: large enough for a phone to
	// read from a screen, small enough for the page.
	qrSize = 200
	// purposeTOTP seals TOTP secrets, owned by their factor's ID.
	purposeTOTP = "totp"
)

// TOTP checks time-based one-time passwords (RFC 6238): SHA-1, 6 digits,
// 30-second steps, as every authenticator app supports, accepting one step
// of clock drift either way.
type TOTP struct {
	// Issuer names the deployment in authenticator apps (the otpauth
	// URI's issuer); Now is the clock (tests inject one), time.Now when
	// nil.
	Issuer string
	Now    func() time.Time
	Sealer *Sealer
}

// TOTPEnrolment is a new TOTP secret before the user confirmed it.
type TOTPEnrolment struct {
	// Secret is base32, shown to type by hand; URI is the otpauth:// URI;
	// QRCode is a PNG of URI as a data: URL.
	Secret, URI, QRCode string
}

// New makes a secret for account (the username shown in the app): 160
// random bits, the HMAC-SHA-1 key length RFC 4226 section 4 recommends.
func (t *TOTP) New(account string) (TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      t.Issuer,
		AccountName: account,
		Period:      totpPeriod,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: new TOTP secret: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrolment{}, fmt.Errorf("mfa: TOTP QR code: %w", err)
	}
	return TOTPEnrolment{
		Secret: key.Secret(),
		URI:    key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}

// Factor turns a confirmed enrolment into a store.Factor (its secret
// sealed under the factor's ID): code must be a valid current code of
// secret, and its step becomes LastStep, so it cannot be used again.
// "Current" has the drift window of Verify: the user types the code the
// app shows, which may have just turned over.
func (t *TOTP) Factor(id, userID, name, secret, code string) (store.Factor, error) {
	step, err := t.check(secret, code, -1)
	if err != nil {
		return store.Factor{}, err
	}
	return store.Factor{
		ID:        id,
		UserID:    userID,
		Kind:      store.FactorTOTP,
		Name:      name,
		Data:      t.Sealer.Seal(purposeTOTP, id, []byte(secret)),
		LastStep:  step,
		CreatedAt: t.now(),
	}, nil
}

// Verify checks code against f within the drift window and returns the
// step it matched; ErrInvalidCode when it matches none, ErrReusedCode when
// it matches a step not after f.LastStep. The caller stores the step as
// LastStep inside store.UpdateFactor, which makes its use single.
func (t *TOTP) Verify(f store.Factor, code string) (step int64, err error) {
	secret, err := t.Sealer.Open(purposeTOTP, f.ID, f.Data)
	if err != nil {
		return 0, fmt.Errorf("mfa: TOTP factor %s: %w", f.ID, err)
	}
	return t.check(string(secret), code, f.LastStep)
}

// check finds the step of the drift window whose code is code and which
// is after lastStep. Every step is computed and compared in constant time,
// so how long it takes says nothing about which step matched.
func (t *TOTP) check(secret, code string, lastStep int64) (int64, error) {
	code = strings.ReplaceAll(code, " ", "")
	if !IsTOTPCode(code) {
		return 0, ErrInvalidCode
	}
	now := t.now().Unix() / totpPeriod
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	matched, reused := int64(-1), false
	for step := now - totpSkew; step <= now+totpSkew; step++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), opts)
		if err != nil {
			return 0, fmt.Errorf("mfa: TOTP secret: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if step <= lastStep {
			reused = true
		} else if matched < 0 {
			matched = step
		}
	}
	switch {
	case matched >= 0:
		return matched, nil
	case reused:
		return 0, ErrReusedCode
	default:
		return 0, ErrInvalidCode
	}
}

// IsTOTPCode reports whether code is a TOTP code as typed: six ASCII
// digits (RFC 6238 with 6 digits), spaces ignored. The pages check a
// typed code with it before spending a throttle attempt on it.
func IsTOTPCode(code string) bool {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != totpDigits {
		return false
	}
	for _, c := range []byte(code) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (t *TOTP) now() time.Time {
	if t.Now == nil {
		return time.Now()
	}
	return t.Now()
}
