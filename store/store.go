// Package store owns the persistent state of the authorization server: the
// clients registered at run time, the signing keys, revoked access tokens and
// the single-use markers that stop replays. Store is the one interface every
// backend implements; the storetest package holds the conformance suite they
// all must pass, so that SQLite and PostgreSQL give the same guarantees.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors that callers branch on with errors.Is.
var (
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists means a record with the same identifier exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrReplay means a single-use marker was already used and has not expired.
	ErrReplay = errors.New("store: already used")
	// ErrRevoked means the grant tokens were to be issued from is revoked.
	ErrRevoked = errors.New("store: grant revoked")
)

// MaxRefreshGrace bounds the period in which a rotated refresh token may be
// presented again to get the same successor; the store erases successor
// responses after it.
const MaxRefreshGrace = time.Minute

// Store is the storage boundary. Every method is safe for concurrent use by
// many goroutines and by several processes sharing the same database, which
// is how the CLI changes state beside running servers. Guarantees that must
// hold across processes (single use, atomic key updates) are enforced by the
// database, never by process memory.
type Store interface {
	// CreateClient adds a client; ErrAlreadyExists if its ID is taken.
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns the client with the given ID or ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClients returns every stored client ordered by ID.
	ListClients(ctx context.Context) ([]Client, error)
	// DeleteClient removes the client c.ClientID and, in the same
	// transaction, does what RevokeAll(c) does, so that none of its tokens
	// outlives it and re-creating the client revives none; ErrNotFound,
	// and nothing changes, if there was no such client. c.Subject must be
	// empty. A non-nil check runs inside the transaction on the client
	// as it is at that moment; its error aborts the deletion and is
	// returned as it is (an If-Match test that no concurrent change can
	// slip past).
	DeleteClient(ctx context.Context, c Cutoff, now time.Time, check func(Client) error) error
	// UpdateClient runs update on the client inside a transaction and
	// saves the result, so that concurrent changes never lose one
	// another; ErrNotFound if there is no such client. An error from
	// update aborts the change and is returned as it is. The client's ID
	// cannot change.
	UpdateClient(ctx context.Context, id string, update func(*Client) error) error

	// CreateAPI adds an API; ErrAlreadyExists if its identifier is taken.
	CreateAPI(ctx context.Context, a API) error
	// GetAPI returns the API with this identifier or ErrNotFound.
	GetAPI(ctx context.Context, identifier string) (API, error)
	// ListAPIs returns every stored API ordered by identifier.
	ListAPIs(ctx context.Context) ([]API, error)
	// UpdateAPI runs update on the API inside a transaction and saves the
	// result; ErrNotFound if there is no such API. An error from update
	// aborts the change and is returned as it is. The identifier cannot
	// change.
	UpdateAPI(ctx context.Context, identifier string, update func(*API) error) error
	// DeleteAPI removes the API; ErrNotFound if there was none. Tokens
	// already issued for it stay valid until they expire. A non-nil check
	// runs inside the transaction on the API as it is at that moment; its
	// error aborts the deletion and is returned as it is.
	DeleteAPI(ctx context.Context, identifier string, check func(API) error) error

	// ListKeys returns every signing key ordered by activation time, then
	// creation time; times keep at least microsecond precision.
	ListKeys(ctx context.Context) ([]Key, error)
	// UpdateKeys runs update on the current key set inside one transaction
	// and replaces the set with its result, so that concurrent first starts
	// or rotations never both add a key. An error from update aborts it.
	UpdateKeys(ctx context.Context, update func(current []Key) ([]Key, error)) error

	// Secret returns the server secret stored under name. If there is
	// none it stores fresh first. Of concurrent first calls with one name,
	// from any number of processes, every one returns the same value: the
	// first one stored. Secrets are never changed or deleted by the store.
	Secret(ctx context.Context, name string, fresh []byte) ([]byte, error)

	// RevokeToken records that the token with r.JTI is revoked until
	// r.ExpiresAt. Revoking a token twice is not an error.
	RevokeToken(ctx context.Context, r Revocation) error
	// IsRevoked reports whether the token with this jti has been revoked.
	IsRevoked(ctx context.Context, jti string) (bool, error)
	// RevocationVersion reads the store's Version, cheaply enough to be
	// read on every introspection. The reading is taken after the call
	// starts, so it reflects every revocation and cutoff committed, by any
	// process, before the call.
	RevocationVersion(ctx context.Context) (Version, error)
	// ListRevocations returns up to limit revocations with Seq greater than
	// after, in Seq order, so that pollers can follow the list with a cursor.
	ListRevocations(ctx context.Context, after int64, limit int) ([]Revocation, error)

	// UseOnce marks key as used until expiresAt. It returns ErrReplay if the
	// key is already marked and its mark has not expired. Of many concurrent
	// calls with one key, exactly one succeeds.
	UseOnce(ctx context.Context, key string, expiresAt time.Time) error

	// CreateUser adds a user; ErrAlreadyExists if the ID or username is taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the user with this ID or ErrNotFound.
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByUsername returns the user with this username or ErrNotFound.
	GetUserByUsername(ctx context.Context, username string) (User, error)
	// ListUsers returns every user ordered by username.
	ListUsers(ctx context.Context) ([]User, error)
	// SearchUsers returns up to q.Limit users ordered by username, after
	// q.After, whose username or email claim contains q.Text (ignoring
	// case); a page at a time, for the management API.
	SearchUsers(ctx context.Context, q UserQuery) ([]User, error)
	// UpdateUser runs update on the user inside a transaction and saves
	// the result; ErrNotFound if there is no such user, ErrAlreadyExists
	// (and nothing changes) if update renamed them to a username another
	// user has.
	UpdateUser(ctx context.Context, id string, update func(*User) error) error
	// DeleteUser removes the user c.Subject with their consents and, in
	// the same transaction, does what RevokeAll(c) does; ErrNotFound, and
	// nothing changes, if there was no such user. c.ClientID must be
	// empty. A non-nil check runs inside the transaction on the user as
	// they are at that moment; its error aborts the deletion and is
	// returned as it is.
	DeleteUser(ctx context.Context, c Cutoff, now time.Time, check func(User) error) error

	// SaveAuthRequest stores a pending authorization request, replacing
	// one with the same ID.
	// CreateFactor stores a new factor. ErrAlreadyExists when its ID, or
	// its non-empty CredentialID, is taken (by any user).
	CreateFactor(ctx context.Context, f Factor) error
	// ListFactors returns a user's factors, oldest first.
	ListFactors(ctx context.Context, userID string) ([]Factor, error)
	// GetFactorByCredential finds the passkey with a WebAuthn credential
	// ID, whoever owns it. ErrNotFound when none has it.
	GetFactorByCredential(ctx context.Context, credentialID []byte) (Factor, error)
	// UpdateFactor applies update to one factor of userID in a
	// transaction that holds the row: two concurrent updates run one after
	// the other, so a TOTP step or a signature counter checked in update
	// is accepted once. An error from update aborts and is returned.
	// ErrNotFound when userID has no such factor.
	UpdateFactor(ctx context.Context, userID, id string, update func(*Factor) error) error
	// DeleteFactor removes one factor of userID. check, when not nil, is
	// given the factors that would remain, inside a transaction that
	// serializes every deletion of that user's factors, so two concurrent
	// deletions cannot each leave the other's factor as the last one; its
	// error aborts and is returned. When no factor remains, the user's
	// recovery codes are removed in the same transaction: they stand in
	// for a factor and must not outlive the last one. ErrNotFound when
	// there is no such factor.
	DeleteFactor(ctx context.Context, userID, id string, check func(remaining []Factor) error) error
	// DeleteFactors removes every factor and recovery code of userID (an
	// administrator's reset) and returns how many factors there were.
	DeleteFactors(ctx context.Context, userID string) (int, error)
	// ReplaceRecoveryCodes sets userID's recovery codes to hashes (digests;
	// the codes themselves are never stored), dropping any earlier ones,
	// used or not.
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, now time.Time) error
	// UseRecoveryCode spends one unused recovery code of userID by its
	// digest, atomically: of concurrent uses of one code, one succeeds.
	// ErrNotFound when no unused code matches (unknown or already used).
	UseRecoveryCode(ctx context.Context, userID, hash string, now time.Time) error
	// CountRecoveryCodes returns how many unused recovery codes userID
	// has.
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)

	// CreateLink stores a link, and with newUser not nil creates that user
	// in the same transaction (just-in-time provisioning), so concurrent
	// first sign-ins of one person leave one user. ErrAlreadyExists when
	// the pair (ConnectorID, Subject) is linked already, or newUser's ID
	// or username is taken; nothing is written then.
	CreateLink(ctx context.Context, l Link, newUser *User) error
	// GetLink finds the link of an upstream identity. ErrNotFound when
	// there is none.
	GetLink(ctx context.Context, connectorID, subject string) (Link, error)
	// ListLinks returns a user's links, oldest first.
	ListLinks(ctx context.Context, userID string) ([]Link, error)
	// DeleteLink removes one link of userID. ErrNotFound when there is no
	// such link.
	DeleteLink(ctx context.Context, userID, connectorID, subject string) error

	SaveAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest returns a pending request that has not expired at
	// now, or ErrNotFound.
	GetAuthRequest(ctx context.Context, id string, now time.Time) (AuthRequest, error)
	// DeleteAuthRequest consumes a request: of concurrent calls for one
	// ID, one succeeds and the others get ErrNotFound.
	DeleteAuthRequest(ctx context.Context, id string) error

	// CreateSession stores a sign-on session.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session unless it is absent or expired at now
	// (ErrNotFound).
	GetSession(ctx context.Context, idHash string, now time.Time) (Session, error)
	// DeleteSession ends a session; ending one that is gone is not an error.
	DeleteSession(ctx context.Context, idHash string) error
	// ListSessions returns the user's sessions live at now, the most
	// recent sign-in first, for the management API. IDHash is left
	// empty: a session is named outside the store by its SID alone, which
	// cannot be turned into its cookie.
	ListSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// EndSession deletes the user's session named sid (its SID), live at
	// now; ErrNotFound if the user has none such. The grants issued in it
	// are the caller's to revoke (RevokeSessionGrants), as logout does.
	EndSession(ctx context.Context, userID, sid string, now time.Time) error
	// UpdateSession applies update to a live session in a transaction
	// (a second factor or a step-up raises its AMR, ACR and AuthTime).
	// ErrNotFound when it is gone or expired at now.
	UpdateSession(ctx context.Context, idHash string, now time.Time, update func(*Session) error) error

	// GetConsent returns the scopes the user granted the client (nil if
	// none).
	GetConsent(ctx context.Context, userID, clientID string) ([]string, error)
	// SaveConsent records the scopes the user granted the client.
	SaveConsent(ctx context.Context, userID, clientID string, scopes []string) error

	// CreateAuthCode stores an issued authorization code.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// GetAuthCode returns a code that has not expired at now, and whether
	// it was already exchanged; ErrNotFound if there is none.
	GetAuthCode(ctx context.Context, hash string, now time.Time) (c AuthCode, used bool, err error)
	// ExchangeAuthCode, in one transaction, marks the code used and records
	// the tokens issued for it, as IssueTokens does. Of concurrent calls
	// exactly one succeeds; the others get ErrReplay and change nothing.
	// Because the tokens are recorded with the code, revoking the grant on
	// a replay always reaches them. ErrNotFound means the code is unknown
	// or expired, ErrRevoked that its grant is revoked.
	ExchangeAuthCode(ctx context.Context, hash string, now time.Time, jti string, jtiExpiresAt time.Time, rt *RefreshToken) error

	// CreateGrant registers a grant before anything is issued from it.
	CreateGrant(ctx context.Context, g Grant) error
	// GetGrant returns the grant with this ID, revoked or expired ones
	// included, or ErrNotFound.
	GetGrant(ctx context.Context, id string) (Grant, error)
	// ListGrants returns up to f.Limit grants f selects, newest first
	// (CreatedAt, then ID, descending), after the cursor in f.
	ListGrants(ctx context.Context, f GrantFilter) ([]Grant, error)
	// IssueTokens records, in one transaction, an access token issued from
	// a grant and, if rt is not nil, a refresh token. It returns
	// ErrRevoked, and records nothing, if the grant is revoked.
	IssueTokens(ctx context.Context, grantID, jti string, jtiExpiresAt time.Time, rt *RefreshToken) error
	// GetRefreshToken returns a refresh token, rotated and revoked ones
	// included, or ErrNotFound.
	GetRefreshToken(ctx context.Context, hash string) (RefreshToken, error)
	// RotateRefreshToken, in one transaction, marks the token oldHash
	// rotated at rotatedAt with the encrypted successor response, stores
	// next and records the successor access token, provided the old token
	// belongs to next's grant and is neither rotated nor revoked.
	// Otherwise it changes nothing and returns ErrReplay: of concurrent
	// rotations of one token, exactly one succeeds. ErrRevoked means the
	// grant was revoked. The old token remembers next.Hash as its direct
	// successor, for RetryRefreshToken.
	RotateRefreshToken(ctx context.Context, oldHash string, rotatedAt time.Time, successor []byte, next RefreshToken, jti string, jtiExpiresAt time.Time) error
	// RetryRefreshToken decides, in one transaction, what presenting the
	// rotated token hash again at now means (RFC 9700 section 4.14.2). It
	// is a retry, answered with the token's encrypted successor response,
	// only if clientID is the token's client, the token was rotated at most
	// grace before now, and its direct successor was never presented
	// (MarkRefreshTokenPresented), rotated or revoked. Anything else is
	// reuse: the grant is revoked in the same transaction and ErrReplay
	// returned. ErrRevoked means the grant was already revoked, ErrNotFound
	// that the token is unknown or was never rotated.
	RetryRefreshToken(ctx context.Context, hash, clientID string, now time.Time, grace time.Duration) (successor []byte, err error)
	// MarkRefreshTokenPresented records that the token hash was presented
	// at now and refused, so that a later retry of its predecessor counts
	// as reuse. Marking a token twice keeps the first time; marking an
	// unknown token is not an error.
	MarkRefreshTokenPresented(ctx context.Context, hash string, now time.Time) error

	// RevokeGrant revokes, in one transaction, the grant, every refresh
	// token of it and every unexpired access token issued from it.
	// Revoking a revoked or unknown grant is not an error.
	RevokeGrant(ctx context.Context, grantID string, now time.Time) error

	// RevokeAll revokes everything issued to c's client, user, or user at
	// the client, in one transaction: it records the cutoff c, revokes
	// every live grant they name (as RevokeGrant does) and, for a user
	// alone (no ClientID), ends their sign-on sessions, which could
	// otherwise mint new grants without a password. It returns how many
	// grants it revoked; ErrCutoffTarget if c names no one.
	RevokeAll(ctx context.Context, c Cutoff, now time.Time) (int, error)
	// ListCutoffs returns up to limit cutoffs with Seq greater than after,
	// in Seq order, so that pollers can follow them with a cursor.
	ListCutoffs(ctx context.Context, after int64, limit int) ([]Cutoff, error)
	// NotBefore returns the latest NotBefore of the cutoffs that apply to
	// a token issued to clientID for subject (zero if none): the token is
	// revoked if its iat is before it.
	NotBefore(ctx context.Context, clientID, subject string) (time.Time, error)

	// RevokeSessionGrants revokes the live grants issued in the sign-on
	// session sid that were not authorized for offline access, and
	// returns how many; an empty sid revokes nothing.
	RevokeSessionGrants(ctx context.Context, sid string, now time.Time) (int, error)

	// SuspendClient records s, replacing any suspension of s.ClientID,
	// so the latest decision holds, a shorter one included.
	SuspendClient(ctx context.Context, s Suspension) error
	// ExtendSuspension records s unless a suspension of s.ClientID
	// already lasts until s.Until or later, deciding in one statement so
	// that an automatic suspension never shortens a longer one made
	// meanwhile elsewhere. It returns the end of the suspension in force.
	ExtendSuspension(ctx context.Context, s Suspension) (time.Time, error)
	// ResumeClient ends the suspension of clientID and reports whether
	// one was in force at now.
	ResumeClient(ctx context.Context, clientID string, now time.Time) (bool, error)
	// ListSuspensions returns the suspensions in force at now (Until
	// after now), ordered by client ID.
	ListSuspensions(ctx context.Context, now time.Time) ([]Suspension, error)

	// AppendAudit stores audit events.
	AppendAudit(ctx context.Context, events []AuditEvent) error
	// ListAudit returns the events the filter selects, newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	// DeleteAuditBefore deletes the events older than before and returns
	// how many it deleted. It deletes in batches, each its own statement,
	// so a large backlog never holds the database's locks for long.
	DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error)

	// AddUsage adds counts to the stored ones, row by row (Hour,
	// ClientID, API, Route, Metric, Detail), in one transaction, so that
	// instances counting the same hour add up. batch identifies the call:
	// adding a batch whose ID was added within UsageBatchTTL adds
	// nothing, so a batch retried after a write whose answer was lost is
	// counted once. Counts must not repeat a row; writers that sort them
	// take row locks in one order and cannot deadlock one another.
	AddUsage(ctx context.Context, batch string, counts []UsageCount) error
	// ListUsage returns the counts f selects, summed per period, client,
	// API, route, metric and detail, ordered by those.
	ListUsage(ctx context.Context, f UsageFilter) ([]UsageCount, error)
	// DeleteUsageBefore deletes the counts of hours before before and
	// returns how many rows it deleted, in batches as DeleteAuditBefore.
	DeleteUsageBefore(ctx context.Context, before time.Time) (int64, error)

	// DeleteExpired removes what expired before now and can no longer
	// matter: revocations, cutoffs, single-use marks, pending requests, sessions,
	// codes, refresh tokens, ended client suspensions and the IDs of usage
	// batches (AddUsage). Successor responses of tokens rotated more than
	// MaxRefreshGrace ago are erased.
	DeleteExpired(ctx context.Context, now time.Time) error

	// Ping reports whether the database is reachable.
	Ping(ctx context.Context) error
	// Probe reports whether the database takes a write now: it writes
	// and removes a small row in one transaction, leaving nothing behind.
	// A refusal for the database's state (disk full, read-only, lock
	// timeout) is a *WriteFault. Readiness calls it, at most once a second.
	Probe(ctx context.Context) error
	// Close releases the database handle.
	Close() error
}
