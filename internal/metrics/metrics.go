// Package metrics exposes what an admin watches a node by, in the Prometheus
// text format, on a listen address of its own (metrics.listen, off by
// default) so that it is never public: received activities accepted and
// processed by outcome, deliveries by outcome, the queues' depth and the age
// of their oldest waiting job, failing and unreachable servers, the latency
// of every route, and the database pool.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ruche-social/ruche/spaces"
)

// Metrics is a node's registry. It counts what the federation reports to it
// (it is a federation.Meter), times requests (Middleware), and reads the
// queues and the pool when scraped.
type Metrics struct {
	reg            *prometheus.Registry
	inboxAccepted  prometheus.Counter
	inboxProcessed *prometheus.CounterVec
	inboxBatches   prometheus.Counter
	inboxAlone     prometheus.Counter
	deliveries     *prometheus.CounterVec
	requests       *prometheus.HistogramVec
}

// New makes the registry of a node whose database pool is pool and whose
// queues status reads.
func New(pool *sql.DB, status func(context.Context) (*spaces.FederationStatus, error)) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		inboxAccepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "ruche_inbox_accepted_total",
			Help: "Activities accepted by the inboxes (answered 202 and stored)."}),
		inboxProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ruche_inbox_processed_total",
			Help: "Received activities processed, by outcome: done, ignored, failed (refused by a rule), retry, dead."}, []string{"outcome"}),
		inboxBatches: prometheus.NewCounter(prometheus.CounterOpts{Name: "ruche_inbox_batches_total",
			Help: "Batches of received activities processed, each in one transaction."}),
		inboxAlone: prometheus.NewCounter(prometheus.CounterOpts{Name: "ruche_inbox_alone_total",
			Help: "Received activities a batch left to process on their own: they needed another server or a key, or failed in it."}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ruche_deliveries_total",
			Help: "Delivery attempts, by outcome: done, retry, dead."}, []string{"outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ruche_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route", "method"}),
	}
	m.reg.MustRegister(m.inboxAccepted, m.inboxProcessed, m.inboxBatches, m.inboxAlone, m.deliveries, m.requests,
		collectors.NewDBStatsCollector(pool, "ruche"), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), queues{status})
	return m
}

// InboxAccepted counts an activity an inbox took.
func (m *Metrics) InboxAccepted() { m.inboxAccepted.Inc() }

// InboxProcessed counts a received activity processed with outcome.
func (m *Metrics) InboxProcessed(outcome string) { m.inboxProcessed.WithLabelValues(outcome).Inc() }

// InboxBatch counts a batch of received activities and those it left to
// process on their own.
func (m *Metrics) InboxBatch(taken, alone int) {
	m.inboxBatches.Inc()
	m.inboxAlone.Add(float64(alone))
}

// Delivered counts a delivery attempt with outcome.
func (m *Metrics) Delivered(outcome string) { m.deliveries.WithLabelValues(outcome).Inc() }

// Handler serves the registry.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: nil, Timeout: 10 * time.Second})
}

// Middleware times the requests of a gorilla/mux router by route template
// (never by path, whose ids would make a series per post), once the router
// has matched them.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		route := "other"
		if cr := mux.CurrentRoute(r); cr != nil {
			if tpl, err := cr.GetPathTemplate(); err == nil {
				route = tpl
			}
		}
		m.requests.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
	})
}

// queues reads the queues when the registry is scraped: what waits is a
// state of the database, not a count this process could keep.
type queues struct {
	status func(context.Context) (*spaces.FederationStatus, error)
}

var (
	inboxJobs = prometheus.NewDesc("ruche_inbox_jobs", "Received activities by state.", []string{"state"}, nil)
	delivJobs = prometheus.NewDesc("ruche_delivery_jobs", "Deliveries by state.", []string{"state"}, nil)
	oldest    = prometheus.NewDesc("ruche_queue_oldest_pending_seconds", "Age of the oldest job waiting in each queue (0 when none waits).", []string{"queue"}, nil)
	hosts     = prometheus.NewDesc("ruche_delivery_hosts", "Servers deliveries fail to, by state: failing, unreachable.", []string{"state"}, nil)
	scrapeErr = prometheus.NewDesc("ruche_queue_read_errors", "1 when the queues could not be read for this scrape.", nil, nil)
)

func (queues) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{inboxJobs, delivJobs, oldest, hosts, scrapeErr} {
		ch <- d
	}
}

func (q queues) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := q.status(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(scrapeErr, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(scrapeErr, prometheus.GaugeValue, 0)
	now := time.Now()
	for queue, totals := range map[string][]spaces.QueueTotal{"inbox": st.InboxTotals, "delivery": st.Totals} {
		desc := delivJobs
		if queue == "inbox" {
			desc = inboxJobs
		}
		for _, t := range totals {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(t.N), t.State)
		}
		age := 0.0
		if n, at := spaces.Pending(totals); n > 0 && !at.IsZero() {
			age = max(0, now.Sub(at).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(oldest, prometheus.GaugeValue, age, queue)
	}
	failing, unreachable := 0, 0
	for _, h := range st.FailingHosts {
		if h.UnreachableSince.IsZero() {
			failing++
		} else {
			unreachable++
		}
	}
	ch <- prometheus.MustNewConstMetric(hosts, prometheus.GaugeValue, float64(failing), "failing")
	ch <- prometheus.MustNewConstMetric(hosts, prometheus.GaugeValue, float64(unreachable), "unreachable")
}
