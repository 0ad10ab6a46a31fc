package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgInstances is how many Portcullis instances share the PostgreSQL store.
const pgInstances = 3

// postgresDSN and redisURL are the -store postgres servers, from the
// environment the store's own tests read.
func postgresDSN() string {
	if v := os.Getenv("PORTCULLIS_TEST_POSTGRES"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func redisURL() string {
	if v := os.Getenv("PORTCULLIS_TEST_REDIS"); v != "" {
		return v
	}
	return "redis://127.0.0.1:6379/0"
}

// freshDatabase creates an empty database beside the DSN's and returns
// its DSN and a function that drops it.
func freshDatabase(ctx context.Context) (string, func(), error) {
	dsn := postgresDSN()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, fmt.Errorf("postgres %s: %w", dsn, err)
	}
	name := fmt.Sprintf("portcullis_bench_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, fmt.Errorf("postgres: create database: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		conn.Close(context.Background())
	}
	return u.String(), drop, nil
}

// runPostgres measures tokens and introspections at three Portcullis
// instances sharing a fresh PostgreSQL database and Redis, all on the
// server core, the load generator's workers spread over them; the CPU
// per request is that of the three together.
func runPostgres(ctx context.Context, e *env) ([]*measurement, error) {
	dsn, drop, err := freshDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer drop()
	all := &server{name: tPGx3}
	defer all.stop()
	var tokens, introspects []string
	issuer := ""
	for i := range pgInstances {
		s, err := newPortcullis(ctx, e, portcullisConfig{storage: dsn, redis: redisURL(), issuer: issuer})
		if err != nil {
			return nil, fmt.Errorf("instance %d: %w", i+1, err)
		}
		issuer = s.issuer // the first instance's, for all three
		all.procs = append(all.procs, s.procs...)
		tokens = append(tokens, s.tokenURL)
		introspects = append(introspects, s.introspectURL)
	}
	first := &server{name: all.name, tokenURL: tokens[0]}
	token, err := getToken(ctx, first)
	if err != nil {
		return nil, err
	}
	treq := tokenRequest(all)
	treq.URLs = tokens
	mt, err := measure(ctx, e, all, treq)
	if err != nil {
		return nil, err
	}
	ireq := introspectRequest(all, token)
	ireq.URLs = introspects
	mi, err := measure(ctx, e, all, ireq)
	if err != nil {
		return nil, err
	}
	mt.Scenario, mi.Scenario = "pg-token", "pg-introspect"
	mt.Target, mi.Target = tPGx3, tPGx3
	return []*measurement{mt, mi}, nil
}

// tPGx3 is the PostgreSQL target's name.
const tPGx3 = "portcullis x3 postgres"
