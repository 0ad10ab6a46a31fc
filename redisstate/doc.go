// Package redisstate owns the fast state several Portcullis instances share
// through Redis: replay caches, login throttle counters and revocation
// notices. PostgreSQL alone keeps every guarantee; Redis only makes them
// faster.
//
// Open connects to one Redis server (6.2 or later, for SET PXAT); Redis
// Cluster is not supported. Three things use the Client:
//
//   - Client.Store decorates a store.Store: UseOnce marks single-use keys
//     (private_key_jwt assertion jtis) with one atomic SET NX in Redis
//     instead of a database write, and RevokeToken, RevokeGrant,
//     RevokeAll, RevokeSessionGrants, DeleteClient and DeleteUser publish
//     a revocation notice once the store has committed.
//   - Client.Throttle counts failed sign-ins for every instance at once.
//   - Client.SubscribeRevocations tells a guard of each notice, so that it
//     polls the issuer's revocation list at once instead of at its interval.
//
// # When Redis fails
//
// Every call has a short deadline. When Redis does not answer, UseOnce
// falls back to the decorated store, the throttle to an in-memory
// users.Throttle, and publishing is skipped (guards still poll at their
// interval). The outage is logged once, and its end once; while it lasts
// one call a second tries Redis and the others fall back at once, so only
// that call waits for Redis. Open itself fails when Redis cannot be
// reached, so that a wrong URL is found at start.
//
// Run Redis with maxmemory-policy noeviction (its default): a full Redis
// then refuses writes and Portcullis falls back, where an evicting one
// would silently drop replay marks.
//
// # What the replay cache trades
//
// A mark lives in Redis only, so the store alone no longer knows it. A
// replay can therefore slip through in two cases: Redis restarts without
// persistence and forgets its marks, or an instance falls back to the store
// while others still use Redis (marks on one side are unknown to the
// other). Both windows close when the marked assertions expire, and
// Portcullis accepts assertions for at most an hour. Deployments that must
// refuse every replay even then run Redis with appendonly persistence and
// a reliable network to it, or leave Redis out: the database then decides
// alone, at the price of one write per assertion.
//
// # Keys
//
// Every key starts with "portcullis:". Replay marks are
// "portcullis:once:" followed by the hex SHA-256 of the store key, and
// throttle entries "portcullis:throttle:" followed by the hex SHA-256 of
// the throttle's rules and key, so Redis never holds a raw jti, username
// or address, and throttles with different rules never share an entry.
// Notices go to the channel "portcullis:revocations"; their payload is the
// time of the revocation in Unix milliseconds and nothing else.
package redisstate
