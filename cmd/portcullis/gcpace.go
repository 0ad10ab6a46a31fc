package main

import (
	"os"
	"runtime/debug"
)

// Garbage collector settings for the long-running commands (serve, dev),
// unless the environment sets Go's own GOGC or GOMEMLIMIT, which win.
//
// Portcullis keeps a small live heap (about 2 MiB, with every cache
// bounded) and allocates about 20 to 40 KiB per request. At Go's default
// GOGC of 100 the heap goal stays at its 4 MiB minimum, and at 10,000
// requests a second the collector ran 190 times a second: 17% of the
// process's CPU, a fifth of a gateway request's cost. At 400 it runs a
// quarter as often, for about 10 to 15 MiB more resident memory under
// load. The soft memory limit bounds that trade where the live heap is
// larger: past it the collector runs as often as it must.
const (
	gcPercent   = 400
	memoryLimit = 256 << 20
)

// paceGC applies them.
func paceGC() {
	_, envGC := os.LookupEnv("GOGC")
	_, envLimit := os.LookupEnv("GOMEMLIMIT")
	if envGC || envLimit {
		return
	}
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(memoryLimit)
}
