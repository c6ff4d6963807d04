package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestPollsPages: a note with a poll, written in the composer; a member
// votes with the form, then sees the results and their choice; the author
// sees the results and no form; a vote the domain refuses says why.
func TestPollsPages(t *testing.T) {
	clk := &clock{}
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		clk.mu.Lock()
		clk.t = time.Now().UTC()
		clk.mu.Unlock()
		alice := speaks(t, n, member(t, n, "alice", spaces.RoleMember), "en")
		speaks(t, n, member(t, n, "bob", spaces.RoleMember), "fr")
		newSpace(t, n, alice, "club", spaces.SpaceSettings{Name: str("Club")})

		a := newBrowser(t, n, "en")
		a.signIn("alice", nodetest.Password)
		wantRedirect(t, a.postMultipart("/compose", url.Values{"space": {"club"}, "body": {"When do we meet?"}, "next": {"/spaces/club"},
			"poll_option": {"Monday", " ", "Friday", ""}, "poll_duration": {"3d"}}), "/spaces/club")
		feed, err := n.Spaces.SpaceFeed(context.Background(), alice, "club", spaces.Page{})
		if err != nil || len(feed) != 1 || feed[0].Poll == nil || len(feed[0].Poll.Options) != 2 {
			t.Fatalf("the note written: %v %v", feed, err)
		}
		p := feed[0]
		want(t, a.get("/spaces/club"), http.StatusOK, "Monday", "Friday", "0 people voted")
		if a.get("/spaces/club").has(`action="/posts/` + p.ID + `/votes"`) {
			t.Error("the author is offered a vote")
		}

		b := newBrowser(t, n, "fr")
		b.signIn("bob", nodetest.Password)
		want(t, b.get("/posts/"+p.ID), http.StatusOK, `action="/posts/`+p.ID+`/votes"`, "Choisissez une réponse", `type="radio"`)
		want(t, b.post("/posts/"+p.ID+"/votes", url.Values{"choice": {"0", "1"}}), http.StatusUnprocessableEntity, "Choisissez une des réponses")
		wantRedirect(t, b.post("/posts/"+p.ID+"/votes", url.Values{"choice": {"1"}, "next": {"/posts/" + p.ID}}), "/posts/"+p.ID)
		page := b.get("/posts/" + p.ID)
		want(t, page, http.StatusOK, "votre choix", "100 %", "1 personne a voté")
		if page.has(`action="/posts/` + p.ID + `/votes"`) {
			t.Error("the form is offered again after the vote")
		}
		want(t, b.post("/posts/"+p.ID+"/votes", url.Values{"choice": {"0"}}), http.StatusConflict, "déjà voté")

		// Once it has ended, its voter and its author are told.
		clk.advance(4 * 24 * time.Hour)
		if _, err := n.Spaces.ClosePolls(context.Background()); err != nil {
			t.Fatal(err)
		}
		want(t, b.get("/notifications"), http.StatusOK, "Un sondage auquel vous avez pris part est terminé", `href="/posts/`+p.ID+`"`)
		want(t, a.get("/notifications"), http.StatusOK, "A poll you took part in has ended")
	}, withClock(clk))
}
