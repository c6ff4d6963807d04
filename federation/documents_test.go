package federation_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// documentOn is a document of a folder on node n as viewer reads it, by
// name, with its versions; it fails when there is none.
func documentOn(t *testing.T, n *nodetest.Node, viewer *spaces.Account, handle, folder, name string) *spaces.DocumentView {
	t.Helper()
	f, err := n.Spaces.SpaceDocuments(ctx, viewer, handle, folder)
	if err != nil {
		t.Fatalf("%s: documents of %s/%s: %v", n.URL, handle, folder, err)
	}
	for _, p := range f.Documents {
		if p.Title == name {
			d, err := n.Spaces.GetDocument(ctx, viewer, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	t.Fatalf("%s: no document %q in %s/%s (%d documents)", n.URL, name, handle, folder, len(f.Documents))
	return nil
}

// fileOn reads the current file of a document on node n: this node's copy.
func fileOn(t *testing.T, n *nodetest.Node, viewer *spaces.Account, id string) string {
	t.Helper()
	v, f, err := n.Spaces.OpenDocumentVersion(ctx, viewer, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if f == nil {
		t.Fatalf("%s: version %d is not copied here (%s)", n.URL, v.Number, v.Media.URI)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

// TestDocumentsTwoNodes: the documents of a space on node A are mirrored
// on node B, whose member joined the space: the folder, the file (copied
// to B) and each new version, never rewritten; B's member adds a document
// and a version of it through B, which A checks and keeps; once A keeps
// documents to its moderators, what B's member sends is refused there.
func TestDocumentsTwoNodes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		clock := nodetest.NewClock()
		a := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		b := nodetest.New(t, d.Dialect(), nodetest.WithClock(clock))
		alice := a.Member(t, "alice", spaces.RoleMember)
		bob := b.Member(t, "bob", spaces.RoleMember)
		name := "Réseau"
		if _, err := a.Spaces.CreateSpace(ctx, alice, spaces.NewSpace{Slug: "reseau", SpaceSettings: spaces.SpaceSettings{Name: &name}}); err != nil {
			t.Fatal(err)
		}
		joinRemote(t, b, a, bob, "reseau")
		nodetest.Drain(t, a, b)
		handle := "reseau@" + host(a)

		if _, err := a.Spaces.CreateDocumentFolder(ctx, alice, "reseau", "", "Plans"); err != nil {
			t.Fatal(err)
		}
		v1, v2 := "%PDF-1.4\n%plan one\n", "%PDF-1.4\n%plan two, revised\n"
		doc, err := a.Spaces.UploadDocument(ctx, alice, "reseau", spaces.DocumentUpload{Folder: "Plans", Name: "plan.pdf",
			Description: "Le plan du **quartier**", Language: "fr", File: strings.NewReader(v1)})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if failed := failedItems(t, b); len(failed) > 0 {
			t.Fatalf("B failed: %v", failed)
		}
		onB := documentOn(t, b, bob, handle, "Plans", "plan.pdf")
		if onB.Post.URI != a.URL+"/posts/"+doc.ID || onB.Post.Document.Current != 1 || len(onB.Versions) != 1 ||
			!strings.Contains(onB.Post.Content, "quartier") || onB.MayChange {
			t.Fatalf("the document on B: %+v %+v", onB.Post, onB.Post.Document)
		}
		if got := fileOn(t, b, bob, onB.Post.ID); got != v1 {
			t.Fatalf("B's copy: %q", got)
		}

		// a new version reaches B as one; a restore as another
		clock.Advance(time.Second)
		if _, err := a.Spaces.UploadDocument(ctx, alice, "reseau", spaces.DocumentUpload{Folder: "Plans", Name: "plan.pdf", File: strings.NewReader(v2)}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if failed := failedItems(t, b); len(failed) > 0 {
			t.Fatalf("B failed: %v", failed)
		}
		onB = documentOn(t, b, bob, handle, "Plans", "plan.pdf")
		if onB.Post.Document.Current != 2 || len(onB.Versions) != 2 || fileOn(t, b, bob, onB.Post.ID) != v2 {
			t.Fatalf("after version 2, B has version %d of %d", onB.Post.Document.Current, len(onB.Versions))
		}
		clock.Advance(time.Second)
		if _, err := a.Spaces.RestoreDocumentVersion(ctx, alice, doc.ID, 1); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		onB = documentOn(t, b, bob, handle, "Plans", "plan.pdf")
		if onB.Post.Document.Current != 3 || len(onB.Versions) != 3 || fileOn(t, b, bob, onB.Post.ID) != v1 {
			t.Fatalf("after the restore, B has version %d of %d", onB.Post.Document.Current, len(onB.Versions))
		}
		// B adds no version to A's document: A's server does
		_, err = b.Spaces.RestoreDocumentVersion(ctx, bob, onB.Post.ID, 2)
		if spaces.AsError(err).Code != "document_remote" {
			t.Fatalf("bob restores A's document on B: %v", err)
		}

		// bob adds a document through B, then a version of it
		mine, err := b.Spaces.UploadDocument(ctx, bob, handle, spaces.DocumentUpload{Folder: "Plans", Name: "notes.txt", File: strings.NewReader("first notes\n")})
		if err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		onA := documentOn(t, a, alice, "reseau", "Plans", "notes.txt")
		if onA.Post.AccountID == alice.ID || onA.Post.Document.Current != 1 || fileOn(t, a, alice, onA.Post.ID) != "first notes\n" {
			t.Fatalf("bob's document on A: %+v", onA.Post.Document)
		}
		clock.Advance(time.Second)
		if _, err := b.Spaces.AddDocumentVersion(ctx, bob, mine.ID, strings.NewReader("second notes\n"), "notes.txt"); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		onA = documentOn(t, a, alice, "reseau", "Plans", "notes.txt")
		if onA.Post.Document.Current != 2 || len(onA.Versions) != 2 || fileOn(t, a, alice, onA.Post.ID) != "second notes\n" {
			t.Fatalf("bob's version on A: %d of %d", onA.Post.Document.Current, len(onA.Versions))
		}

		// A keeps documents to its moderators: what B's member sends is refused
		if _, err := a.Spaces.UpdateSpace(ctx, alice, "reseau", spaces.SpaceSettings{DocumentAdding: strPtr(spaces.PostingModerators)}); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if sp, err := b.Spaces.Space(ctx, bob, handle); err != nil || sp.DocumentAdding != spaces.PostingModerators {
			t.Fatalf("B's copy of the space: %v", err)
		}
		_, err = b.Spaces.UploadDocument(ctx, bob, handle, spaces.DocumentUpload{Name: "tract.pdf", File: strings.NewReader(v1)})
		if spaces.AsError(err).Code != "documents_moderators_only" {
			t.Fatalf("bob uploads on B to a space that keeps documents to moderators: %v", err)
		}
		iri := b.URL + "/posts/01FORGEDDOCUMENT"
		group := a.URL + "/spaces/reseau"
		object := map[string]any{"id": iri, "type": []any{"Document", "Page"}, "attributedTo": b.URL + "/users/bob", "audience": group,
			"to": []string{activitystreams.Public, group}, "name": "tract.pdf", "mediaType": "application/pdf",
			"url":       []any{map[string]any{"type": "Link", "href": b.URL + "/files/01FORGEDFILE", "mediaType": "application/pdf"}},
			"published": clock.Now().Format("2006-01-02T15:04:05Z")}
		body := activity(b.URL+"/activities/01FORGEDDOCCREATE", "Create", b.URL+"/users/bob", object)
		if status := senderOf(t, b, "bob").post(t, group+"/inbox", body, clock.Now(), nil); status != 202 {
			t.Fatalf("A's inbox answered %d", status)
		}
		nodetest.Drain(t, a, b)
		if _, err := a.DB.PostByURI(ctx, iri); err == nil {
			t.Fatal("A stored a document a member may no longer add")
		}
		var items []*db.InboxItem
		if err := a.DB.Bun().NewSelect().Model(&items).Where("activity_uri = ?", b.URL+"/activities/01FORGEDDOCCREATE").Scan(ctx); err != nil ||
			len(items) != 1 || !strings.Contains(items[0].LastError, "documents_moderators_only") {
			t.Fatalf("A's inbox item: %v %+v", err, items)
		}

		// deleted on A: gone on B
		if err := a.Spaces.DeletePost(ctx, alice, doc.ID); err != nil {
			t.Fatal(err)
		}
		nodetest.Drain(t, a, b)
		if f, err := b.Spaces.SpaceDocuments(ctx, bob, handle, "Plans"); err != nil || len(f.Documents) != 1 {
			t.Fatalf("after the deletion, B lists %v (%v)", f, err)
		}
	})
}

func strPtr(s string) *string { return &s }
