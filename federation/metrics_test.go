package federation_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestMetrics: a node with metrics.listen counts what its inbox accepted and
// processed, its deliveries, its requests by route, and reads its queues and
// its pool when scraped.
func TestMetrics(t *testing.T) {
	a := nodetest.New(t, db.SQLite, func(c *config.Config, _ *node.Options) { c.Metrics.Listen = "127.0.0.1:0" })
	b := nodetest.New(t, db.SQLite)
	a.Member(t, "alice", spaces.RoleMember)
	b.Member(t, "bob", spaces.RoleMember)
	if a.Metrics == nil {
		t.Fatal("no metrics with metrics.listen set")
	}
	bob := senderOf(t, b, "bob")
	if status := bob.post(t, a.URL+"/users/alice/inbox", activity(b.URL+"/follows/1", "Follow", bob.actor, a.URL+"/users/alice"), time.Now(), nil); status != http.StatusAccepted {
		t.Fatalf("follow: %d", status)
	}
	nodetest.Drain(t, a, b)
	rec := httptest.NewRecorder()
	a.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"ruche_inbox_accepted_total 1\n",
		`ruche_inbox_processed_total{outcome="done"} 1` + "\n",
		"ruche_inbox_batches_total 1\n",
		"ruche_inbox_alone_total 0\n",                     // a follow by an account the node knows needs no other server
		`ruche_deliveries_total{outcome="done"} 1` + "\n", // the Accept
		`ruche_http_request_duration_seconds_count{method="POST",route="/users/{name}/inbox"} 1` + "\n",
		`ruche_inbox_jobs{state="done"} 1` + "\n",
		`ruche_delivery_jobs{state="done"} 1` + "\n",
		`ruche_queue_oldest_pending_seconds{queue="delivery"} 0` + "\n",
		`ruche_delivery_hosts{state="unreachable"} 0` + "\n",
		`go_sql_open_connections{db_name="ruche"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the metrics lack %q", strings.TrimSpace(want))
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}
