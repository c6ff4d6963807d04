package federation_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func reportRatio(b *testing.B, opsPerSec float64) {
	b.ReportMetric(opsPerSec, "ops/s")
	b.ReportMetric(opsPerSec/federation.RSASignRateForBench(), "x_rsa_sign")
}

// BenchmarkDeliveries100: one activity to 100 followers on 100 inboxes (100
// servers on loopback that answer 202), signed and posted by the delivery
// workers; ops/s counts deliveries.
func BenchmarkDeliveries100(b *testing.B) {
	a := nodetest.New(b, db.SQLite)
	alice := a.Member(b, "alice", spaces.RoleMember)
	for i := range 100 {
		sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusAccepted)
		}))
		b.Cleanup(sink.Close)
		f, err := a.Spaces.SaveRemoteAccount(ctx, spaces.RemoteProfile{URI: sink.URL + "/users/u", Type: "Person",
			Username: fmt.Sprintf("u%d", i), InboxURI: sink.URL + "/users/u/inbox"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Spaces.FollowAccount(ctx, f, alice, sink.URL+"/follows/1"); err != nil {
			b.Fatal(err)
		}
	}
	drain(b, a) // the Accepts
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("Alice %d", i)
		if _, err := a.Spaces.UpdateProfile(ctx, alice, spaces.ProfileUpdate{DisplayName: &name}); err != nil {
			b.Fatal(err)
		}
		if n, err := a.Federation.RunUntilIdle(ctx); err != nil || n < 100 {
			b.Fatalf("%d deliveries, %v", n, err)
		}
	}
	reportRatio(b, float64(100*b.N)/time.Since(start).Seconds())
}

// BenchmarkInboxAccept: signed activities posted to an inbox and accepted
// (verified and stored, answered 202); the sender's key is cached.
func BenchmarkInboxAccept(b *testing.B) {
	a := nodetest.New(b, db.SQLite)
	s := nodetest.New(b, db.SQLite)
	a.Member(b, "alice", spaces.RoleMember)
	s.Member(b, "bob", spaces.RoleMember)
	bob := senderOf(b, s, "bob")
	inbox := a.URL + "/users/alice/inbox"
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		body := activity(fmt.Sprintf("%s/activities/%d", s.URL, i), "Like", bob.actor, a.URL+"/users/alice")
		if got := bob.post(b, inbox, body, time.Now(), nil); got != http.StatusAccepted {
			b.Fatalf("status %d", got)
		}
	}
	reportRatio(b, float64(b.N)/time.Since(start).Seconds())
}
