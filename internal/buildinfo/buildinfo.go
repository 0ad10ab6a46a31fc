// Package buildinfo holds the version and commit a release build stamps
// into the binary with -ldflags "-X", read by `portcullis version` and the
// portcullis_build_info metric, so both always say the same.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set at release build time (build/release):
//
//	-ldflags "-X github.com/portcullis/portcullis/internal/buildinfo.version=v1.2.3
//	          -X github.com/portcullis/portcullis/internal/buildinfo.commit=<sha>"
var version, commit string

// Version is the stamped version; else the module version when built with
// `go install module@version`; else "devel".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// Commit is the stamped commit; else the VCS revision Go recorded (builds
// without -buildvcs=false in a git checkout); else "unknown".
func Commit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// GoVersion is the Go toolchain the binary was built with.
func GoVersion() string { return runtime.Version() }
