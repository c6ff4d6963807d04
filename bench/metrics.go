package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// metrics is one scrape of a node's /metrics (Prometheus text format): the
// value of each series, keyed by its name and labels as the node writes
// them, e.g. `ruche_inbox_processed_total{outcome="done"}`. A series the
// node has not written yet reads 0.
type metrics map[string]float64

// scrape reads the metrics a node serves on metrics.listen.
func scrape(ctx context.Context, url string) (metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: status %d", resp.StatusCode)
	}
	m := metrics{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// Label values may hold spaces; the value is after the last one.
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m, sc.Err()
}

// accepted is the number of activities the node's inboxes accepted.
func (m metrics) accepted() float64 { return m["ruche_inbox_accepted_total"] }

// processed is the number of received activities processed with outcome.
func (m metrics) processed(outcome string) float64 {
	return m[`ruche_inbox_processed_total{outcome="`+outcome+`"}`]
}
