package federation_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun/driver/sqliteshim"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/federation"
	"github.com/ruche-social/ruche/internal/dburl"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestNoKeyGeneratedInTransaction: making an RSA key takes tens to hundreds
// of milliseconds; made while a write transaction is open, it held SQLite's
// single write lock all that time, and every other write of the node waited.
// Every key the node makes — a member's, a space's, a rotated one, the
// node's own actor's — is made with no transaction open on its database.
func TestNoKeyGeneratedInTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		inTx := writeTxProbe(t, n)
		var made, underLock atomic.Int32
		federation.OnKeyGeneration(t, func() {
			made.Add(1)
			if inTx() {
				underLock.Add(1)
			}
		})

		olga := n.Member(t, "olga", spaces.RoleMember)
		if _, err := n.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "cantines", SpaceSettings: spaces.SpaceSettings{Name: new("Cantines")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := n.Federation.RotateKey(ctx, "olga"); err != nil {
			t.Fatal(err)
		}
		// The node's own actor, made on a first start.
		if _, err := n.DB.Bun().NewDelete().Table("accounts").Where("username = ? AND domain = ''", federation.InstanceUsername).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := n.Federation.Start(ctx); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/users/olga", "/spaces/cantines", "/actor"} {
			if status, doc := getAS(t, n.URL+path); status != http.StatusOK || publicKeyPEM(doc) == "" {
				t.Fatalf("%s: %d, publicKey %v", path, status, doc["publicKey"])
			}
		}
		if made.Load() != 4 || underLock.Load() != 0 {
			t.Fatalf("%d keys made, %d of them with a write transaction open; want 4 and 0", made.Load(), underLock.Load())
		}
	})
}

// writeTxProbe returns a function telling whether a write transaction is
// open on n's database at that moment: on SQLite, whether the write lock is
// taken (another connection cannot take it); on PostgreSQL, whether a
// session sits idle inside a transaction.
func writeTxProbe(t *testing.T, n *nodetest.Node) func() bool {
	t.Helper()
	if n.DB.Dialect() == db.Postgres {
		return func() bool {
			var open int
			err := n.DB.Bun().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`).Scan(&open)
			if err != nil {
				t.Error(err)
			}
			return open > 0
		}
	}
	path := dburl.SQLitePath(n.Config.Database.URL)
	other, err := sql.Open(sqliteshim.ShimName, "file:"+path+"?_pragma=busy_timeout(0)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return func() bool {
		tx, err := other.BeginTx(context.Background(), nil)
		if err != nil {
			return true // SQLITE_BUSY: someone holds the write lock
		}
		tx.Rollback()
		return false
	}
}

// publicKeyPEM reads the PEM of an actor document's publicKey.
func publicKeyPEM(doc map[string]any) string {
	k, _ := doc["publicKey"].(map[string]any)
	s, _ := k["publicKeyPem"].(string)
	return s
}

// TestKeyMadeOnFirstNeed: an actor's key is stored after the actor itself;
// a crash in between leaves a local actor without a key. It gets one the
// first time it needs it — its document is read, it signs, its profile
// changes — and federates as any other.
func TestKeyMadeOnFirstNeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		a := nodetest.New(t, d.Dialect())
		b := nodetest.New(t, d.Dialect())
		alice := a.Member(t, "alice", spaces.RoleMember)
		carol := a.Member(t, "carol", spaces.RoleMember)
		dave := a.Member(t, "dave", spaces.RoleMember)
		forum, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "forum", SpaceSettings: spaces.SpaceSettings{Name: new("Forum")}})
		if err != nil {
			t.Fatal(err)
		}
		bob := b.Member(t, "bob", spaces.RoleMember)
		inst := account(t, a, federation.InstanceUsername)
		for _, acct := range []*spaces.Account{alice, carol, dave, forum.Account, inst} {
			if err := a.DB.DeleteKeysOf(ctx, acct.ID); err != nil {
				t.Fatal(err)
			}
		}

		// Its document is read: alice, followed from B, answers and posts.
		aliceOnB := resolve(t, b, a, "alice")
		if _, err := b.Spaces.FollowAccount(ctx, bob, aliceOnB, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := followState(t, b, bob, aliceOnB); got != spaces.FollowStateAccepted {
			t.Fatalf("on B, bob's follow of alice is %s", got)
		}
		p, err := a.Spaces.CreatePost(ctx, alice, "", spaces.PostInput{Body: "Signed with a key made late"})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if _, err := b.DB.PostByURI(ctx, a.URL+"/posts/"+p.ID); err != nil {
			t.Fatalf("B has not stored alice's post: %v", err)
		}

		// It signs first: carol's Follow of bob is signed with a key made
		// by the worker, the one B then reads in her document.
		bobOnA := resolve(t, a, b, "bob")
		if _, err := a.Spaces.FollowAccount(ctx, carol, bobOnA, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := followState(t, a, carol, bobOnA); got != spaces.FollowStateAccepted {
			t.Fatalf("on A, carol's follow of bob is %s", got)
		}

		// Its profile changes: the Update carries a key, made for it.
		name := "Dave D."
		if _, err := a.Spaces.UpdateProfile(ctx, dave, spaces.ProfileUpdate{DisplayName: &name}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DB.KeyOfAccount(ctx, dave.ID); err != nil {
			t.Fatalf("dave has no key after his profile changed: %v", err)
		}
		if c, err := a.DB.Bun().NewSelect().Table("activities").Where("actor_id = ? AND type = 'Update'", dave.ID).Count(ctx); err != nil || c != 1 {
			t.Fatalf("dave's profile change sent %d Updates (%v), want 1", c, err)
		}

		// The space and the node's actor serve their keys; bob joins the
		// space, which answers signed with its own.
		for _, path := range []string{"/spaces/forum", "/actor"} {
			if status, doc := getAS(t, a.URL+path); status != http.StatusOK || publicKeyPEM(doc) == "" {
				t.Fatalf("%s: %d, publicKey %v", path, status, doc["publicKey"])
			}
		}
		forumOnB := resolve(t, b, a, "forum")
		if _, err := b.Spaces.FollowAccount(ctx, bob, forumOnB, ""); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if got := followState(t, b, bob, forumOnB); got != spaces.FollowStateAccepted {
			t.Fatalf("on B, bob's join of the forum is %s", got)
		}

		// Each actor has one key, the one its document shows.
		for _, acct := range []*spaces.Account{alice, carol, dave, forum.Account, inst} {
			var keys []db.Key
			if err := a.DB.Bun().NewSelect().Model(&keys).Where("account_id = ?", acct.ID).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("%s has %d keys", acct.Username, len(keys))
			}
		}
	})
}

// TestKeyMadeOnceUnderRace: requests that all find an actor without a key
// each make one, and all use the one stored first: a node never shows two
// keys for one actor (several processes sharing a database race the same
// way).
func TestKeyMadeOnceUnderRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		alice := n.Member(t, "alice", spaces.RoleMember)
		if err := n.DB.DeleteKeysOf(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		const readers = 6
		pems := make([]string, readers)
		var wg sync.WaitGroup
		for i := range pems {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, n.URL+"/users/alice", nil)
				req.Header.Set("Accept", activitystreams.MediaType)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					pems[i] = err.Error()
					return
				}
				defer resp.Body.Close()
				var doc map[string]any
				json.NewDecoder(resp.Body).Decode(&doc)
				pems[i] = fmt.Sprint(resp.StatusCode, " ", publicKeyPEM(doc))
			})
		}
		wg.Wait()
		k, err := n.DB.KeyOfAccount(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, got := range pems {
			if want := fmt.Sprint(http.StatusOK, " ", k.PublicKeyPEM); got != want {
				t.Fatalf("reader %d got %.60q, want %.60q", i, got, want)
			}
		}
		if c, err := n.DB.Bun().NewSelect().Model((*db.Key)(nil)).Where("account_id = ?", alice.ID).Count(ctx); err != nil || c != 1 {
			t.Fatalf("alice has %d keys (%v)", c, err)
		}
	})
}
