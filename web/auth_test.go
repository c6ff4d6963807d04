package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/node"
	"github.com/ruche-social/ruche/node/nodetest"
	"github.com/ruche-social/ruche/spaces"
)

func TestSetup(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		b := newBrowser(t, n, "en")
		token, err := n.Spaces.NewSetupToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want(t, b.get("/setup?token="+token), http.StatusOK, "Set up your node", `value="`+token+`"`)

		form := func(tok string) url.Values {
			return url.Values{"setup_token": {tok}, "username": {"chief"}, "email": {"chief@example.org"},
				"display_name": {"The Chief"}, "password": {"correct horse battery"}}
		}
		// A wrong code, and a weak password, are refused with a message; nothing is created.
		want(t, b.post("/setup", form("not-the-code")), http.StatusUnprocessableEntity, "This setup code is not valid")
		weak := form(token)
		weak.Set("password", "short")
		p := b.post("/setup", weak)
		want(t, p, http.StatusUnprocessableEntity, "at least 10 characters", `value="chief"`)
		if p.has(`value="short"`) {
			t.Fatal("a password is shown back in the form")
		}
		if has, _ := n.Spaces.HasAdmin(ctx); has {
			t.Fatal("a refused setup created an admin")
		}

		wantRedirect(t, b.post("/setup", form(token)), "/onboarding")
		if b.cookie("ruche_session") == "" {
			t.Fatal("the first admin is not signed in")
		}
		a := account(t, n, "chief")
		if a.User.Role != spaces.RoleAdmin || a.User.Locale != "en" {
			t.Fatalf("first admin: %+v", a.User)
		}
		// Double submit, and the page afterwards: the node is set up.
		other := newBrowser(t, n, "fr")
		p = other.post("/setup", form(token))
		wantRedirect(t, p, "/login")
		want(t, other.open("/setup"), http.StatusOK, "Ce nœud est déjà configuré")
	})
}

func TestSignIn(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		b := newBrowser(t, n, "fr")
		want(t, b.get("/login"), http.StatusOK, "Connexion", `autocomplete="current-password"`)

		// Wrong password: a generic message, 401, the login kept, never the password.
		p := b.post("/login", url.Values{"login": {"alice"}, "password": {"wrong password!"}})
		want(t, p, http.StatusUnauthorized, "Le nom d’utilisateur ou le mot de passe est incorrect", `value="alice"`)
		if p.has("wrong password!") {
			t.Fatal("the password is shown back")
		}
		// Empty fields.
		want(t, b.post("/login", url.Values{}), http.StatusUnauthorized, "incorrect")

		// Success goes where the member was heading, but never off the node.
		wantRedirect(t, b.post("/login", url.Values{"login": {"alice"}, "password": {nodetest.Password}, "next": {"/settings"}}), "/settings")
		b2 := newBrowser(t, n, "en")
		for _, evil := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)"} {
			p := b2.post("/login", url.Values{"login": {"alice"}, "password": {nodetest.Password}, "next": {evil}})
			if p.location != "/" {
				t.Fatalf("next=%q sent the member to %q", evil, p.location)
			}
		}
		// A signed-in member who opens /login goes home.
		wantRedirect(t, b2.get("/login"), "/")

		// Sign out (POST only), twice.
		want(t, b2.get("/logout"), http.StatusMethodNotAllowed, "Cette page ne peut pas être utilisée ainsi")
		wantRedirect(t, b2.post("/logout", nil), "/login")
		want(t, b2.open("/login"), http.StatusOK, "Vous êtes déconnecté") // in alice's language
		wantRedirect(t, b2.get("/settings"), "/login?next=%2Fsettings")
		wantRedirect(t, b2.post("/logout", nil), "/login")
	})
}

func TestSignInThrottled(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		b := newBrowser(t, n, "de")
		for range 5 {
			b.post("/login", url.Values{"login": {"alice"}, "password": {"wrong password!"}})
		}
		p := b.post("/login", url.Values{"login": {"alice"}, "password": {nodetest.Password}})
		want(t, p, http.StatusTooManyRequests, "Zu viele fehlgeschlagene Anmeldungen", "15 Min.")
		if p.header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		if b.cookie("ruche_session") != "" {
			t.Fatal("a throttled sign-in opened a session")
		}
	})
}

func TestSuspendedCannotSignIn(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		b := newBrowser(t, n, "en")
		b.signIn("alice", nodetest.Password)
		if _, err := n.Spaces.Suspend(context.Background(), spaces.Console, "alice"); err != nil {
			t.Fatal(err)
		}
		// The open session ended: back to the sign-in page, told why.
		p := b.get("/settings")
		wantRedirect(t, p, "/login?")
		if !strings.Contains(p.location, "expired=1") {
			t.Fatalf("redirect %s does not say the session ended", p.location)
		}
		want(t, b.post("/login", url.Values{"login": {"alice"}, "password": {nodetest.Password}}), http.StatusForbidden, "This account is suspended")
	})
}

func TestExpiredSession(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		alice := member(t, n, "alice", spaces.RoleMember)
		b := newBrowser(t, n, "fr")
		b.signIn("alice", nodetest.Password)
		form := b.csrf()
		clk.advance(31 * 24 * time.Hour)
		defer clk.advance(-31 * 24 * time.Hour)

		// A form posted with an expired session changes nothing and leads to sign in.
		p := b.post("/settings", url.Values{"csrf": {form}, "display_name": {"Changed"}, "locked_shown": {"1"}})
		wantRedirect(t, p, "/login?")
		if got := account(t, n, "alice"); got.DisplayName != alice.DisplayName {
			t.Fatalf("an expired session changed the profile: %q", got.DisplayName)
		}
		want(t, b.open(p.location), http.StatusOK, "Votre session a pris fin")
	}, withClock(clk))
}

func TestRegister(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		ctx := context.Background()
		_, token, err := n.Spaces.CreateInvitation(ctx, spaces.Console, spaces.NewInvitation{MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, n, "de")
		want(t, b.get("/register"), http.StatusOK, "Einladungslink")
		want(t, b.get("/register?invite=nope"), http.StatusUnprocessableEntity, "Dieser Einladungslink ist ungültig")
		want(t, b.get("/register?invite="+url.QueryEscape(token)), http.StatusOK, "Konto anlegen", `name="invite" value="`+token+`"`)

		count := func() int {
			list, _ := n.Spaces.ListMembers(ctx, spaces.Console, spaces.MemberFilter{})
			return len(list)
		}
		// Empty fields: a message on the first faulty field, nothing created.
		p := b.post("/register", url.Values{"invite": {token}})
		want(t, p, http.StatusUnprocessableEntity, "Geben Sie einen Benutzernamen ein", `aria-invalid="true"`, `href="#f-username"`)
		// Script in every field: shown escaped, never as markup.
		script := `<script>alert(1)</script>`
		p = b.post("/register", url.Values{"invite": {token}, "username": {script}, "email": {script}, "display_name": {script}, "password": {script}})
		want(t, p, http.StatusUnprocessableEntity, "&lt;script&gt;alert(1)&lt;/script&gt;")
		if p.has(script) {
			t.Fatal("script shown unescaped")
		}
		// Oversized name.
		p = b.post("/register", url.Values{"invite": {token}, "username": {"bob"}, "email": {"bob@example.org"},
			"display_name": {strings.Repeat("x", 101)}, "password": {nodetest.Password}})
		want(t, p, http.StatusUnprocessableEntity, "höchstens 100 Zeichen")
		if count() != 0 {
			t.Fatal("bad input created a member")
		}

		good := url.Values{"invite": {token}, "username": {"bob"}, "email": {"bob@example.org"}, "display_name": {"Bob"}, "password": {nodetest.Password}}
		wantRedirect(t, b.post("/register", good), "/onboarding")
		bob := account(t, n, "bob")
		if bob.User.Locale != "de" || !spaces.NeedsOnboarding(bob) {
			t.Fatalf("bob: %+v", bob.User)
		}
		// Double submit: the invitation is used; one member only.
		other := newBrowser(t, n, "en")
		want(t, other.post("/register", good), http.StatusConflict, "This username is taken")
		second := cloneValues(good)
		second.Set("username", "bob2")
		second.Set("email", "bob2@example.org")
		want(t, other.post("/register", second), http.StatusUnprocessableEntity, "This invitation has been used already")
		if count() != 1 {
			t.Fatalf("%d members after a double submit", count())
		}
	})
}

func TestRegistrationsClosed(t *testing.T) {
	closed := func(c *config.Config, _ *node.Options) { c.Registrations = "closed" }
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		b := newBrowser(t, n, "en")
		want(t, b.get("/register?invite=x"), http.StatusForbidden, "invitation link")
		want(t, b.post("/register", url.Values{"username": {"bob"}, "email": {"bob@example.org"}, "password": {nodetest.Password}}),
			http.StatusForbidden, "This node does not take new accounts")
	}, closed)
}

func TestPasswordResetLink(t *testing.T) {
	eachDB(t, func(t *testing.T, n *nodetest.Node) {
		member(t, n, "alice", spaces.RoleMember)
		old := newBrowser(t, n, "en")
		old.signIn("alice", nodetest.Password)
		_, token, err := n.Spaces.CreatePasswordReset(context.Background(), spaces.Console, "alice")
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, n, "fr")
		want(t, b.get("/password/forgot"), http.StatusOK, "Ce nœud n’envoie pas d’e-mails")
		// Without mail there is no form to post (test/interop mails a link through a real SMTP server).
		want(t, b.post("/password/forgot", url.Values{"login": {"alice"}}), http.StatusNotFound)
		want(t, b.get("/password/reset?token=nope"), http.StatusUnprocessableEntity, "Ce lien de mot de passe n’est pas valide")
		want(t, b.get("/password/reset?token="+token), http.StatusOK, "@alice")
		want(t, b.post("/password/reset", url.Values{"token": {token}, "password": {"alice is me 123"}}),
			http.StatusUnprocessableEntity, "ne doit pas contenir le nom d’utilisateur")
		wantRedirect(t, b.post("/password/reset", url.Values{"token": {token}, "password": {"a brand new passphrase"}}), "/login")
		want(t, b.open("/login"), http.StatusOK, "Votre nouveau mot de passe est enregistré")
		want(t, b.post("/password/reset", url.Values{"token": {token}, "password": {"another passphrase"}}), http.StatusUnprocessableEntity, "déjà été utilisé")
		wantRedirect(t, old.get("/settings"), "/login?")
		b.signIn("alice", "a brand new passphrase")
	})
}
