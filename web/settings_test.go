package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func TestSettingsProfile(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		b := newBrowser(t, n, "en")
		wantRedirect(t, b.get("/settings"), "/login?next=%2Fsettings")
		b.signIn("alice", nodetest.Password)
		want(t, b.get("/settings"), http.StatusOK, "Paramètres", `value="alice"`)

		script := `<script>alert("x")</script>`
		form := url.Values{"display_name": {script}, "bio": {script + "\nline two"}, "locale": {"de"}, "locked": {"on"}, "locked_shown": {"1"}}
		wantRedirect(t, b.post("/settings", form), "/settings")
		a := account(t, n, "alice")
		if a.DisplayName != script || a.User.Locale != "de" || !a.Locked {
			t.Fatalf("profile not saved: %+v %+v", a, a.User)
		}
		p := b.get("/settings")
		want(t, p, http.StatusOK, "Ihre Änderungen sind gespeichert", "&lt;script&gt;", `<html lang="de">`, `id="f-locked" name="locked" aria-describedby="f-locked-hint" checked`)
		if strings.Contains(p.body, script) {
			t.Fatal("unescaped script on the settings page")
		}
		want(t, b.get("/@alice"), http.StatusOK, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")

		// Bad input: a message on the field, nothing changed.
		for field, text := range map[string]string{
			"display_name": "höchstens 100 Zeichen",
			"bio":          "höchstens 1.000 Zeichen",
		} {
			bad := url.Values{"display_name": {"ok"}, "bio": {"ok"}, "locked_shown": {"1"}}
			bad.Set(field, strings.Repeat("é", 1001))
			want(t, b.post("/settings", bad), http.StatusUnprocessableEntity, text, `href="#f-`+field+`"`)
		}
		want(t, b.post("/settings", url.Values{"locale": {"xx"}}), http.StatusUnprocessableEntity, "Wählen Sie Französisch, Englisch oder Deutsch")
		want(t, b.post("/settings", url.Values{"display_name": {"bad\x01name"}}), http.StatusUnprocessableEntity, "unzulässige Zeichen")
		if got := account(t, n, "alice"); got.DisplayName != script || got.User.Locale != "de" {
			t.Fatalf("refused input changed the profile: %+v", got)
		}
		// Unticking "locked" is saved too.
		b.post("/settings", url.Values{"display_name": {"Alice"}, "locked_shown": {"1"}})
		if account(t, n, "alice").Locked {
			t.Fatal("locked stays on")
		}
	})
}

// TestSettingsAvatar: a member picks a picture, sees it on their pages, is
// told why a PDF is not one, and removes it.
func TestSettingsAvatar(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		b := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)
		form := url.Values{"display_name": {"Alice"}, "locale": {"fr"}}
		want(t, b.postMultipart("/settings", form, upload{"avatar", "me.pdf", pdf}), http.StatusUnprocessableEntity,
			"Choisissez une image (PNG, JPEG, GIF ou WebP)", `href="#f-avatar_id"`)
		if a := account(t, n, "alice"); a.AvatarID != "" {
			t.Fatalf("a PDF became the avatar %q", a.AvatarID)
		}
		wantRedirect(t, b.postMultipart("/settings", form, upload{"avatar", "me.png", tinyPNG}), "/settings")
		a := account(t, n, "alice")
		if a.AvatarID == "" {
			t.Fatal("the picture was not kept")
		}
		img := `<img src="/media/` + a.AvatarID + `"`
		want(t, b.get("/settings"), http.StatusOK, img, "Retirer ma photo")
		anon := newBrowser(t, n, "en")
		want(t, anon.get("/@alice"), http.StatusOK, img)
		if p := anon.get("/media/" + a.AvatarID); p.status != http.StatusOK || p.header.Get("Content-Type") != "image/png" {
			t.Fatalf("an anonymous visitor loads the picture: %d %q", p.status, p.header.Get("Content-Type"))
		}
		// Saving the form without a file keeps the picture; ticking remove drops it.
		wantRedirect(t, b.postMultipart("/settings", form), "/settings")
		if account(t, n, "alice").AvatarID != a.AvatarID {
			t.Fatal("saving without a file dropped the picture")
		}
		form.Set("avatar_remove", "on")
		wantRedirect(t, b.postMultipart("/settings", form), "/settings")
		if account(t, n, "alice").AvatarID != "" {
			t.Fatal("the picture stays after remove")
		}
	})
}

func TestSettingsPasswordAndSessions(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		phone := newBrowser(t, n, "")
		phone.header.Set("User-Agent", "Phone/1.0")
		phone.signIn("alice", nodetest.Password)
		b := newBrowser(t, n, "")
		b.header.Set("User-Agent", "Desktop/2.0")
		b.signIn("alice", nodetest.Password)

		p := b.get("/settings/sessions")
		want(t, p, http.StatusOK, "Phone/1.0", "Desktop/2.0", "Cet appareil")

		want(t, b.post("/settings/password", url.Values{"current_password": {"wrong one!"}, "password": {"a brand new passphrase"}}),
			http.StatusUnprocessableEntity, "Le mot de passe actuel est incorrect", `href="#f-current_password"`)
		want(t, b.post("/settings/password", url.Values{"current_password": {nodetest.Password}, "password": {"short"}}),
			http.StatusUnprocessableEntity, "au moins 10 caractères")
		want(t, b.post("/settings/password", url.Values{"current_password": {nodetest.Password}, "password": {""}}),
			http.StatusUnprocessableEntity, "Saisissez un mot de passe")
		want(t, phone.get("/settings"), http.StatusOK) // still signed in: refused changes change nothing
		wantRedirect(t, b.post("/settings/password", url.Values{"current_password": {nodetest.Password}, "password": {"a brand new passphrase"}}), "/settings/password")
		want(t, b.get("/settings/password"), http.StatusOK, "Votre mot de passe est changé")
		// The phone is signed out; this browser is not.
		wantRedirect(t, phone.get("/settings"), "/login?")
		want(t, b.get("/settings/sessions"), http.StatusOK, "Desktop/2.0")

		// Revoke another session, then this one.
		other := newBrowser(t, n, "")
		other.signIn("alice", "a brand new passphrase")
		sessions, _ := n.Spaces.ListSessions(context.Background(), account(t, n, "alice"))
		if len(sessions) != 2 {
			t.Fatalf("%d sessions", len(sessions))
		}
		var otherID, mine string
		for _, s := range sessions {
			if s.UserAgent == "Desktop/2.0" {
				mine = s.ID
			} else {
				otherID = s.ID
			}
		}
		wantRedirect(t, b.post("/settings/sessions", url.Values{"session": {otherID}}), "/settings/sessions")
		wantRedirect(t, other.get("/settings"), "/login?")
		want(t, b.post("/settings/sessions", url.Values{"session": {"nope"}}), http.StatusNotFound, "Cette session n’existe plus")
		wantRedirect(t, b.post("/settings/sessions", url.Values{"session": {mine}}), "/login")
		wantRedirect(t, b.get("/settings"), "/login?")
	})
}

func TestOnboarding(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		n.Member(t, "newbie", spaces.RoleMember) // not onboarded
		b := newBrowser(t, n, "en")
		p := b.post("/login", url.Values{"login": {"newbie"}, "password": {nodetest.Password}, "next": {"/settings"}})
		wantRedirect(t, p, "/onboarding")
		wantRedirect(t, b.get("/onboarding"), "/onboarding/profile")
		want(t, b.get("/"), http.StatusOK, `href="/onboarding"`) // home invites to start

		want(t, b.get("/onboarding/profile"), http.StatusOK, "Présentez-vous", "étape 1 sur 4", `aria-current="step"`)
		want(t, b.post("/onboarding/profile", url.Values{"display_name": {strings.Repeat("x", 101)}, "bio": {""}}),
			http.StatusUnprocessableEntity, "au plus 100 caractères")
		wantRedirect(t, b.post("/onboarding/profile", url.Values{"display_name": {"New Bie"}, "bio": {"Hello"}}), "/onboarding/language")
		want(t, b.get("/onboarding/language"), http.StatusOK, `value="fr" id="f-locale" checked`)
		want(t, b.post("/onboarding/language", url.Values{"locale": {"tlh"}}), http.StatusUnprocessableEntity, "Choisissez le français")
		wantRedirect(t, b.post("/onboarding/language", url.Values{"locale": {"en"}}), "/onboarding/spaces")
		want(t, b.get("/onboarding/spaces"), http.StatusOK, "Join your first spaces", "step 3 of 4")
		wantRedirect(t, b.post("/onboarding/spaces", nil), "/onboarding/follow")
		want(t, b.get("/onboarding/follow"), http.StatusOK, "Be followed from Mastodon", "@newbie@", "step 4 of 4")
		want(t, b.get("/onboarding/nope"), http.StatusNotFound)
		a := account(t, n, "newbie")
		if a.DisplayName != "New Bie" || a.Bio != "Hello" || a.User.Locale != "en" || !spaces.NeedsOnboarding(a) {
			t.Fatalf("after the steps: %+v %+v", a, a.User)
		}
		wantRedirect(t, b.post("/onboarding/follow", nil), "/")
		want(t, b.get("/"), http.StatusOK, "You are all set")
		if spaces.NeedsOnboarding(account(t, n, "newbie")) {
			t.Fatal("onboarding not complete")
		}
		// Next sign-in goes straight where the member was heading.
		b2 := newBrowser(t, n, "en")
		wantRedirect(t, b2.post("/login", url.Values{"login": {"newbie"}, "password": {nodetest.Password}, "next": {"/settings"}}), "/settings")

		// Skipping completes it too; anonymous visitors are sent to sign in.
		n.Member(t, "skipper", spaces.RoleMember)
		s := newBrowser(t, n, "en")
		s.signIn("skipper", nodetest.Password)
		wantRedirect(t, s.post("/onboarding/finish", nil), "/")
		if spaces.NeedsOnboarding(account(t, n, "skipper")) {
			t.Fatal("skip did not complete the onboarding")
		}
		wantRedirect(t, newBrowser(t, n, "en").get("/onboarding/profile"), "/login?next=%2Fonboarding%2Fprofile")
	})
}
