package signin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/users"
)

// factorProof is the outcome of one posted factor.
type factorProof struct {
	// amr are the methods proved; nil when the factor was refused.
	amr []string
	// kind is the factor's kind, or "recovery"; factorID names the
	// factor used.
	kind, factorID string
	// reason is the audit trail's reason for a refusal; empty for input
	// that was no attempt (a malformed form).
	reason string
	// status and msg are the page's answer to a refusal; wait, when set,
	// its Retry-After.
	status int
	msg    string
	wait   time.Duration
	// err is a failure of the store: the request could not be judged.
	err error
}

// refused is a factorProof refusing with reason (audited), status and msg.
func refused(kind, reason string, status int, msg string) factorProof {
	return factorProof{kind: kind, reason: reason, status: status, msg: msg}
}

// Bounds of the typed codes: a TOTP code is 6 digits (spaces allowed), a
// recovery code 12 characters with dashes; anything longer is refused
// unread.
const (
	maxTOTPInput     = 8
	maxRecoveryInput = 32
)

// factorKeys are the throttle keys of a code typed for u from r's
// address: the account at the address (as for passwords) and the account
// anywhere, since whoever types codes already has the password and may
// change addresses; the prefix keeps them apart from the password's.
func (s *Server) factorKeys(r *http.Request, u store.User) (accounts []string, address string) {
	account, address := users.LoginKeys(u.Username, s.core.ClientIP(r))
	return []string{"factor:" + account, "factor:sub:" + u.ID}, "factor:" + address
}

// proveCode checks a TOTP code (method "totp") or a recovery code
// ("recovery") of u. Attempts are counted before they are evaluated, as
// passwords' are, and a success clears the account's count.
func (s *Server) proveCode(r *http.Request, u store.User, factors []store.Factor, method, code string) factorProof {
	code = strings.TrimSpace(code)
	kind := store.FactorTOTP
	if method == "recovery" {
		kind = "recovery"
		if code == "" || len(code) > maxRecoveryInput {
			return refused(kind, "", http.StatusBadRequest, "Enter one of your recovery codes.")
		}
	} else if len(code) > maxTOTPInput || !mfa.IsTOTPCode(code) {
		return refused(kind, "", http.StatusBadRequest, "Enter the 6-digit code your authenticator app shows.")
	}
	code = strings.ReplaceAll(code, " ", "")
	totps := ofKind(factors, store.FactorTOTP)
	if kind == store.FactorTOTP && len(totps) == 0 {
		return refused(kind, "", http.StatusBadRequest, "You have no authenticator app set up.")
	}
	accounts, address := s.factorKeys(r, u)
	wait := s.cfg.AddressThrottle.Try(address)
	if wait == 0 {
		if wait = s.cfg.Throttle.Try(accounts...); wait > 0 {
			s.cfg.AddressThrottle.Refund(address)
		}
	}
	if wait > 0 {
		p := refused(kind, "throttled", http.StatusTooManyRequests, fmt.Sprintf("Too many failed attempts. Try again in %d seconds.", int(wait.Seconds())+1))
		p.wait = wait
		return p
	}
	var p factorProof
	if kind == "recovery" {
		p = s.useRecoveryCode(r, u, code)
	} else {
		p = s.useTOTP(r, u, totps, code)
	}
	switch {
	case p.err != nil:
		s.cfg.AddressThrottle.Refund(address)
		s.cfg.Throttle.Refund(accounts...)
	case p.amr != nil:
		s.cfg.Throttle.Succeed(accounts...)
		s.cfg.AddressThrottle.Refund(address)
	}
	return p
}

// useTOTP accepts code if it is a current code of one of totps not used
// before: its step becomes the factor's LastStep inside UpdateFactor's
// transaction, so of two requests with one code only one passes (RFC 6238
// section 5.2).
func (s *Server) useTOTP(r *http.Request, u store.User, totps []store.Factor, code string) factorProof {
	reused := false
	for _, f := range totps {
		step, err := s.cfg.MFA.TOTP.Verify(f, code)
		if errors.Is(err, mfa.ErrReusedCode) {
			reused = true
			continue
		}
		if errors.Is(err, mfa.ErrInvalidCode) {
			continue
		}
		if err != nil {
			return factorProof{err: fmt.Errorf("verify totp: %w", err)}
		}
		now := s.cfg.Now()
		err = s.store.UpdateFactor(r.Context(), u.ID, f.ID, func(cur *store.Factor) error {
			if step <= cur.LastStep {
				return mfa.ErrReusedCode
			}
			cur.LastStep, cur.LastUsedAt = step, now
			return nil
		})
		if errors.Is(err, mfa.ErrReusedCode) {
			reused = true
			continue
		}
		if err != nil {
			return factorProof{err: fmt.Errorf("use totp: %w", err)}
		}
		return factorProof{amr: []string{mfa.AMROTP}, kind: store.FactorTOTP, factorID: f.ID}
	}
	if reused {
		return refused(store.FactorTOTP, "reused code", http.StatusOK, "This code was already used. Wait for the next one.")
	}
	return refused(store.FactorTOTP, "wrong code", http.StatusOK, "Wrong code. Try again.")
}

// useRecoveryCode spends one of u's recovery codes, which stands in for
// a one-time code.
func (s *Server) useRecoveryCode(r *http.Request, u store.User, code string) factorProof {
	err := s.store.UseRecoveryCode(r.Context(), u.ID, mfa.HashRecoveryCode(code), s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return refused("recovery", "wrong recovery code", http.StatusOK, "Wrong or used recovery code.")
	}
	if err != nil {
		return factorProof{err: fmt.Errorf("use recovery code: %w", err)}
	}
	return factorProof{amr: []string{mfa.AMROTP}, kind: "recovery"}
}
