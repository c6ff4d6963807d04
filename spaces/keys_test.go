package spaces_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

// TestFormKeys: a form sent twice publishes once, even when both sendings
// race; the second is told, and PostByKey leads to the first.
func TestFormKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		mustSpace(t, s, alice, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")

		in := spaces.PostInput{Body: "Once", Key: "form-key-0001"}
		p, err := s.CreatePost(ctx, alice, "club", in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.CreatePost(ctx, alice, "club", in)
		wantCode(t, err, "already_published")
		if got, err := s.PostByKey(ctx, alice, in.Key); err != nil || got.ID != p.ID {
			t.Fatalf("post by key: %v %v", got, err)
		}
		if _, err := s.PostByKey(ctx, bob, in.Key); err == nil {
			t.Fatal("another author's key leads to the post")
		}
		// Keys are per author: bob's form may carry the same key.
		if _, err := s.CreatePost(ctx, bob, "club", in); err != nil {
			t.Fatalf("bob's post with alice's key: %v", err)
		}
		_, err = s.CreateComment(ctx, bob, p.ID, spaces.PostInput{Body: "c", Key: "bad key!"})
		wantCode(t, err, "key_invalid")

		// Two sendings at once: one post.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.CreateComment(ctx, bob, p.ID, spaces.PostInput{Body: "Twice?", Key: "comment-key-1"})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("concurrent sendings: %v, %v", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil {
				wantCode(t, err, "already_published")
			}
		}
		comments, _ := s.Comments(ctx, alice, p.ID, "", 10)
		if len(comments) != 1 {
			t.Fatalf("%d comments", len(comments))
		}
	})
}
