// Package pgtest gives tests an empty PostgreSQL schema of their own in the
// database named by PORTCULLIS_TEST_POSTGRES, and skips them when it is not
// set.
package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DSN returns the test database's DSN or skips the test.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("PORTCULLIS_TEST_POSTGRES")
	if dsn == "" {
		tb.Skip("PORTCULLIS_TEST_POSTGRES not set: set it to a PostgreSQL DSN, for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable, to run the PostgreSQL tests")
	}
	return dsn
}

// FreshSchema creates an empty, uniquely named schema, drops it when the
// test ends, and returns the test DSN with its search_path set to it, so
// that every test starts from nothing and leaves nothing behind.
func FreshSchema(tb testing.TB) string {
	tb.Helper()
	dsn := DSN(tb)
	ctx := context.Background()
	name := "portcullis_test_" + strings.ToLower(rand.Text())
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to PORTCULLIS_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+name); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+name+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return WithParam(dsn, "search_path", name)
}

// WithParam sets a run-time parameter in a URL or key=value DSN; value must
// need no quoting.
func WithParam(dsn, key, value string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " " + key + "=" + value
}
