package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/portcullis/portcullis/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer Portcullis than this one; running would risk corrupting it.
var ErrSchemaTooNew = errors.New("postgres: database schema is newer than this binary supports")

func loadMigrations() ([]store.Migration, error) { return store.LoadMigrations(migrations) }

// migrate applies the embedded migrations that the schema lacks and refuses
// one that is ahead of this binary. It all happens in one transaction under
// an advisory lock: instances starting together take turns, those that come
// second find the work done, and a failed migration leaves nothing behind
// because PostgreSQL's DDL is transactional.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	latest := ms[len(ms)-1].Version
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Transaction-scoped, so it is released however the transaction
		// ends; a session lock could outlive a failure on a pooled
		// connection. It is taken before CREATE TABLE IF NOT EXISTS, which
		// is not safe against itself running concurrently.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, lockMigrate); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if current > latest {
			return fmt.Errorf("%w (database at %d, binary knows %d)", ErrSchemaTooNew, current, latest)
		}
		for _, m := range ms {
			if m.Version <= current {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %d: %w", m.Version, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version); err != nil {
				return fmt.Errorf("migration %d: %w", m.Version, err)
			}
		}
		return nil
	})
}

// Status reports the schema version of the database at dsn and the latest
// version this binary knows, without changing anything: current is 0 for a
// database never migrated, and greater than latest for one that a newer
// Portcullis migrated, which Open refuses with ErrSchemaTooNew.
func Status(ctx context.Context, dsn string) (current, latest int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, 0, fmt.Errorf("migration status: %w", err)
	}
	latest = ms[len(ms)-1].Version
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, 0, fmt.Errorf("migration status: %w", err)
	}
	defer conn.Close(ctx)
	// to_regclass resolves through search_path and gives NULL rather than
	// an error when the table does not exist yet.
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, 0, fmt.Errorf("migration status: %w", err)
	}
	if !exists {
		return 0, latest, nil
	}
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, 0, fmt.Errorf("migration status: %w", err)
	}
	return current, latest, nil
}
