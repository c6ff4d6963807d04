// Package buildinfo tells which version of Ruche is running.
package buildinfo

import "runtime/debug"

// version is set at link time by the Makefile (-X …/buildinfo.version=v0.1.0).
var version = ""

// Version returns the release version, or the VCS revision of a development
// build, or "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
