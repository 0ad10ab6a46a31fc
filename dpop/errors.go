package dpop

import "errors"

// Error codes of RFC 9449 sections 5 to 8.
const (
	// CodeInvalidProof is invalid_dpop_proof: the DPoP header is missing
	// where it is required, malformed, or fails a check (section 5.1 at
	// the token endpoint, section 7.1 at a resource server).
	CodeInvalidProof = "invalid_dpop_proof"
	// CodeUseNonce is use_dpop_nonce: the proof must carry the nonce that
	// the answer's DPoP-Nonce header gives (sections 8 and 9).
	CodeUseNonce = "use_dpop_nonce"
)

// ErrNoProof means the request carries no DPoP header. Callers decide
// whether that is an error: it is not where proofs are optional.
var ErrNoProof = errors.New("dpop: no DPoP proof")

// ErrReplay is what a ReplayCache returns for a key already used.
var ErrReplay = errors.New("dpop: proof already used")

// Error is a refused proof. Code is CodeInvalidProof or CodeUseNonce;
// Description says which check failed without quoting the proof.
type Error struct {
	Code        string
	Description string
}

// Error returns the code and description.
func (e *Error) Error() string { return "dpop: " + e.Code + ": " + e.Description }

func invalid(desc string) *Error { return &Error{Code: CodeInvalidProof, Description: desc} }
