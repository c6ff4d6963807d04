package federation_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/internal/golden"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

// TestGoldenSpaceDocuments pins what a node serves of a space and its posts:
// the Group, an Article with its languages, themes and file, a comment, a
// note behind a content warning, a poll, an event, an FAQ entry, the collections, and the Group's Announce. Addresses, keys, dates and ids vary
// from run to run and are replaced by placeholders.
func TestGoldenSpaceDocuments(t *testing.T) {
	a := nodetest.New(t, db.SQLite)
	olga := a.Member(t, "olga", spaces.RoleMember)
	name, desc, approval := "Restauration scolaire", "Échanges entre cuisiniers\ndes collèges", spaces.JoinApproval
	if _, err := a.Spaces.CreateSpace(ctx, olga, spaces.NewSpace{Slug: "cantines", SpaceSettings: spaces.SpaceSettings{
		Name: &name, Description: &desc, Languages: []string{"fr", "en"}, JoinPolicy: &approval}}); err != nil {
		t.Fatal(err)
	}
	file, err := a.Spaces.UploadMedia(ctx, olga, bytes.NewReader(pdf), "checklist.pdf", "Liste des allergènes")
	if err != nil {
		t.Fatal(err)
	}
	article, err := a.Spaces.CreatePost(ctx, olga, "cantines", spaces.PostInput{Kind: spaces.KindArticle, Language: "fr",
		Title: "Allergies à la cantine", Summary: "Une méthode", Body: "Commencez par **la liste**. #allergies",
		Themes: []string{"catering", "health"}, AppliesTo: "collèges", Attachments: []string{file.ID},
		Translations: []spaces.TranslationInput{{Language: "en", Title: "Allergies in the canteen", Summary: "A method", Body: "Start with **the list**."}}})
	if err != nil {
		t.Fatal(err)
	}
	comment, err := a.Spaces.CreateComment(ctx, olga, article.ID, spaces.PostInput{Language: "fr", Body: "Merci @olga"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Spaces.PinPost(ctx, olga, article.ID, true); err != nil {
		t.Fatal(err)
	}
	warned, err := a.Spaces.CreatePost(ctx, olga, "cantines", spaces.PostInput{Language: "fr", Body: "Le menu de la semaine prochaine.",
		Warning: &spaces.ContentWarning{Text: "Divulgâchage : le dessert"}})
	if err != nil {
		t.Fatal(err)
	}
	poll, err := a.Spaces.CreatePost(ctx, olga, "", spaces.PostInput{Language: "fr", Body: "Quel jour pour la réunion ?",
		Poll: &spaces.PollInput{Options: []string{"Lundi", "Jeudi"}, ExpiresIn: 48 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	// a fixed date, so that the summary's line of when and where is too
	start := time.Date(2031, 3, 14, 13, 30, 0, 0, time.UTC)
	event, err := a.Spaces.CreatePost(ctx, olga, "cantines", spaces.PostInput{Kind: spaces.KindEvent, Language: "fr",
		Title: "Visite de la cuisine centrale", Body: "Inscription conseillée : **20 places**.",
		Event: &spaces.EventInput{StartsAt: start, EndsAt: start.Add(2 * time.Hour), TimeZone: "Europe/Paris",
			PlaceName: "Cuisine centrale", Address: "12 rue des Écoles\n69003 Lyon", OnlineURL: "https://visio.example/cuisine", Capacity: 20}})
	if err != nil {
		t.Fatal(err)
	}
	faq, err := a.Spaces.CreatePost(ctx, olga, "cantines", spaces.PostInput{Kind: spaces.KindFAQ, Language: "fr",
		Title: "Comment signaler une allergie ?", Body: "Remplissez le **formulaire** avec l'infirmière.",
		FAQ:          &spaces.FAQInput{Category: "Santé"},
		Translations: []spaces.TranslationInput{{Language: "en", Title: "How do I report an allergy?", Body: "Fill in the **form** with the nurse."}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Spaces.CreateDocumentFolder(ctx, olga, "cantines", "", "Menus"); err != nil {
		t.Fatal(err)
	}
	document, err := a.Spaces.UploadDocument(ctx, olga, "cantines", spaces.DocumentUpload{Folder: "Menus", Name: "menu-mars.pdf",
		Description: "Le menu du mois, **allergènes** compris.", Language: "fr", File: bytes.NewReader(pdf)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Spaces.AddDocumentVersion(ctx, olga, document.ID, bytes.NewReader(append(pdf, "% corrigé\n"...)), "menu-mars.pdf"); err != nil {
		t.Fatal(err)
	}
	var update db.Activity
	if err := a.DB.Bun().NewSelect().Model(&update).Where("type = 'Update'").Where("object_uri = ?", a.URL+"/posts/"+document.ID).
		OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	menus, err := a.Spaces.CreateWikiPage(ctx, olga, "cantines", spaces.PostInput{Language: "fr", Title: "Menus",
		Body: "Les menus de la semaine.", Wiki: &spaces.WikiInput{}})
	if err != nil {
		t.Fatal(err)
	}
	page, err := a.Spaces.CreateWikiPage(ctx, olga, "cantines", spaces.PostInput{Language: "fr", Title: "Allergies",
		Body: "Voir [[Menus]] et le **protocole**.", Wiki: &spaces.WikiInput{Parent: "menus"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Spaces.EditWikiPage(ctx, olga, "cantines", "allergies", spaces.PostInput{Title: "Allergies",
		Body: "Voir [[Menus]] et le **protocole** signé.", Wiki: &spaces.WikiInput{Base: 1, Parent: "menus", Summary: "signature"}}); err != nil {
		t.Fatal(err)
	}
	var announce db.Activity
	if err := a.DB.Bun().NewSelect().Model(&announce).Where("type = 'Announce'").Where("object_uri <> ?", a.URL+"/posts/"+article.ID).
		OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		t.Fatal(err)
	}

	ulid := regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{26}`)
	normalize := func(b []byte) []byte {
		var v any
		if err := json.Unmarshal(b, &v); err == nil {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			enc.Encode(v)
			b = buf.Bytes()
		}
		s := strings.ReplaceAll(string(b), a.URL, "https://node.example")
		s = strings.ReplaceAll(s, host(a), "node.example")
		s = regexp.MustCompile(`-----BEGIN PUBLIC KEY-----[^"]*-----END PUBLIC KEY-----\\n`).ReplaceAllString(s, "PEM")
		s = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`).ReplaceAllString(s, `"DATE"`)
		for _, id := range []struct{ id, name string }{{article.ID, "ARTICLE"}, {comment.ID, "COMMENT"}, {warned.ID, "NOTE"}, {file.ID, "FILE"}, {poll.ID, "POLL"}, {event.ID, "EVENT"}, {faq.ID, "FAQ"}, {document.ID, "DOCUMENT"}, {menus.ID, "WIKIPARENT"}, {page.ID, "WIKIPAGE"}} {
			s = strings.ReplaceAll(s, id.id, id.name)
		}
		return []byte(ulid.ReplaceAllString(s, "ULID"))
	}
	get := func(path string) []byte {
		t.Helper()
		status, body := sender{}.get(t, a.URL+path)
		if status != 200 {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		return normalize(body)
	}
	golden.Bytes(t, "group.json", get("/spaces/cantines"))
	golden.Bytes(t, "webfinger-space.json", get("/.well-known/webfinger?resource=acct:cantines@"+host(a)))
	golden.Bytes(t, "article.json", get("/posts/"+article.ID))
	golden.Bytes(t, "comment.json", get("/posts/"+comment.ID))
	golden.Bytes(t, "note-warning.json", get("/posts/"+warned.ID))
	golden.Bytes(t, "question.json", get("/posts/"+poll.ID))
	golden.Bytes(t, "event.json", get("/posts/"+event.ID))
	golden.Bytes(t, "faq.json", get("/posts/"+faq.ID))
	golden.Bytes(t, "document.json", get("/posts/"+document.ID))
	golden.Bytes(t, "update-document.json", get(strings.TrimPrefix(update.URI, a.URL)))
	golden.Bytes(t, "wiki-page.json", get("/posts/"+page.ID))
	golden.Bytes(t, "thread.json", get("/posts/"+article.ID+"/context?page=true"))
	golden.Bytes(t, "members-page.json", get("/spaces/cantines/members?page=true"))
	golden.Bytes(t, "moderators.json", get("/spaces/cantines/moderators"))
	golden.Bytes(t, "announce-create.json", get(strings.TrimPrefix(announce.URI, a.URL)))
}
