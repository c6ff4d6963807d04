package mastodon

import (
	"net/http"
	"net/url"

	"github.com/ruche-social/ruche/spaces"
)

// Pages go newest first, as Mastodon's: max_id asks for what is older than
// an id, since_id and min_id for what is newer. Ruche's ids are ULIDs, which
// sort by time as Mastodon's snowflakes do.

const (
	defaultLimit = 20
	maxLimit     = 40
)

// readPage reads a request's parameters and its page.
func readPage(w http.ResponseWriter, r *http.Request) (params, spaces.Page, error) {
	p, err := readParams(w, r)
	if err != nil {
		return nil, spaces.Page{}, err
	}
	pg, err := page(p)
	return p, pg, err
}

// page reads max_id, since_id, min_id and limit.
func page(p params) (spaces.Page, error) {
	limit, err := p.int("limit", defaultLimit)
	if err != nil {
		return spaces.Page{}, err
	}
	if limit <= 0 || limit > maxLimit {
		limit = maxLimit
	}
	since := p.get("since_id")
	if since == "" {
		since = p.get("min_id")
	}
	return spaces.Page{Before: p.get("max_id"), Since: since, Limit: limit}, nil
}

// setLink sets the Link header of a page whose items have ids (newest first):
// "next" for older items, "prev" for newer, on the request's own address.
func setLink(w http.ResponseWriter, r *http.Request, origin string, ids []string) {
	if len(ids) == 0 {
		return
	}
	link := func(rel, key, id string) string {
		q := url.Values{}
		for k, vs := range r.URL.Query() {
			switch k {
			case "max_id", "since_id", "min_id", "access_token":
			default:
				q[k] = vs
			}
		}
		q.Set(key, id)
		return "<" + origin + r.URL.Path + "?" + q.Encode() + `>; rel="` + rel + `"`
	}
	w.Header().Set("Link", link("next", "max_id", ids[len(ids)-1])+", "+link("prev", "min_id", ids[0]))
}

// limitOf reads limit for lists that are not feeds.
func limitOf(p params) (int, error) {
	n, err := p.int("limit", defaultLimit)
	if n <= 0 || n > maxLimit*2 {
		n = maxLimit * 2
	}
	return n, err
}
