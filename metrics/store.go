package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portcullis/portcullis/store"
)

// Store wraps s so that the operations on request paths are timed in
// portcullis_store_operation_duration_seconds. Rare operations (keys,
// clients, the CLI's) pass through untimed.
func (m *Metrics) Store(s store.Store) store.Store {
	if m.storeOps == nil {
		m.storeOps = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portcullis_store_operation_duration_seconds",
			Help:    "Time of store operations on request paths, by operation.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"operation"})
		m.reg.MustRegister(m.storeOps)
	}
	return timedStore{Store: s, ops: m.storeOps}
}

type timedStore struct {
	store.Store
	ops *prometheus.HistogramVec
}

// timed runs f and records its duration under op.
func timed[T any](s timedStore, op string, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	s.ops.WithLabelValues(op).Observe(time.Since(start).Seconds())
	return v, err
}

func (s timedStore) GetClient(ctx context.Context, id string) (store.Client, error) {
	return timed(s, "get_client", func() (store.Client, error) { return s.Store.GetClient(ctx, id) })
}

func (s timedStore) IsRevoked(ctx context.Context, jti string) (bool, error) {
	return timed(s, "is_revoked", func() (bool, error) { return s.Store.IsRevoked(ctx, jti) })
}

func (s timedStore) UseOnce(ctx context.Context, key string, exp time.Time) error {
	_, err := timed(s, "use_once", func() (struct{}, error) { return struct{}{}, s.Store.UseOnce(ctx, key, exp) })
	return err
}

func (s timedStore) GetRefreshToken(ctx context.Context, hash string) (store.RefreshToken, error) {
	return timed(s, "get_refresh_token", func() (store.RefreshToken, error) { return s.Store.GetRefreshToken(ctx, hash) })
}

func (s timedStore) RotateRefreshToken(ctx context.Context, oldHash string, at time.Time, successor []byte, next store.RefreshToken, jti string, jtiExp time.Time) error {
	_, err := timed(s, "rotate_refresh_token", func() (struct{}, error) {
		return struct{}{}, s.Store.RotateRefreshToken(ctx, oldHash, at, successor, next, jti, jtiExp)
	})
	return err
}

func (s timedStore) RetryRefreshToken(ctx context.Context, hash, clientID string, now time.Time, grace time.Duration) ([]byte, error) {
	return timed(s, "retry_refresh_token", func() ([]byte, error) { return s.Store.RetryRefreshToken(ctx, hash, clientID, now, grace) })
}

func (s timedStore) ExchangeAuthCode(ctx context.Context, hash string, now time.Time, jti string, jtiExp time.Time, rt *store.RefreshToken) error {
	_, err := timed(s, "exchange_code", func() (struct{}, error) {
		return struct{}{}, s.Store.ExchangeAuthCode(ctx, hash, now, jti, jtiExp, rt)
	})
	return err
}

func (s timedStore) GetSession(ctx context.Context, idHash string, now time.Time) (store.Session, error) {
	return timed(s, "get_session", func() (store.Session, error) { return s.Store.GetSession(ctx, idHash, now) })
}

func (s timedStore) GetUser(ctx context.Context, id string) (store.User, error) {
	return timed(s, "get_user", func() (store.User, error) { return s.Store.GetUser(ctx, id) })
}
