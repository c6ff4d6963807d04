package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestRemotePeopleAndSpaces: a member of one node finds a person and a space
// of another by their handles, opens the person's profile, follows them and
// joins the space — two complete nodes on loopback, real signatures.
func TestRemotePeopleAndSpaces(t *testing.T) {
	for _, d := range []db.Dialect{db.SQLite, db.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			a, b := nodetest.New(t, d), nodetest.New(t, d)
			hostB := strings.TrimPrefix(b.URL, "http://")
			speaks(t, a, member(t, a, "alice", spaces.RoleMember), "en")
			bob := member(t, b, "bob", spaces.RoleMember)
			bio := "Roads & bridges <script>alert(1)</script>"
			if _, err := b.Spaces.UpdateProfile(ctx, bob, spaces.ProfileUpdate{DisplayName: ptr("Bob Voirie"), Bio: &bio}); err != nil {
				t.Fatal(err)
			}
			newSpace(t, b, bob, "club", spaces.SpaceSettings{Name: str("Le club vélo")})

			alice := newBrowser(t, a, "en")
			alice.signIn("alice", nodetest.Password)

			// Search by handle: WebFinger on B, a card linking to the profile here.
			profile := "/@bob@" + hostB
			p := alice.get("/search?" + url.Values{"q": {"@bob@" + hostB}}.Encode())
			want(t, p, http.StatusOK, "Bob Voirie", "@bob@"+hostB, `href="`+profile+`"`, "Roads &amp; bridges")
			if p.has("<script>alert") {
				t.Fatal("a remote bio is shown unescaped")
			}

			// The card has a Follow button; so has the remote profile.
			search := "/search?" + url.Values{"q": {"@bob@" + hostB}}.Encode()
			want(t, p, http.StatusOK, `action="`+profile+`/follow"`, `name="follow" value="1"`)
			p = alice.get(profile)
			want(t, p, http.StatusOK, "<h1 class=\"profile__name\">Bob Voirie</h1>", hostB, `action="`+profile+`/follow"`, "Roads &amp; bridges")
			wantRedirect(t, alice.post(profile+"/follow", url.Values{"follow": {"1"}, "next": {search}}), search)
			want(t, alice.get(search), http.StatusOK, "Your request is sent", `name="follow" value="0"`)
			want(t, alice.get(profile), http.StatusOK, "Request sent")
			nodetest.Drain(t, a, b)
			bobOnA, err := a.Spaces.Account(ctx, nil, "bob@"+hostB, false)
			if err != nil {
				t.Fatal(err)
			}
			if f, err := a.Spaces.FollowOf(ctx, account(t, a, "alice"), bobOnA); err != nil || f == nil || f.State != spaces.FollowStateAccepted {
				t.Fatalf("alice's follow of bob: %+v %v", f, err)
			}
			followers, err := b.Spaces.Followers(ctx, bob, bob, spaces.FollowPage{Limit: 10})
			if err != nil || len(followers) != 1 || followers[0].Follower.Username != "alice" {
				t.Fatalf("bob's followers on B: %v %v", followers, err)
			}
			want(t, alice.get(profile), http.StatusOK, "Following")

			// A space of B: found by its handle, joined from its page here.
			space := "/spaces/club@" + hostB
			clubSearch := "/search?" + url.Values{"q": {"club@" + hostB}}.Encode()
			want(t, alice.get(clubSearch), http.StatusOK, "Le club vélo", `href="`+space+`"`, `action="`+space+`/join"`)
			wantRedirect(t, alice.get("/@club@"+hostB), space)
			wantRedirect(t, alice.post(space+"/join", url.Values{"next": {clubSearch}}), clubSearch)
			nodetest.Drain(t, a, b)
			want(t, alice.get(clubSearch), http.StatusOK, "Le club vélo")
			if p := alice.get(clubSearch); p.has(`action="` + space + `/join"`) {
				t.Fatal("a member is offered to join again")
			}
			members, err := b.Spaces.SpaceMembers(ctx, bob, "club", spaces.MemberPage{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			joined := false
			for _, m := range members {
				joined = joined || (m.Account.Username == "alice" && m.State == spaces.StateActive)
			}
			if !joined {
				t.Fatalf("alice is not a member of the club on B: %v", members)
			}

			// A person the node cannot find is a translated not-found page.
			want(t, alice.get("/@nobody@"+hostB), http.StatusNotFound)
		})
	}
}
