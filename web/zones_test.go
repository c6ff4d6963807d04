package web

import (
	"slices"
	"testing"
	"time"
)

// TestEventZones: every time zone the event form offers is one the node
// knows, and every language has a default among them.
func TestEventZones(t *testing.T) {
	for _, z := range eventZones {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("%s: %v", z, err)
		}
	}
	for _, loc := range Locales {
		if z, ok := localeZones[loc]; !ok || !slices.Contains(eventZones, z) {
			t.Errorf("%s: default zone %q is not offered", loc, z)
		}
	}
}
