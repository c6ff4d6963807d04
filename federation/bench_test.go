package federation_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation"
	"github.com/ruche-social/ruche/federation/transport"
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
	nodetest.Drain(b, a) // the Accepts
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

// BenchmarkInboxIngest: signed activities posted by 50 concurrent senders
// and accepted (verified, stored, answered 202); the requests are signed
// before the clock starts, as they would be on the senders' own machines.
func BenchmarkInboxIngest(b *testing.B) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			a := nodetest.New(b, dialect)
			s := nodetest.New(b, dialect)
			a.Member(b, "alice", spaces.RoleMember)
			s.Member(b, "bob", spaces.RoleMember)
			bob := senderOf(b, s, "bob")
			inbox := a.URL + "/users/alice/inbox"
			type signed struct {
				body []byte
				hdr  http.Header
			}
			n := b.N
			reqs := make([]signed, n)
			for i := range reqs {
				body := activity(fmt.Sprintf("%s/activities/ingest-%d-%d", s.URL, time.Now().UnixNano(), i), "Like", bob.actor, a.URL+"/users/alice")
				req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
				req.Header.Set("Content-Type", activitystreams.MediaType)
				if err := transport.SignRequest(req, bob.keyID, bob.key, body, time.Now()); err != nil {
					b.Fatal(err)
				}
				reqs[i] = signed{body, req.Header}
			}
			// The node has met the sender before, as a busy inbox has: its
			// key is fetched once here, not by every sender of a short run.
			warm := activity(s.URL+"/activities/ingest-warm-up-"+fmt.Sprint(time.Now().UnixNano()), "Like", bob.actor, a.URL+"/users/alice")
			if status := bob.post(b, inbox, warm, time.Now(), nil); status != http.StatusAccepted {
				b.Fatalf("warm-up: status %d", status)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var next atomic.Int64
			b.SetParallelism(25) // 50 senders on 2 cores
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := reqs[next.Add(1)-1]
					req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(r.body))
					req.Header = r.hdr.Clone()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			reportRatio(b, float64(n)/time.Since(start).Seconds())
		})
	}
}

// BenchmarkInboxProcess: received activities (Likes, and every tenth an
// Update of the sender's profile) taken from the inbox table and processed
// by the workers; ops/s counts activities.
func BenchmarkInboxProcess(b *testing.B) {
	for _, dialect := range []db.Dialect{db.SQLite, db.Postgres} {
		b.Run(string(dialect), func(b *testing.B) {
			a := nodetest.New(b, dialect)
			s := nodetest.New(b, dialect)
			a.Member(b, "alice", spaces.RoleMember)
			s.Member(b, "bob", spaces.RoleMember)
			bob := resolve(b, a, s, "bob")
			_, doc := getAS(b, bob.URI)
			var items []*db.InboxItem
			now := time.Now().UTC()
			for i := range b.N {
				id := fmt.Sprintf("%s/activities/process-%d", s.URL, i)
				body := activity(id, "Like", bob.URI, a.URL+"/posts/1")
				typ := "Like"
				if i%10 == 9 {
					typ, body = "Update", activity(id, "Update", bob.URI, doc)
				}
				at := now.Add(time.Duration(i) * time.Microsecond) // received one after the other
				items = append(items, &db.InboxItem{ID: ulid.Make().String(), ActivityURI: id, Type: typ, ActorURI: bob.URI,
					Host: host(s), Body: string(body), State: db.JobPending, NextAt: at, ReceivedAt: at})
			}
			for start := 0; start < len(items); start += 200 {
				batch := items[start:min(start+200, len(items))]
				if _, err := a.DB.Bun().NewInsert().Model(&batch).Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			start := time.Now()
			if _, err := a.Federation.RunUntilIdle(ctx); err != nil {
				b.Fatal(err)
			}
			reportRatio(b, float64(b.N)/time.Since(start).Seconds())
		})
	}
}
