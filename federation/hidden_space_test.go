package federation_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestHiddenSpaceInbox: an outsider's signed Follow of a members-only space
// gets the answer of a space that does not exist (404), by its inbox, and
// no answer at all by the shared inbox (no Reject); nothing is stored. An
// invited account's Follow is taken.
func TestHiddenSpaceInbox(t *testing.T) {
	a, b := nodetest.New(t, db.SQLite), nodetest.New(t, db.SQLite)
	owner := a.Member(t, "owner", spaces.RoleMember)
	b.Member(t, "mallory", spaces.RoleMember)
	b.Member(t, "ines", spaces.RoleMember)
	name, members, invite := "Board", spaces.VisibilityMembers, spaces.JoinInvite
	if _, err := a.Spaces.CreateSpace(ctx, owner, spaces.NewSpace{Slug: "board", SpaceSettings: spaces.SpaceSettings{
		Name: &name, Visibility: &members, JoinPolicy: &invite}}); err != nil {
		t.Fatal(err)
	}
	resolve(t, a, b, "ines")
	if _, _, err := a.Spaces.InviteToSpace(ctx, owner, "board", spaces.SpaceInvite{Handle: "ines@" + host(b)}); err != nil {
		t.Fatal(err)
	}
	mallory, ines := senderOf(t, b, "mallory"), senderOf(t, b, "ines")
	follow := func(s sender, id, inbox, group string) (int, string) {
		t.Helper()
		return s.send(t, inbox, activity(b.URL+"/follows/"+id, "Follow", s.actor, group), time.Now(), nil)
	}
	hidden, hiddenBody := follow(mallory, "1", a.URL+"/spaces/board/inbox", a.URL+"/spaces/board")
	none, noneBody := follow(mallory, "2", a.URL+"/spaces/nothing/inbox", a.URL+"/spaces/nothing")
	if hidden != http.StatusNotFound || hidden != none || hiddenBody != noneBody {
		t.Fatalf("a hidden space answers %d %q, a missing one %d %q", hidden, hiddenBody, none, noneBody)
	}
	if got := mallory.post(t, a.URL+"/spaces/board/inbox", activity(b.URL+"/follows/3", "Follow", mallory.actor, a.URL+"/spaces/board"), time.Now(),
		func(r *http.Request) { r.Header.Del("Signature") }); got != http.StatusUnauthorized {
		t.Fatalf("an unsigned Follow of a hidden space: %d", got)
	}
	nodetest.Drain(t, a, b)
	before := count(t, a, "deliveries")
	if status, _ := follow(mallory, "4", a.URL+"/inbox", a.URL+"/spaces/board"); status != http.StatusAccepted {
		t.Fatalf("the shared inbox answered %d", status)
	}
	nodetest.Drain(t, a, b)
	if n := count(t, a, "deliveries") - before; n != 0 {
		t.Fatalf("the node answered the outsider: %d deliveries", n)
	}
	if status, _ := follow(ines, "5", a.URL+"/spaces/board/inbox", a.URL+"/spaces/board"); status != http.StatusAccepted {
		t.Fatalf("the invited account's Follow: %d", status)
	}
	nodetest.Drain(t, a, b)
	if state := membershipState(t, a, remote(t, a, b.URL+"/users/ines"), "board"); state != spaces.StateActive {
		t.Fatalf("the invited account is %s", state)
	}
}
