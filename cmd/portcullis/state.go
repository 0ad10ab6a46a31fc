package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/portcullis/portcullis/config"
	"github.com/portcullis/portcullis/redisstate"
	"github.com/portcullis/portcullis/store"
	"github.com/portcullis/portcullis/store/postgres"
	"github.com/portcullis/portcullis/store/sqlite"
)

// storeKeys are the configuration keys whose ${VAR}s a command that only
// reads the store needs: the store and the keys that decrypt its signing
// keys.
var storeKeys = []string{"storage", "key_encryption_key", "key_encryption_key_previous"}

// openState loads the configuration and opens the store it names. With
// Redis configured, revocations made through the returned store are
// announced to guards at once; if Redis is down (redisstate logs it) or its
// URL does not parse, the CLI warns and goes on, and guards learn of them
// at their next poll. With readOnly, only the ${VAR}s of storeKeys must be
// set, and Redis, which only hears of changes, is left alone.
func openState(ctx context.Context, path string, readOnly bool) (*config.Config, store.Store, error) {
	var opts []config.Option
	if readOnly {
		opts = append(opts, config.Only(storeKeys...))
	}
	cfg, err := loadConfig(path, opts...)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	if readOnly {
		return cfg, st, nil
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	shared, rs, err := withRedis(ctx, cfg, st, log)
	if err != nil {
		log.Warn("redis unavailable: guards learn of revocations at their next poll", "err", err)
		return cfg, st, nil
	}
	if rs != nil {
		return cfg, closeBoth{shared, rs}, nil
	}
	return cfg, st, nil
}

// withRedis wraps the store with the Redis replay cache and revocation
// announcements when the configuration names a Redis; rs is nil otherwise.
// A Redis that does not answer is no error: the client starts degraded and
// takes Redis up when it answers. Only a URL that does not parse is.
func withRedis(ctx context.Context, cfg *config.Config, st store.Store, log *slog.Logger) (store.Store, *redisstate.Client, error) {
	if cfg.Redis == "" {
		return st, nil, nil
	}
	rs, err := redisstate.Open(ctx, cfg.Redis, log)
	if err != nil {
		return nil, nil, fmt.Errorf("redis: %w", err)
	}
	return rs.Store(st), rs, nil
}

// closeBoth closes the Redis client with the store.
type closeBoth struct {
	store.Store
	rs *redisstate.Client
}

func (c closeBoth) Close() error { c.rs.Close(); return c.Store.Close() }

func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	backend, target, err := cfg.Store()
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if backend == config.Postgres {
		return postgres.Open(ctx, target)
	}
	return sqlite.Open(ctx, target)
}

// printJSON writes v for scripts.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
