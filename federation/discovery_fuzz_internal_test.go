package federation

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzWebFingerResource: whatever resource a WebFinger query names, the
// local name it stands for, when it stands for one, is a lowercase name
// without '/', '@' or spaces, and is found again from its acct: URI written
// with the host in any case.
func FuzzWebFingerResource(f *testing.F) {
	for _, s := range []string{
		"acct:alice@ruche.example", "acct:Alice@RUCHE.EXAMPLE", "acct:@alice@ruche.example",
		"https://ruche.example/@alice", "https://ruche.example/users/alice", "https://ruche.example/spaces/cantines",
		"https://ruche.example/actor", "acct:actor@ruche.example", "acct:alice@other.example",
		"acct:alice@ruche.example@evil.example", "acct:alice@ruche.example:443", "acct:@ruche.example", "acct:ruche.example",
		"acct:a/b@ruche.example", "acct:a b@ruche.example", "https://ruche.example/users/a%2Fb", "https://ruche.example/users/a%40b",
		"https://ruche.example/users/a%20b", "https://ruche.example/@a/b", "https://ruche.example.evil.example/users/alice",
		"https://ruche.example/users/", "https://ruche.example/users/%zz", "mailto:alice@ruche.example", "",
	} {
		f.Add(s)
	}
	fed := &Federation{host: "ruche.example", origin: "https://ruche.example"}
	f.Fuzz(func(t *testing.T, resource string) {
		name, ok := fed.resourceName(resource)
		if !ok {
			return
		}
		if name == "" || name != strings.ToLower(name) || strings.ContainsAny(name, "/@") || strings.ContainsFunc(name, unicode.IsSpace) {
			t.Fatalf("%q names %q", resource, name)
		}
		for _, acct := range []string{"acct:" + name + "@ruche.example", "acct:" + strings.ToUpper(name) + "@RUCHE.EXAMPLE"} {
			if again, ok := fed.resourceName(acct); !ok || again != name {
				t.Fatalf("%q names %q, but %q names %q (%v)", resource, name, acct, again, ok)
			}
		}
	})
}
