//go:build !unix

package sqlite

// writable reports nothing where there is no access(2): the probe's write
// alone tells whether the store takes writes.
func writable(path string) error { return nil }
