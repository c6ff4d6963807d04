package api_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/db/dbtest"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// multipartBody is a multipart form with fields (in order) and a file.
func multipartBody(t *testing.T, fields [][2]string, filename, content string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, content)
	mw.Close()
	return mw.FormDataContentType(), b.String()
}

func uploadDocument(t *testing.T, c *http.Client, url string, fields [][2]string, filename, content string) response {
	t.Helper()
	ct, body := multipartBody(t, fields, filename, content)
	return call(t, c, http.MethodPost, url, ct, body)
}

func fetchRaw(t *testing.T, c *http.Client, url string) (int, string, http.Header) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// TestDocumentsAPI: members make folders and upload files; a file of the
// same name in the folder is a new version; versions are listed, read and
// restored; the space's setting keeps documents to moderators; deletion
// takes the document away; a space with its documents off answers 404.
func TestDocumentsAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := nodetest.New(t, d.Dialect())
		for _, name := range []string{"alice", "bob"} {
			n.Member(t, name, spaces.RoleMember)
		}
		alice, bob, anon := signIn(t, n, "alice"), signIn(t, n, "bob"), n.Client(t)
		api := n.URL + "/api/ruche/v1"
		want(t, post(t, alice, api+"/spaces", `{"slug":"club","name":"Club"}`), 201, "")
		want(t, post(t, bob, api+"/spaces/club/membership", ``), 200, "")
		docs := api + "/spaces/club/documents"

		want(t, post(t, anon, docs+"/folders", `{"name":"Reports"}`), 401, "")
		want(t, post(t, bob, docs+"/folders", `{"name":"a/b"}`), 422, "folder_invalid")
		r := post(t, bob, docs+"/folders", `{"name":"Reports"}`)
		want(t, r, 201, "")
		if r.body["path"] != "Reports" {
			t.Fatalf("folder: %v", r.body)
		}
		want(t, call(t, bob, "POST", docs, "application/json", `{}`), 415, "unsupported_media_type")
		want(t, uploadDocument(t, bob, docs, [][2]string{{"folder", "Nowhere"}}, "a.pdf", "%PDF-1.4\n"), 404, "folder_not_found")
		want(t, uploadDocument(t, bob, docs, nil, "a.exe", "MZ\x90\x00\x03\x00"), 422, "file_type_not_allowed")

		r = uploadDocument(t, bob, docs, [][2]string{{"folder", "Reports"}, {"description", "The **budget**"}}, "Budget.pdf", "%PDF-1.4\n%one\n")
		want(t, r, 201, "")
		id := r.body["id"].(string)
		if r.body["kind"] != "document" || r.body["title"] != "Budget.pdf" || r.body["folder"] != "Reports" ||
			r.body["current_version"] != 1.0 || r.body["media_type"] != "application/pdf" {
			t.Fatalf("document: %v", r.body)
		}
		r = uploadDocument(t, alice, docs, [][2]string{{"folder", "Reports"}}, "Budget.pdf", "%PDF-1.4\n%two\n")
		want(t, r, 201, "")
		if r.body["id"] != id || r.body["current_version"] != 2.0 {
			t.Fatalf("second upload: %v", r.body)
		}

		r = call(t, anon, "GET", docs, "", "")
		want(t, r, 200, "")
		if fmt.Sprint(r.body["folders"]) != "[map[name:Reports path:Reports]]" || len(r.body["documents"].([]any)) != 0 || r.body["may_add"] != false {
			t.Fatalf("top: %v", r.body)
		}
		r = call(t, bob, "GET", docs+"?folder=Reports", "", "")
		if len(r.body["documents"].([]any)) != 1 || r.body["may_add"] != true {
			t.Fatalf("Reports: %v", r.body)
		}

		one := docs + "/" + id
		r = call(t, anon, "GET", one, "", "")
		want(t, r, 200, "")
		versions := r.body["versions"].([]any)
		if len(versions) != 2 || versions[0].(map[string]any)["number"] != 2.0 ||
			versions[1].(map[string]any)["account"].(map[string]any)["username"] != "bob" || r.body["may_change"] != false {
			t.Fatalf("versions: %v", r.body)
		}
		status, body, h := fetchRaw(t, anon, one+"/versions/1/file")
		if status != 200 || body != "%PDF-1.4\n%one\n" || h.Get("Content-Type") != "application/pdf" {
			t.Fatalf("version 1: %d %q %v", status, body, h)
		}
		want(t, call(t, anon, "GET", one+"/versions/9/file", "", ""), 404, "document_version_not_found")

		want(t, post(t, anon, one+"/versions/1/restore", ``), 401, "")
		r = post(t, alice, one+"/versions/1/restore", ``)
		want(t, r, 201, "")
		if r.body["current_version"] != 3.0 {
			t.Fatalf("restored: %v", r.body)
		}
		if _, body, _ := fetchRaw(t, anon, one+"/versions/0/file"); body != "%PDF-1.4\n%one\n" {
			t.Fatalf("current after restore: %q", body)
		}
		r = uploadDocument(t, bob, one+"/versions", nil, "other-name.pdf", "%PDF-1.4\n%four\n")
		want(t, r, 201, "")
		if r.body["current_version"] != 4.0 || len(r.body["attachments"].([]any)) != 1 {
			t.Fatalf("version 4 (the current file its one attachment): %v", r.body)
		}

		// who adds: the space's setting, in the space's settings
		r = call(t, alice, "PATCH", api+"/spaces/club", "application/json", `{"document_adding":"moderators"}`)
		want(t, r, 200, "")
		if r.body["document_adding"] != "moderators" {
			t.Fatalf("setting: %v", r.body)
		}
		want(t, uploadDocument(t, bob, docs, nil, "b.pdf", "%PDF-1.4\n"), 403, "documents_moderators_only")
		want(t, post(t, bob, one+"/versions/1/restore", ``), 403, "documents_moderators_only")

		// a document of another space is not found through this one
		want(t, post(t, alice, api+"/spaces", `{"slug":"other","name":"Other"}`), 201, "")
		want(t, call(t, anon, "GET", api+"/spaces/other/documents/"+id, "", ""), 404, "document_not_found")

		// off: 404 tool_off; on again: there
		want(t, call(t, alice, "PATCH", api+"/spaces/club", "application/json", `{"tools":["articles"]}`), 200, "")
		want(t, call(t, bob, "GET", docs, "", ""), 404, "tool_off")
		want(t, call(t, alice, "PATCH", api+"/spaces/club", "application/json", `{"tools":["documents"]}`), 200, "")

		want(t, call(t, bob, "DELETE", one, "", ""), 204, "")
		want(t, call(t, anon, "GET", one, "", ""), 410, "post_deleted")
	})
}
