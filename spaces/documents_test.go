package spaces_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/spaces"
)

const pdfV1, pdfV2 = "%PDF-1.4\n%first\n", "%PDF-1.4\n%second, longer\n"

func mustUpload(t *testing.T, s *spaces.Service, by *spaces.Account, slug, folder, name, content string) *spaces.Post {
	t.Helper()
	p, err := s.UploadDocument(context.Background(), by, slug, spaces.DocumentUpload{Folder: folder, Name: name, File: strings.NewReader(content)})
	if err != nil {
		t.Fatalf("%s uploads %q: %v", by.Username, name, err)
	}
	return p
}

// readVersion reads the file of a document's version as viewer.
func readVersion(t *testing.T, s *spaces.Service, viewer *spaces.Account, id string, n int) string {
	t.Helper()
	v, f, err := s.OpenDocumentVersion(context.Background(), viewer, id, n)
	if err != nil {
		t.Fatalf("open version %d: %v", n, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || v.Media.Size != int64(len(b)) {
		t.Fatalf("version %d: %v, size %d of %d", n, err, v.Media.Size, len(b))
	}
	return string(b)
}

// TestDocuments: members add files into folders; a file of the same name
// in the same folder is a new version; any version is read, and restoring
// one adds a version sharing its file; search finds a document by its name
// and its description; deletion takes it and its files away.
func TestDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{MediaDir: t.TempDir()})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		eve := mustMember(t, s, "eve", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")

		// folders: made by members, nested, checked
		_, err := s.CreateDocumentFolder(ctx, eve, "club", "", "Reports")
		wantCode(t, err, "not_member")
		for _, bad := range []string{"", "a/b", strings.Repeat("x", 61), ".."} {
			_, err := s.CreateDocumentFolder(ctx, bob, "club", "", bad)
			wantCode(t, err, "folder_invalid")
		}
		_, err = s.CreateDocumentFolder(ctx, bob, "club", "Nowhere", "Sub")
		wantCode(t, err, "folder_not_found")
		if p, err := s.CreateDocumentFolder(ctx, bob, "club", "", " Reports "); err != nil || p != "Reports" {
			t.Fatalf("folder: %q %v", p, err)
		}
		if p, err := s.CreateDocumentFolder(ctx, bob, "club", "Reports", "2026"); err != nil || p != "Reports/2026" {
			t.Fatalf("subfolder: %q %v", p, err)
		}

		// uploads: into a folder that exists, of an accepted type and size
		_, err = s.UploadDocument(ctx, bob, "club", spaces.DocumentUpload{Folder: "Elsewhere", Name: "a.pdf", File: strings.NewReader(pdfV1)})
		wantCode(t, err, "folder_not_found")
		_, err = s.UploadDocument(ctx, bob, "club", spaces.DocumentUpload{Name: "x.exe", File: strings.NewReader("MZ\x90\x00\x03\x00\x00\x00\x04\x00")})
		wantCode(t, err, "file_type_not_allowed")
		_, err = s.UploadDocument(ctx, bob, "club", spaces.DocumentUpload{Name: "", File: strings.NewReader(pdfV1)})
		wantCode(t, err, "document_name_invalid")
		_, err = s.UploadDocument(ctx, eve, "club", spaces.DocumentUpload{Name: "a.pdf", File: strings.NewReader(pdfV1)})
		wantCode(t, err, "not_member")

		doc := mustUpload(t, s, bob, "club", "Reports/2026", "Budget.pdf", pdfV1)
		if doc.Kind != spaces.KindDocument || doc.Title != "Budget.pdf" || doc.Document == nil ||
			doc.Document.Folder != "Reports/2026" || doc.Document.Current != 1 || len(doc.Document.Versions) != 1 ||
			doc.Document.Versions[0].Media.MediaType != "application/pdf" {
			t.Fatalf("document: %+v %+v", doc, doc.Document)
		}
		// the same name (whatever its case) in the same folder: a new version
		v2 := mustUpload(t, s, ann, "club", "Reports/2026", "budget.PDF", pdfV2)
		if v2.ID != doc.ID || v2.Document.Current != 2 || v2.EditedAt.IsZero() {
			t.Fatalf("second upload: %s (want %s), version %d", v2.ID, doc.ID, v2.Document.Current)
		}
		// the same name elsewhere: another document
		other := mustUpload(t, s, bob, "club", "", "Budget.pdf", pdfV1)
		if other.ID == doc.ID {
			t.Fatal("a file in another folder joined the document")
		}

		view, err := s.GetDocument(ctx, bob, doc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(view.Versions) != 2 || view.Versions[0].Number != 2 || view.Versions[0].AccountID != ann.ID ||
			view.Versions[1].AccountID != bob.ID || !view.MayChange {
			t.Fatalf("versions: %+v", view.Versions)
		}
		if readVersion(t, s, bob, doc.ID, 1) != pdfV1 || readVersion(t, s, bob, doc.ID, 0) != pdfV2 {
			t.Fatal("the versions' files differ from the uploads")
		}
		_, _, err = s.OpenDocumentVersion(ctx, bob, doc.ID, 9)
		wantCode(t, err, "document_version_not_found")

		// restore: a new version with the old file; the history stays
		restored, err := s.RestoreDocumentVersion(ctx, ann, doc.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if restored.Document.Current != 3 || readVersion(t, s, bob, doc.ID, 0) != pdfV1 || readVersion(t, s, bob, doc.ID, 2) != pdfV2 {
			t.Fatalf("restored: version %d", restored.Document.Current)
		}
		view, _ = s.GetDocument(ctx, bob, doc.ID)
		if len(view.Versions) != 3 || view.Versions[0].RestoredFrom != 1 {
			t.Fatalf("after restore: %+v", view.Versions[0])
		}
		_, err = s.RestoreDocumentVersion(ctx, ann, doc.ID, 7)
		wantCode(t, err, "document_version_not_found")
		_, err = s.RestoreDocumentVersion(ctx, eve, doc.ID, 1)
		wantCode(t, err, "not_member")
		// ann watches the space she made: she is told of bob's new document,
		// not of each version
		ns, err := s.Notifications(ctx, ann, spaces.NotificationPage{})
		if err != nil {
			t.Fatal(err)
		}
		var told []string
		for _, n := range ns {
			if n.Kind == spaces.NotifyNewPost {
				told = append(told, n.PostID)
			}
		}
		if !slices.Equal(told, []string{other.ID, doc.ID}) {
			t.Fatalf("ann was told of %v, want the two documents bob added", told)
		}
		// a new version whatever the file's name
		if p, err := s.AddDocumentVersion(ctx, bob, doc.ID, strings.NewReader(pdfV2), "budget-v4.pdf"); err != nil || p.Document.Current != 4 {
			t.Fatalf("version 4: %v", err)
		}

		// listing: the folder's subfolders and documents
		top, err := s.SpaceDocuments(ctx, eve, "club", "")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(top.Folders, []string{"Reports"}) || len(top.Documents) != 1 || top.Documents[0].ID != other.ID || top.MayAdd {
			t.Fatalf("top: %v, %d documents, may add %v", top.Folders, len(top.Documents), top.MayAdd)
		}
		in, err := s.SpaceDocuments(ctx, bob, "club", "Reports/2026")
		if err != nil || len(in.Documents) != 1 || in.Documents[0].Document.Current != 4 || !in.MayAdd {
			t.Fatalf("Reports/2026: %+v %v", in, err)
		}
		_, err = s.SpaceDocuments(ctx, bob, "club", "Nope")
		wantCode(t, err, "folder_not_found")

		// search: by name and by description
		described, err := s.UploadDocument(ctx, bob, "club", spaces.DocumentUpload{Name: "notes.txt",
			Description: "Minutes of the général assembly", File: strings.NewReader("minutes\n")})
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]string{"budget": doc.ID, "general": described.ID} {
			res, err := s.Search(ctx, bob, q, spaces.SearchPosts, spaces.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(res.Posts, func(p *spaces.Post) bool { return p.ID == want }) {
				t.Fatalf("search %q misses the document", q)
			}
		}

		// its author edits the description; an upload of its name is still its version
		if e, err := s.EditPost(ctx, bob, described.ID, spaces.PostInput{Title: "Minutes.txt", Body: "Minutes, *corrected*"}); err != nil ||
			e.Title != "Minutes.txt" || !strings.Contains(e.Content, "<em>corrected</em>") || e.Document.Current != 1 {
			t.Fatalf("the edit of a description: %v", err)
		}
		if p := mustUpload(t, s, bob, "club", "", "notes.txt", "minutes, second\n"); p.ID != described.ID || p.Document.Current != 2 {
			t.Fatalf("after the edit, an upload of its name: %s version %d", p.ID, p.Document.Current)
		}
		_, err = s.EditPost(ctx, bob, described.ID, spaces.PostInput{Title: "x", Body: "y", Document: &spaces.DocumentInput{Version: 9}})
		wantCode(t, err, "document_not_allowed")

		// the export: bob's documents, and the versions he and ann added
		ex, err := s.ExportData(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		var exported *spaces.ExportPost
		for i := range ex.Posts {
			if ex.Posts[i].ID == doc.ID {
				exported = &ex.Posts[i]
			}
		}
		if exported == nil || exported.Document == nil || exported.Document.Folder != "Reports/2026" || exported.Document.Current != 4 {
			t.Fatalf("export: the document is %+v", exported)
		}
		var mine []int
		for _, v := range ex.DocumentVersions {
			if v.Document == doc.ID {
				mine = append(mine, v.Number)
			}
		}
		if !slices.Equal(mine, []int{1, 4}) {
			t.Fatalf("export: bob's versions %v, want [1 4]", mine)
		}
		if ex, _ := s.ExportData(ctx, ann); len(ex.DocumentVersions) != 2 || ex.DocumentVersions[1].RestoredFrom != 1 ||
			ex.DocumentVersions[1].File.Name != "Budget.pdf" {
			t.Fatalf("export: ann's versions %+v", ex.DocumentVersions)
		}

		// deletion: the author's or a moderator's; files and versions go
		if err := s.DeletePost(ctx, ann, doc.ID); err != nil {
			t.Fatal(err)
		}
		_, err = s.GetDocument(ctx, bob, doc.ID)
		wantCode(t, err, "post_deleted")
		in, _ = s.SpaceDocuments(ctx, bob, "club", "Reports/2026")
		if len(in.Documents) != 0 {
			t.Fatal("a deleted document is listed")
		}
		// its name is free again
		if p := mustUpload(t, s, bob, "club", "Reports/2026", "Budget.pdf", pdfV1); p.Document.Current != 1 {
			t.Fatalf("a new document after the deletion has version %d", p.Document.Current)
		}
	})
}

// TestDocumentRights: the space's setting keeps documents to moderators;
// a switched-off tool refuses uploads and shows nothing, keeping what was
// there; an archived space refuses; a members-only space's documents are
// for its members.
func TestDocumentRights(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{MediaDir: t.TempDir()})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		bob := mustMember(t, s, "bob", spaces.RoleMember)
		eve := mustMember(t, s, "eve", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		mustJoin(t, s, bob, "club")
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Visibility: str(spaces.VisibilityMembers)}); err != nil {
			t.Fatal(err)
		}
		doc := mustUpload(t, s, bob, "club", "", "plan.pdf", pdfV1)

		_, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{DocumentAdding: str("everyone")})
		wantCode(t, err, "document_adding_invalid")
		_, err = s.UpdateSpace(ctx, bob, "club", spaces.SpaceSettings{DocumentAdding: str(spaces.PostingModerators)})
		if err == nil {
			t.Fatal("a member changed who adds documents")
		}
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{DocumentAdding: str(spaces.PostingModerators)}); err != nil {
			t.Fatal(err)
		}
		_, err = s.UploadDocument(ctx, bob, "club", spaces.DocumentUpload{Name: "b.pdf", File: strings.NewReader(pdfV1)})
		wantCode(t, err, "documents_moderators_only")
		_, err = s.AddDocumentVersion(ctx, bob, doc.ID, strings.NewReader(pdfV2), "plan.pdf")
		wantCode(t, err, "documents_moderators_only")
		_, err = s.RestoreDocumentVersion(ctx, bob, doc.ID, 1)
		wantCode(t, err, "documents_moderators_only")
		_, err = s.CreateDocumentFolder(ctx, bob, "club", "", "Mine")
		wantCode(t, err, "documents_moderators_only")
		// the same rule through the generic door
		_, err = s.CreatePost(ctx, bob, "club", spaces.PostInput{Kind: spaces.KindDocument, Title: "c.pdf"})
		wantCode(t, err, "documents_moderators_only")
		if v, err := s.GetDocument(ctx, bob, doc.ID); err != nil || v.MayChange {
			t.Fatalf("bob reads the document (%v) and may change it: %v", err, v != nil && v.MayChange)
		}
		mustUpload(t, s, ann, "club", "", "plan.pdf", pdfV2)

		// members-only: outsiders see no space
		_, err = s.SpaceDocuments(ctx, eve, "club", "")
		wantCode(t, err, "space_not_found")
		_, err = s.GetDocument(ctx, eve, doc.ID)
		wantCode(t, err, "post_not_found")
		_, _, err = s.OpenDocumentVersion(ctx, nil, doc.ID, 1)
		wantCode(t, err, "post_not_found")
		_, err = s.UploadDocument(ctx, eve, "club", spaces.DocumentUpload{Name: "b.pdf", File: strings.NewReader(pdfV1)})
		wantCode(t, err, "space_not_found")

		// switched off: nothing added or listed; switched on: all there
		var others []string
		for _, tool := range spaces.Tools {
			if tool != spaces.ToolDocuments {
				others = append(others, tool)
			}
		}
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: others}); err != nil {
			t.Fatal(err)
		}
		_, err = s.UploadDocument(ctx, ann, "club", spaces.DocumentUpload{Name: "b.pdf", File: strings.NewReader(pdfV1)})
		wantCode(t, err, "tool_off")
		_, err = s.SpaceDocuments(ctx, bob, "club", "")
		wantCode(t, err, "tool_off")
		_, err = s.GetDocument(ctx, bob, doc.ID)
		wantCode(t, err, "tool_off")
		if _, err := s.UpdateSpace(ctx, ann, "club", spaces.SpaceSettings{Tools: spaces.Tools}); err != nil {
			t.Fatal(err)
		}
		if top, err := s.SpaceDocuments(ctx, bob, "club", ""); err != nil || len(top.Documents) != 1 || top.Documents[0].Document.Current != 2 {
			t.Fatalf("after switching on: %v", err)
		}

		// archived: read-only
		if _, err := s.ArchiveSpace(ctx, ann, "club", true); err != nil {
			t.Fatal(err)
		}
		_, err = s.UploadDocument(ctx, ann, "club", spaces.DocumentUpload{Name: "b.pdf", File: strings.NewReader(pdfV1)})
		wantCode(t, err, "space_archived")
		_, err = s.RestoreDocumentVersion(ctx, ann, doc.ID, 1)
		wantCode(t, err, "space_archived")
		if readVersion(t, s, bob, doc.ID, 1) != pdfV1 {
			t.Fatal("an archived space's document is unreadable")
		}
	})
}

// TestDocumentLimits: the node's documents limits (size, types) apply,
// apart from the limit of other uploads; the types a node may configure
// are those the domain recognises.
func TestDocumentLimits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		s, _ := newService(t, d, spaces.Options{MediaDir: dir, MaxUpload: 1 << 20, DocumentMaxUpload: 2 << 20,
			DocumentTypes: []string{"application/pdf"}})
		ann := mustMember(t, s, "ann", spaces.RoleMember)
		mustSpace(t, s, ann, "club", spaces.SpaceSettings{})
		big := pdfV1 + strings.Repeat("x", 3<<19) // 1.5 MiB: over media's limit, within documents'
		if p := mustUpload(t, s, ann, "club", "", "big.pdf", big); p.Document.Versions[0].Media.Size != int64(len(big)) {
			t.Fatal("size")
		}
		_, err := s.UploadDocument(ctx, ann, "club", spaces.DocumentUpload{Name: "huge.pdf", File: strings.NewReader(pdfV1 + strings.Repeat("x", 2<<20))})
		wantCode(t, err, "file_too_large")
		_, err = s.UploadDocument(ctx, ann, "club", spaces.DocumentUpload{Name: "a.txt", File: strings.NewReader("plain text\n")})
		wantCode(t, err, "file_type_not_allowed")
		_, err = s.UploadDocument(ctx, ann, "club", spaces.DocumentUpload{Name: "e.pdf", File: strings.NewReader("")})
		wantCode(t, err, "file_empty")
		// nothing refused was kept
		top, err := s.SpaceDocuments(ctx, ann, "club", "")
		if err != nil || len(top.Documents) != 1 {
			t.Fatalf("documents: %v", err)
		}
	})
	if got, want := spaces.UploadTypes(), config.DocumentTypes; !sameSet(got, want) {
		t.Fatalf("the domain accepts %v, the configuration offers %v", got, want)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestReceivedDocuments: a remote space's Group announces a document: it
// is kept in its folder (made here), with the version number its server
// gives, its file a link until copied under the documents' limits; an
// edit that brings a higher version adds it, one with a version kept
// already changes nothing; a name the folder has already is kept apart.
func TestReceivedDocuments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, _ := newService(t, d, spaces.Options{MediaDir: t.TempDir(), MaxUpload: 1 << 20, DocumentMaxUpload: 2 << 20,
			DocumentTypes: []string{"application/pdf"}})
		alice := mustMember(t, s, "alice", spaces.RoleMember)
		group := remoteActor(t, d, spaces.TypeGroup, "reseau", "ville-b.example")
		bob := remoteActor(t, d, spaces.TypePerson, "bob", "ville-b.example")
		if _, err := s.SaveRemoteSpace(ctx, group, spaces.RemoteSpace{}); err != nil {
			t.Fatal(err)
		}
		file := spaces.RemoteFile{URI: "https://ville-b.example/files/1", MediaType: "application/pdf", Name: "plan.pdf"}
		in := spaces.PostInput{Kind: spaces.KindDocument, HTML: true, URI: "https://ville-b.example/posts/d1", Title: "plan.pdf",
			RemoteAttachments: []spaces.RemoteFile{file}, Document: &spaces.DocumentInput{Folder: "Plans/2026", Version: 3, File: &file}}
		p, err := s.ReceiveGroupPost(ctx, group, bob, "", in)
		if err != nil {
			t.Fatal(err)
		}
		if p.Document == nil || p.Document.Folder != "Plans/2026" || p.Document.Current != 3 || p.Content != "" {
			t.Fatalf("the received document: %+v %+v", p, p.Document)
		}
		handle := "reseau@ville-b.example"
		top, err := s.SpaceDocuments(ctx, alice, handle, "Plans")
		if err != nil || !slices.Equal(top.Folders, []string{"Plans/2026"}) {
			t.Fatalf("the folders made for it: %+v %v", top, err)
		}
		// not copied yet: a link to its server
		v, f, err := s.OpenDocumentVersion(ctx, alice, p.ID, 0)
		if err != nil || f != nil || v.Media.URI != file.URI {
			t.Fatalf("the file before its copy: %+v %v", v, err)
		}
		// copied under the documents' limits: beyond media's, within documents'
		big := pdfV1 + strings.Repeat("x", 3<<19)
		if _, err := s.CacheRemoteMedia(ctx, v.Media.ID, strings.NewReader(big)); err != nil {
			t.Fatalf("a document's file within the documents' limit: %v", err)
		}
		if got := readVersion(t, s, alice, p.ID, 3); got != big {
			t.Fatal("the copy differs")
		}

		// an edit with a newer version adds it; one with a kept version does not
		file2 := spaces.RemoteFile{URI: "https://ville-b.example/files/2", MediaType: "text/plain", Name: "plan.txt"}
		edit := spaces.PostInput{HTML: true, Title: "plan.pdf", Body: "<p>Revu</p>", Document: &spaces.DocumentInput{Version: 4, File: &file2}}
		if e, err := s.EditPost(ctx, bob, p.ID, edit); err != nil || e.Document.Current != 4 || !strings.Contains(e.Content, "Revu") {
			t.Fatalf("the edit with version 4: %v", err)
		}
		if e, err := s.EditPost(ctx, bob, p.ID, edit); err != nil || e.Document.Current != 4 {
			t.Fatalf("the same edit again: %v", err)
		}
		view, err := s.GetDocument(ctx, alice, p.ID)
		if err != nil || len(view.Versions) != 2 || view.MayChange {
			t.Fatalf("versions: %+v %v", view, err)
		}
		// a type the node does not accept in documents stays a link
		if _, err := s.CacheRemoteMedia(ctx, view.Versions[0].MediaID, strings.NewReader("plain text\n")); spaces.AsError(err).Code != "file_type_not_allowed" {
			t.Fatalf("a text file copied where documents are PDF only: %v", err)
		}
		// a local member may not add a version to another server's document
		_, err = s.RestoreDocumentVersion(ctx, alice, p.ID, 3)
		if err == nil {
			t.Fatal("a version was added here to another server's document")
		}

		// the same name again in the folder: another document, kept apart
		in.URI, in.Document = "https://ville-b.example/posts/d2", &spaces.DocumentInput{Folder: "Plans/2026", File: &file}
		in.RemoteAttachments = []spaces.RemoteFile{{URI: "https://ville-b.example/files/3", MediaType: "application/pdf", Name: "plan.pdf"}}
		twin, err := s.ReceiveGroupPost(ctx, group, bob, "", in)
		if err != nil || twin.ID == p.ID || twin.Document.Current != 1 {
			t.Fatalf("a second document of the same name: %+v %v", twin, err)
		}
	})
}
