package mfa

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portcullis/portcullis/store"
)

// clock is a settable time for tests.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// codeAt is what an authenticator app shows for secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP enrols a TOTP factor at the clock's time.
func enrolTOTP(t *testing.T, c *clock) (*TOTP, TOTPEnrolment, store.Factor) {
	t.Helper()
	tp := &TOTP{Issuer: "Portcullis Test", Now: c.Now, Sealer: testSealer(t)}
	e, err := tp.New("alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	f, err := tp.Factor("f1", "u1", "Phone", e.Secret, codeAt(t, e.Secret, c.t))
	if err != nil {
		t.Fatalf("Factor: %v", err)
	}
	return tp, e, f
}

func TestTOTPNew(t *testing.T) {
	c := &clock{time.Unix(1_700_000_000, 0)}
	_, e, f := enrolTOTP(t, c)
	u, err := url.Parse(e.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("URI %q is not an otpauth TOTP URI", e.URI)
	}
	q := u.Query()
	if q.Get("secret") != e.Secret || q.Get("issuer") != "Portcullis Test" || q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URI parameters %v", q)
	}
	if !strings.HasPrefix(e.QRCode, "data:image/png;base64,iVBOR") {
		t.Errorf("QR code is not a PNG data URL: %.40s", e.QRCode)
	}
	if len(e.Secret) < 32 {
		t.Errorf("secret %d base32 characters, want 160 bits", len(e.Secret))
	}
	if f.Kind != store.FactorTOTP || f.ID != "f1" || f.UserID != "u1" || f.Name != "Phone" || !f.CreatedAt.Equal(c.t) {
		t.Errorf("factor %+v", f)
	}
	if f.LastStep != c.t.Unix()/30 {
		t.Errorf("LastStep = %d, want the confirming code's step %d", f.LastStep, c.t.Unix()/30)
	}
}

func TestTOTPFactorRefusesWrongCode(t *testing.T) {
	c := &clock{time.Unix(1_700_000_000, 0)}
	tp, e, _ := enrolTOTP(t, c)
	for _, code := range []string{"", "12345", codeAt(t, e.Secret, c.t.Add(-90*time.Second))} {
		if _, err := tp.Factor("f2", "u1", "Phone", e.Secret, code); !errors.Is(err, ErrInvalidCode) {
			t.Errorf("Factor(code %q) = %v, want ErrInvalidCode", code, err)
		}
	}
}

func TestTOTPSealsSecret(t *testing.T) {
	c := &clock{time.Unix(1_700_000_000, 0)}
	tp, e, f := enrolTOTP(t, c)
	if bytes.Contains(f.Data, []byte(e.Secret)) {
		t.Fatal("factor data holds the secret in clear")
	}
	if _, err := tp.Sealer.Open("totp", "f2", f.Data); !errors.Is(err, ErrSealed) {
		t.Fatalf("opened under another owner: %v", err)
	}
	moved := f
	moved.ID = "f2"
	c.t = c.t.Add(time.Minute)
	if _, err := tp.Verify(moved, codeAt(t, e.Secret, c.t)); !errors.Is(err, ErrSealed) {
		t.Fatalf("Verify of data copied to another factor = %v, want ErrSealed", err)
	}
}

func TestTOTPVerify(t *testing.T) {
	enrolled := time.Unix(1_700_000_000, 0)
	later := enrolled.Add(10 * time.Minute)
	step := later.Unix() / 30
	tests := []struct {
		name     string
		codeTime time.Duration // offset of the code's time from the clock
		typed    func(code string) string
		lastStep int64 // zero: the enrolment's
		want     error
	}{
		{name: "current", want: nil},
		{name: "one step behind", codeTime: -30 * time.Second},
		{name: "one step ahead", codeTime: 30 * time.Second},
		{name: "two steps behind", codeTime: -60 * time.Second, want: ErrInvalidCode},
		{name: "two steps ahead", codeTime: 60 * time.Second, want: ErrInvalidCode},
		{name: "spaces", typed: func(c string) string { return " " + c[:3] + " " + c[3:] + " " }},
		{name: "reused in its step", lastStep: step, want: ErrReusedCode},
		{name: "earlier step than last", codeTime: -30 * time.Second, lastStep: step, want: ErrReusedCode},
		{name: "next step after last", codeTime: 30 * time.Second, lastStep: step},
		{name: "too short", typed: func(c string) string { return c[:5] }, want: ErrInvalidCode},
		{name: "too long", typed: func(c string) string { return c + "0" }, want: ErrInvalidCode},
		{name: "letters", typed: func(c string) string { return "abcdef" }, want: ErrInvalidCode},
		{name: "non-ASCII digits", typed: func(c string) string { return "１２３４５６" }, want: ErrInvalidCode},
		{name: "dash", typed: func(c string) string { return c[:3] + "-" + c[3:] }, want: ErrInvalidCode},
		{name: "empty", typed: func(string) string { return "" }, want: ErrInvalidCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{enrolled}
			tp, e, f := enrolTOTP(t, c)
			c.t = later
			if tt.lastStep != 0 {
				f.LastStep = tt.lastStep
			}
			code := codeAt(t, e.Secret, later.Add(tt.codeTime))
			if tt.typed != nil {
				code = tt.typed(code)
			}
			got, err := tp.Verify(f, code)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %d, %v, want %v", got, err, tt.want)
			}
			if tt.want == nil && got != later.Add(tt.codeTime).Unix()/30 {
				t.Fatalf("Verify step = %d, want %d", got, later.Add(tt.codeTime).Unix()/30)
			}
		})
	}
}

// TestTOTPSingleUse is the sign-in sequence: the caller stores the step
// Verify returns, and the same code then fails within its step.
func TestTOTPSingleUse(t *testing.T) {
	c := &clock{time.Unix(1_700_000_000, 0)}
	tp, e, f := enrolTOTP(t, c)
	c.t = c.t.Add(5 * time.Minute)
	code := codeAt(t, e.Secret, c.t)
	step, err := tp.Verify(f, code)
	if err != nil {
		t.Fatal(err)
	}
	f.LastStep = step
	c.t = c.t.Add(time.Second)
	if _, err := tp.Verify(f, code); !errors.Is(err, ErrReusedCode) {
		t.Fatalf("second use = %v, want ErrReusedCode", err)
	}
	c.t = c.t.Add(30 * time.Second)
	if _, err := tp.Verify(f, codeAt(t, e.Secret, c.t)); err != nil {
		t.Fatalf("next step's code = %v", err)
	}
}
