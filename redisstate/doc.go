// Package redisstate owns the fast state several Portcullis instances share
// through Redis: replay caches, login throttle counters and revocation
// notices. PostgreSQL alone keeps every guarantee; Redis only makes them
// faster.
//
// Open connects to one Redis server (6.2 or later, for SET PXAT); Redis
// Cluster is not supported. Three things use the Client:
//
//   - Client.Store decorates a store.Store: UseOnce screens single-use
//     keys (private_key_jwt assertion jtis) with one atomic SET NX in
//     Redis, which refuses a replay it knows of without a database write,
//     and RevokeToken, RevokeGrant, RevokeAll, RevokeSessionGrants,
//     DeleteClient and DeleteUser publish a revocation notice once the
//     store has committed.
//   - Client.Throttle counts sign-in attempts for every instance at once.
//   - Client.SubscribeRevocations tells a guard of each notice, so that it
//     polls the issuer's revocation list at once instead of at its interval.
//   - Client.PublishChange and Client.SubscribeChanges carry change notices
//     of any topic the same way: TopicAPIs tells every authorization server
//     to reload the stored APIs (authserver.Server.ReloadAPIs) at once
//     instead of at its next poll.
//   - Client.DPoPReplay is the replay cache of DPoP proofs (RFC 9449) for
//     the guards and gateways of one API, one namespace per checker.
//   - Client.Limiter decides rate limits (usage.Limiter) for every
//     instance at once, with github.com/go-redis/redis_rate's GCRA.
//
// # When Redis fails
//
// Every call has a short deadline. When Redis does not answer, UseOnce
// leaves the decision to the decorated store, the throttle counts in an
// in-memory users.Throttle, the rate limiter reports an error (usage.Gate
// then lets authenticated callers pass and counts client addresses in
// memory), and publishing is skipped (guards still poll at their
// interval), except that DPoPReplay, which has no database
// behind it, fails closed: its UseOnce returns an error and the guard
// answers 503. The outage is logged once, and its end once (at
// most once a minute each, however Redis flaps); while it lasts the Client
// pings Redis every second, one call a second tries it too, and the others
// go on without it at once, so only that call waits for Redis. Open does
// not fail when Redis cannot be reached: the instance starts degraded,
// Client.Healthy says so (for /readyz), and the Client and the revocation
// subscription take Redis up again when it answers. go-redis's own
// messages go to the same slog.Logger, one line a minute for each kind.
//
// # Single use whatever Redis does
//
// A key is used only when the decorated store's UseOnce succeeds: Redis
// may refuse early, never accept. So a Redis that stalls, is cut off,
// restarts empty or is flushed costs speed, never a replay: a mark it
// forgot is still in the database. Redis persistence is not needed. The
// one thing Redis can do wrongly is refuse a key the database never
// marked, when a call marked it in Redis and then failed at the database;
// single-use values are not retried, so that refusal is the safe answer.
//
// Run Redis with maxmemory-policy noeviction (its default): a full Redis
// then refuses writes and Portcullis goes on without it, where an
// evicting one would silently drop throttle entries.
//
// # Keys
//
// Every key starts with "portcullis:". Replay marks are
// "portcullis:once:" followed by the hex SHA-256 of the store key, and
// throttle entries "portcullis:throttle:" followed by the hex SHA-256 of
// the throttle's rules and key, and DPoP proof marks "portcullis:dpop:"
// followed by the namespace, a colon and the hex SHA-256 of the proof's
// key and jti, and rate limit allowances "rate:portcullis:limit:" followed
// by the hex SHA-256 of the limit's name and key (redis_rate's own prefix
// first), so Redis never holds a raw jti, username, client ID or address,
// and throttles with different rules never share an entry.
// Notices go to the channel "portcullis:" followed by their topic
// ("portcullis:revocations", "portcullis:apis"); their payload is the
// time of the change in Unix milliseconds and nothing else.
package redisstate
