package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// spaceCard is a space in a list, with what the list shows of it.
type spaceCard struct {
	Space      *spaces.Space
	Members    int
	Membership *spaces.Membership // the viewer's, nil if none
}

// spaceCards adds member counts and the viewer's memberships to a list.
func (w *Web) spaceCards(r *http.Request, rq *request, list []*spaces.Space) ([]spaceCard, error) {
	counts, err := w.spaces.MemberCounts(r.Context(), list)
	if err != nil {
		return nil, err
	}
	ms, err := w.spaces.MembershipsAmong(r.Context(), rq.viewer, list)
	if err != nil {
		return nil, err
	}
	out := make([]spaceCard, len(list))
	for i, sp := range list {
		out[i] = spaceCard{Space: sp, Members: counts[sp.AccountID], Membership: ms[sp.AccountID]}
	}
	return out, nil
}

type directoryView struct {
	Spaces       []spaceCard
	Query        string
	Theme        string
	Language     string
	Visibility   string
	Visibilities []string
	Languages    []string
	More         string
	MayCreate    bool
}

// directory: GET /spaces?q=&theme=&language=&visibility=&after= — the spaces
// the visitor may see, to find and join.
func (w *Web) directory(rw http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	f := spaces.SpaceFilter{Query: q.Get("q"), Theme: q.Get("theme"), Language: q.Get("language"),
		Visibility: q.Get("visibility"), After: q.Get("after"), Limit: feedPage}
	view := directoryView{Query: f.Query, Theme: f.Theme, Language: f.Language, Visibility: f.Visibility,
		Visibilities: spaces.SpaceVisibilities, Languages: spaceLanguages, MayCreate: w.spaces.MayCreateSpace(rq.viewer)}
	form := newForm(nil, "q", "theme", "language", "visibility")
	list, err := w.spaces.ListSpaces(r.Context(), rq.viewer, f)
	status := http.StatusOK
	if err != nil {
		if spaces.KindOf(err) != spaces.KindInvalid {
			return err
		}
		form.addError(rq.cat, err)
		status = errorStatus(err)
	}
	if view.Spaces, err = w.spaceCards(r, rq, list); err != nil {
		return err
	}
	if len(list) == feedPage {
		view.More = nextPage(r, "after", list[len(list)-1].Slug())
	}
	w.renderForm(rw, r, rq, status, "spaces", rq.cat.T("spaces.title"), form, view)
	return nil
}

// spaceLanguages are the languages a space's form offers; the interface's
// come first.
var spaceLanguages = []string{"fr", "en", "de", "it", "es", "nl", "pt", "pl"}

// spaceFields are the fields of a space's settings form.
var spaceFields = []string{"avatar_id", "slug", "name", "description", "rules", "main_language", "languages", "themes", "visibility", "join_policy", "posting", "document_adding", "tools"}

type spaceFormView struct {
	Space        *spaces.Space // nil on creation
	Rights       *spaces.SpaceRights
	Languages    []string
	Visibilities []string
	JoinPolicies []string
	Postings     []string
	Adding       []string // who adds documents
	Chosen       []string // the languages ticked
	Tools        []string // the tools the form switches (webTools)
	ToolsOn      []string // the tools ticked
}

// webTools are the tools the web has pages for, which its forms switch on
// and off: all the domain's today. A tool the domain gains before the web
// has its pages stays out of this list, and withOtherTools keeps it as the
// space had it.
var webTools = []string{spaces.ToolArticles, spaces.ToolEvents, spaces.ToolPolls, spaces.ToolFAQ, spaces.ToolDocuments, spaces.ToolWiki}

// newSpaceView is the page that creates a space.
type newSpaceView struct{ Form spaceFormView }

func (w *Web) spaceFormView(sp *spaces.Space, rights *spaces.SpaceRights, f *form) spaceFormView {
	v := spaceFormView{Space: sp, Rights: rights, Languages: spaceLanguages, Visibilities: spaces.SpaceVisibilities,
		JoinPolicies: spaces.JoinPolicies, Postings: spaces.PostingRights, Adding: spaces.DocumentAddingRights, Chosen: f.Values["languages"],
		Tools: webTools, ToolsOn: f.Values["tools"]}
	return v
}

// spaceSettings reads a space's settings form.
func spaceSettings(r *http.Request) spaces.SpaceSettings {
	f := r.PostForm
	get := func(name string) *string {
		if v, ok := f[name]; ok && len(v) > 0 {
			return &v[0]
		}
		return nil
	}
	s := spaces.SpaceSettings{Name: get("name"), Description: get("description"), Rules: get("rules"),
		Visibility: get("visibility"), JoinPolicy: get("join_policy"), Posting: get("posting"), DocumentAdding: get("document_adding")}
	if main := f.Get("main_language"); main != "" || len(f["languages"]) > 0 {
		s.Languages = []string{main}
		for _, l := range f["languages"] {
			if l != main {
				s.Languages = append(s.Languages, l)
			}
		}
		if main == "" {
			s.Languages = s.Languages[1:]
		}
	}
	// Unticked boxes send nothing: the hidden tools_shown tells a form that
	// switched every tool off from one that has no tools.
	if f.Get("tools_shown") != "" {
		s.Tools = append([]string{}, f["tools"]...)
	}
	if _, ok := f["themes"]; ok {
		s.Themes = strings.FieldsFunc(f.Get("themes"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
		if s.Themes == nil {
			s.Themes = []string{}
		}
	}
	return s
}

// fillSpaceForm puts a space's current settings in its form.
func fillSpaceForm(f *form, sp *spaces.Space) {
	f.Values.Set("slug", sp.Slug())
	f.Values.Set("name", sp.Account.DisplayName)
	f.Values.Set("description", sp.Account.Bio)
	f.Values.Set("rules", sp.Rules)
	langs := sp.LanguageList()
	if len(langs) > 0 {
		f.Values.Set("main_language", langs[0])
	}
	f.Values["languages"] = langs
	f.Values.Set("themes", strings.Join(sp.Themes, ", "))
	f.Values.Set("visibility", sp.Visibility)
	f.Values.Set("join_policy", sp.JoinPolicy)
	f.Values.Set("posting", sp.Posting)
	f.Values.Set("document_adding", sp.DocumentAdding)
	f.Values["tools"] = toolsOn(sp)
}

// withOtherTools adds to s.Tools (when the form set them) the tools among
// on that the web does not switch: those a space has on, or every one for
// a new space.
func withOtherTools(s spaces.SpaceSettings, on []string) spaces.SpaceSettings {
	if s.Tools == nil {
		return s
	}
	for _, t := range on {
		if !slices.Contains(webTools, t) {
			s.Tools = append(s.Tools, t)
		}
	}
	return s
}

// toolsOn lists the tools sp has switched on.
func toolsOn(sp *spaces.Space) []string {
	var on []string
	for _, t := range spaces.Tools {
		if sp.ToolOn(t) {
			on = append(on, t)
		}
	}
	return on
}

// newSpaceForm: GET /spaces/new.
func (w *Web) newSpaceForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	if !w.spaces.MayCreateSpace(me) {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "space_creation_admins"}
	}
	f := newForm(nil, spaceFields...)
	f.Values.Set("main_language", rq.locale())
	f.Values["languages"] = []string{rq.locale()}
	f.Values.Set("visibility", spaces.VisibilityPublic)
	f.Values.Set("join_policy", spaces.JoinOpen)
	f.Values.Set("posting", spaces.PostingMembers)
	f.Values.Set("document_adding", spaces.PostingMembers)
	f.Values["tools"] = webTools
	w.renderForm(rw, r, rq, http.StatusOK, "space_new", rq.cat.T("space_new.title"), f, newSpaceView{w.spaceFormView(nil, nil, f)})
	return nil
}

// createSpace: POST /spaces/new — the creator becomes its owner.
func (w *Web) createSpace(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	f := newForm(r, spaceFields...)
	f.Values["languages"] = r.PostForm["languages"]
	f.Values["tools"] = r.PostForm["tools"]
	set := withOtherTools(spaceSettings(r), spaces.Tools)
	if set.Name == nil {
		set.Name = new(string)
	}
	sp, err := w.spaces.CreateSpace(r.Context(), me, spaces.NewSpace{Slug: r.PostForm.Get("slug"), SpaceSettings: set})
	if err != nil {
		return w.formError(rw, r, rq, err, f, "space_new", rq.cat.T("space_new.title"), newSpaceView{w.spaceFormView(nil, nil, f)})
	}
	w.setFlash(rw, "flash.space_created")
	return redirect(rw, r, spaceURL(sp))
}

// spaceHead is what every page of a space shows at its top.
type spaceHead struct {
	Space   *spaces.Space
	Rights  *spaces.SpaceRights
	Members int
	Tab     string // posts, articles, events, faq, people, about, settings
}

// loadSpace loads the space of the URL with the viewer's rights in it.
func (w *Web) loadSpace(r *http.Request, rq *request, tab string) (*spaceHead, error) {
	sp, err := w.spaces.Space(r.Context(), rq.viewer, mux.Vars(r)["slug"])
	if err != nil {
		return nil, err
	}
	rights, err := w.spaces.Rights(r.Context(), rq.viewer, sp)
	if err != nil {
		return nil, err
	}
	n, err := w.spaces.MemberCount(r.Context(), sp)
	if err != nil {
		return nil, err
	}
	return &spaceHead{Space: sp, Rights: rights, Members: n, Tab: tab}, nil
}

type spacePage struct {
	Head     *spaceHead
	Pinned   []postView
	Feed     feedView
	Composer *composerView
	Theme    string // the articles' filter
	Language string
}

// spaceFeed: GET /spaces/{slug} (for browsers; ActivityPub clients get the
// Group) — the space's posts, pinned ones first, with a composer for those
// who may post.
func (w *Web) spaceFeed(rw http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := w.loadSpace(r, rq, "posts")
	if err != nil {
		return err
	}
	ctx := r.Context()
	handle := accountHandle(h.Space.Account)
	view := spacePage{Head: h}
	before := r.URL.Query().Get("before")
	if before == "" {
		pinned, err := w.spaces.PinnedPosts(ctx, rq.viewer, handle)
		if err != nil {
			return err
		}
		if view.Pinned, err = w.postViews(ctx, rq.viewer, rq.locale(), pinned, h.Rights); err != nil {
			return err
		}
	}
	posts, err := w.spaces.SpaceFeed(ctx, rq.viewer, handle, spaces.Page{Before: before, Limit: feedPage})
	if err != nil {
		return err
	}
	if view.Feed, err = w.feed(r, rq, posts, h.Rights); err != nil {
		return err
	}
	if h.Rights.Post {
		if view.Composer, err = w.composer(r, rq, h.Space, spaces.KindNote, "", false); err != nil {
			return err
		}
	}
	w.render(rw, r, rq, http.StatusOK, "space", h.Space.Account.DisplayName, view)
	return nil
}

// spaceArticles: GET /spaces/{slug}/articles?theme=&language= — the space's
// best-practice articles.
func (w *Web) spaceArticles(rw http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := w.loadSpace(r, rq, "articles")
	if err != nil {
		return err
	}
	if !h.Space.ToolOn(spaces.ToolArticles) {
		return errNotFound // switched off: the articles stay, unlisted
	}
	q := r.URL.Query()
	view := spacePage{Head: h, Theme: q.Get("theme"), Language: q.Get("language")}
	f := newForm(nil, "theme", "language")
	status := http.StatusOK
	posts, err := w.spaces.SpaceArticles(r.Context(), rq.viewer, accountHandle(h.Space.Account), view.Theme, view.Language,
		spaces.Page{Before: q.Get("before"), Limit: feedPage})
	if err != nil {
		if spaces.KindOf(err) != spaces.KindInvalid {
			return err
		}
		f.addError(rq.cat, err)
		status = errorStatus(err)
	}
	if view.Feed, err = w.feed(r, rq, posts, h.Rights); err != nil {
		return err
	}
	w.renderForm(rw, r, rq, status, "space_articles", rq.cat.T("space.articles_title", "name", h.Space.Account.DisplayName), f, view)
	return nil
}

type peoplePage struct {
	Head       *spaceHead
	Members    []*spaces.Membership
	Moderators []*spaces.Membership
	More       string
}

// spacePeople: GET /spaces/{slug}/people?after= — the space's members.
func (w *Web) spacePeople(rw http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := w.loadSpace(r, rq, "people")
	if err != nil {
		return err
	}
	list, err := w.spaces.SpaceMembers(r.Context(), rq.viewer, accountHandle(h.Space.Account),
		spaces.MemberPage{After: r.URL.Query().Get("after"), Limit: 50})
	if err != nil {
		return err
	}
	view := peoplePage{Head: h, Members: list}
	if len(list) == 50 {
		view.More = nextPage(r, "after", list[len(list)-1].ID)
	}
	w.render(rw, r, rq, http.StatusOK, "space_people", rq.cat.T("space.people_title", "name", h.Space.Account.DisplayName), view)
	return nil
}

// spaceAbout: GET /spaces/{slug}/about — what the space is for, its rules,
// who moderates it, and how to follow it from another server.
func (w *Web) spaceAbout(rw http.ResponseWriter, r *http.Request, rq *request) error {
	h, err := w.loadSpace(r, rq, "about")
	if err != nil {
		return err
	}
	mods, err := w.spaces.SpaceMembers(r.Context(), rq.viewer, accountHandle(h.Space.Account),
		spaces.MemberPage{Roles: []string{spaces.SpaceRoleOwner, spaces.SpaceRoleModerator}, Limit: 100})
	if err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "space_about", rq.cat.T("space.about_title", "name", h.Space.Account.DisplayName),
		peoplePage{Head: h, Moderators: mods})
	return nil
}

// backTo is where a space's action returns: the page it was sent from, or
// the space's page.
func backTo(r *http.Request, sp *spaces.Space) string {
	return localPath(r.PostForm.Get("next"), spaceURL(sp))
}

// join: POST /spaces/{slug}/join — join an open space (or one the member is
// invited to, with an invitation link's token), or ask to join.
func (w *Web) join(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	handle := mux.Vars(r)["slug"]
	m, err := w.spaces.JoinSpace(r.Context(), me, handle, r.PostForm.Get("invite"), "")
	if err != nil {
		return err
	}
	w.setFlash(rw, map[bool]string{true: "flash.joined", false: "flash.requested"}[m.State == spaces.StateActive])
	return redirect(rw, r, localPath(r.PostForm.Get("next"), spaceURL(m.Space)))
}

type invitationView struct {
	Space  *spaces.Space
	Token  string
	Rights *spaces.SpaceRights
}

// invitation: GET /spaces/{slug}/join?invite=T — where a space's invitation
// link leads: the space, and a button to join it.
func (w *Web) invitation(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	token := r.URL.Query().Get("invite")
	if token == "" {
		return redirect(rw, r, "/spaces/"+url.PathEscape(mux.Vars(r)["slug"]))
	}
	sp, err := w.spaces.SpaceOfInvitation(r.Context(), token)
	if err != nil {
		return err
	}
	if !strings.EqualFold(sp.Slug(), mux.Vars(r)["slug"]) {
		return errNotFound
	}
	rights, err := w.spaces.Rights(r.Context(), me, sp)
	if err != nil {
		return err
	}
	w.render(rw, r, rq, http.StatusOK, "space_join", rq.cat.T("space_join.title", "name", sp.Account.DisplayName),
		invitationView{Space: sp, Token: token, Rights: rights})
	return nil
}

// leave: POST /spaces/{slug}/leave — leave, or withdraw a request.
func (w *Web) leave(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	handle := mux.Vars(r)["slug"]
	if err := w.spaces.LeaveSpace(r.Context(), me, handle); err != nil {
		return err
	}
	w.setFlash(rw, "flash.left")
	return redirect(rw, r, "/spaces/"+url.PathEscape(handle))
}

// watch: POST /spaces/{slug}/watch — watch=1: a notification for every new
// post; 0: none.
func (w *Web) watch(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	on := r.PostForm.Get("watch") == "1"
	m, err := w.spaces.WatchSpace(r.Context(), me, mux.Vars(r)["slug"], on)
	if err != nil {
		return err
	}
	w.setFlash(rw, map[bool]string{true: "flash.watching", false: "flash.not_watching"}[on])
	return redirect(rw, r, backTo(r, m.Space))
}

// followSpace: POST /spaces/{slug}/follow — follow=1 follows a public space
// without joining it (its posts in the home feed), 0 stops.
func (w *Web) followSpace(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	sp, err := w.spaces.Space(r.Context(), me, mux.Vars(r)["slug"])
	if err != nil {
		return err
	}
	if r.PostForm.Get("follow") == "1" {
		_, err = w.spaces.FollowAccount(r.Context(), me, sp.Account, "")
	} else if err = w.spaces.Unfollow(r.Context(), me, sp.Account); spaces.AsError(err).Code == "follow_not_found" {
		err = nil
	}
	if err != nil {
		return err
	}
	w.setFlash(rw, map[bool]string{true: "flash.followed", false: "flash.unfollowed"}[r.PostForm.Get("follow") == "1"])
	return redirect(rw, r, backTo(r, sp))
}
