package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/mastodon"
	"github.com/ruche-social/ruche/spaces"
)

// appClients call the Mastodon client API in process, as apps signed in by
// some of the members would: the same handlers, token checks and JSON a
// request over the network gets, without the network.
type appClients struct {
	router *mux.Router
	tokens []string
	rng    *rand.Rand
}

func newAppClients(ctx context.Context, s *spaces.Service, members []*spaces.Account, n int) (*appClients, error) {
	api, err := mastodon.New(mastodon.Options{Spaces: s, Origin: "http://feeds.bench.example",
		StaticURL: func(name string) (string, error) { return "/static/" + name, nil }})
	if err != nil {
		return nil, err
	}
	out := &appClients{router: mux.NewRouter(), rng: rand.New(rand.NewPCG(7, 8))}
	api.Mount(out.router)
	app, secret, err := s.RegisterApp(ctx, spaces.NewApp{Name: "bench", RedirectURIs: []string{spaces.OutOfBand}, Scopes: "read"})
	if err != nil {
		return nil, err
	}
	for _, m := range members[:min(n, len(members))] {
		req := spaces.AuthorizationRequest{ResponseType: "code", ClientID: app.ClientID, RedirectURI: spaces.OutOfBand, Scope: "read"}
		code, err := s.Authorize(ctx, m, req)
		if err != nil {
			return nil, err
		}
		tok, err := s.IssueToken(ctx, spaces.TokenRequest{GrantType: "authorization_code", ClientID: app.ClientID, ClientSecret: secret, Code: code})
		if err != nil {
			return nil, err
		}
		out.tokens = append(out.tokens, tok.AccessToken)
	}
	return out, nil
}

// home asks one member's home timeline below max_id (the first page when
// empty) and returns how many statuses came.
func (a *appClients) home(maxID string) (int, error) {
	target := "/api/v1/timelines/home"
	if maxID != "" {
		target += "?max_id=" + url.QueryEscape(maxID)
	}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", "Bearer "+a.tokens[a.rng.IntN(len(a.tokens))])
	rec := httptest.NewRecorder()
	a.router.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return 0, fmt.Errorf("home timeline: %d %s", rec.Code, rec.Body.String())
	}
	var statuses []json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &statuses); err != nil {
		return 0, err
	}
	return len(statuses), nil
}
