package redisstate

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/portcullis/portcullis/internal/ratelog"
)

// libraryLog receives go-redis's own messages (a dial that failed, a
// pub/sub connection dropped), which it would otherwise print as plain text
// to standard error, in the middle of the JSON log. It implements go-redis's
// logging interface (internal.Logging), which redis.SetLogger takes.
type libraryLog struct{ log *ratelog.Logger }

// Printf logs one go-redis message as a warning, at most once per
// logInterval for each of go-redis's format strings: the same failure is
// reported by every connection attempt during an outage.
func (l libraryLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.Log(ctx, slog.LevelWarn, format, "redisstate: go-redis", "detail", fmt.Sprintf(format, v...))
}

// routeLibraryLog sends go-redis's messages to log. go-redis has one logger
// for the whole process, so the last Client opened decides where they go;
// a process has one Redis configuration, hence one Client, outside tests.
func routeLibraryLog(log *slog.Logger) {
	redis.SetLogger(libraryLog{log: ratelog.New(log, logInterval)})
}
