package store

import "strings"

// Page sizes of SearchUsers and ListGrants: a zero limit means
// DefaultPageLimit, and no page is longer than MaxPageLimit, so that one
// request cannot make a backend read a whole table into memory.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// PageLimit returns the page size a backend uses for limit.
func PageLimit(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageLimit
	case limit > MaxPageLimit:
		return MaxPageLimit
	}
	return limit
}

// ContainsPattern returns the SQL LIKE pattern, with escape character
// '\', that matches text anywhere in a string. The wildcards % and _ and
// the escape character itself in text are escaped, so that a search for
// "50%_off" finds that text and not every string with "50" in it.
func ContainsPattern(text string) string {
	return "%" + likeEscaper.Replace(text) + "%"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
