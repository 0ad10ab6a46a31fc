package signin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/portcullis/portcullis/authserver/internal/wire"
	"github.com/portcullis/portcullis/mfa"
	"github.com/portcullis/portcullis/store"
)

// totpEnrolTTL bounds how long a TOTP enrolment page may be confirmed
// after it was shown.
const totpEnrolTTL = sudoWindow

// sealPurposeTOTPEnrol is the Sealer purpose of a TOTP secret between the
// enrolment page and its confirmation.
const sealPurposeTOTPEnrol = "totp-enrol"

// totpPage is the data of account_totp.html.
type totpPage struct {
	Page
	// QRCode is the otpauth URI as a PNG data: URL; Secret the same
	// secret to type by hand, in groups of four.
	QRCode template.URL
	Secret string
	// Enrolment is the sealed secret, posted back; Name the typed name;
	// Return the validated return parameter; Error why the last try
	// failed.
	Enrolment, Name, Return, CSRF, Error string
}

// pendingTOTP is a TOTP secret shown but not yet confirmed, as sealed in
// the enrolment page: never in a cookie, a log or the store. Issued
// makes it expire.
type pendingTOTP struct {
	Enrolment mfa.TOTPEnrolment `json:"e"`
	Issued    int64             `json:"t"`
}

// startTOTP shows a new secret to enrol.
func (s *Server) startTOTP(w http.ResponseWriter, r *http.Request, sess *store.Session, u store.User, ret string) {
	e, err := s.cfg.MFA.TOTP.New(u.Username)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	p := pendingTOTP{Enrolment: e, Issued: s.cfg.Now().Unix()}
	plain, err := json.Marshal(p)
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	sealed := s.cfg.MFA.Sealer.Seal(sealPurposeTOTPEnrol, totpOwner(u, sess), plain)
	s.renderTOTP(w, r, http.StatusOK, sess, p.Enrolment, base64.RawURLEncoding.EncodeToString(sealed), "", ret, "")
}

// totpOwner binds a sealed enrolment to the user and the session that
// saw it: another session, even the same user's, cannot confirm it.
func totpOwner(u store.User, sess *store.Session) string { return u.ID + " " + sess.SID }

func (s *Server) renderTOTP(w http.ResponseWriter, r *http.Request, status int, sess *store.Session, e mfa.TOTPEnrolment, sealed, name, ret, msg string) {
	p := &totpPage{Secret: groups(e.Secret), Enrolment: sealed, Name: name, Return: ret, Error: msg,
		CSRF: s.sessionCSRF(w, r, formEnrolTOTP, sess)}
	p.Base = base(r)
	// The QR code is shown only if it is the PNG data: URL mfa makes;
	// the page's policy allows data: images for it alone.
	if strings.HasPrefix(e.QRCode, "data:image/png;base64,") {
		p.QRCode = template.URL(e.QRCode)
	}
	s.render(w, status, "account_totp.html", "Add an authenticator app", p, "data:")
}

// groups writes a secret in groups of four characters, to type by hand.
func groups(secret string) string {
	var b strings.Builder
	for i, c := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// handleEnrolTOTP confirms a TOTP enrolment with a code from the app:
// the factor is stored (finishEnrol says when it raises the session).
func (s *Server) handleEnrolTOTP(w http.ResponseWriter, r *http.Request) {
	sess, u, ret, ok := s.enrolForm(w, r, store.FactorTOTP, formEnrolTOTP)
	if !ok {
		return
	}
	sealed := r.PostFormValue("enrolment")
	p, ok := s.openTOTP(u, sess, sealed)
	if !ok {
		s.errorAt(w, r, http.StatusBadRequest, "Enrolment expired",
			"This enrolment page has expired or was not made for this session. Open the account page and add the app again.")
		return
	}
	name, problem := factorName(r.PostFormValue("name"), kindName(store.FactorTOTP))
	if problem != "" {
		s.renderTOTP(w, r, http.StatusBadRequest, sess, p.Enrolment, sealed, r.PostFormValue("name"), ret, problem)
		return
	}
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	if !mfa.IsTOTPCode(code) {
		s.renderTOTP(w, r, http.StatusBadRequest, sess, p.Enrolment, sealed, name, ret, "Type the 6-digit code the app shows.")
		return
	}
	f, err := s.cfg.MFA.TOTP.Factor(newFactorID(), u.ID, name, p.Enrolment.Secret, code)
	if errors.Is(err, mfa.ErrInvalidCode) || errors.Is(err, mfa.ErrReusedCode) {
		s.renderTOTP(w, r, http.StatusBadRequest, sess, p.Enrolment, sealed, name, ret,
			"That code is not right. Check that the device's clock is correct and type the code the app shows now.")
		return
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	// One enrolment page adds one factor: a form posted twice (a double
	// click, the back button) must not add the same secret twice.
	err = s.store.UseOnce(r.Context(), "totp-enrol:"+wire.Digest(sealed), s.cfg.Now().Add(totpEnrolTTL+time.Minute))
	if errors.Is(err, store.ErrReplay) {
		s.errorAt(w, r, http.StatusConflict, "Already added", "This authenticator app was already added. Open the account page to see your factors.")
		return
	}
	if err != nil {
		s.pageFailure(w, r, err)
		return
	}
	f.CreatedAt = s.cfg.Now()
	s.finishEnrol(w, r, sess, u, f, ret)
}

// openTOTP opens a sealed enrolment of u's in sess, unexpired.
func (s *Server) openTOTP(u store.User, sess *store.Session, sealed string) (pendingTOTP, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return pendingTOTP{}, false
	}
	plain, err := s.cfg.MFA.Sealer.Open(sealPurposeTOTPEnrol, totpOwner(u, sess), raw)
	if err != nil {
		return pendingTOTP{}, false
	}
	var p pendingTOTP
	if json.Unmarshal(plain, &p) != nil || p.Enrolment.Secret == "" {
		return pendingTOTP{}, false
	}
	issued := time.Unix(p.Issued, 0)
	if age := s.cfg.Now().Sub(issued); age < -time.Minute || age > totpEnrolTTL {
		return pendingTOTP{}, false
	}
	return p, true
}
