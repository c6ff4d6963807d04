package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// commentsPage is how many comments a post's page shows at once.
const commentsPage = 20

type postPage struct {
	Post     postView
	Space    *spaces.Space
	Rights   *spaces.SpaceRights
	Lang     string // the language shown
	Comments []postView
	More     string // the next page of comments
	Share    string // the post's address, to share
	Key      string // of the comment form
	Full     string // the id of a long comment shown whole
	// Registrants are who goes to an event and who waits: for its
	// organizer and the space's moderators; nil for everyone else.
	Registrants *registrantsView
}

type registrantsView struct {
	Going, Waiting []*spaces.Registration
}

// postPage: GET /posts/{id}?lang=&after= — a post or an article, in the
// reader's language when the author wrote it (or the one asked for), with its
// comments. A comment's address shows its thread.
func (w *Web) postPage(rw http.ResponseWriter, r *http.Request, rq *request) error {
	return w.renderPost(rw, r, rq, http.StatusOK, nil)
}

func (w *Web) renderPost(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form) error {
	ctx := r.Context()
	p, err := w.spaces.GetPost(ctx, rq.viewer, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	if p.InReplyToID != "" {
		http.Redirect(rw, r, postURL(p), http.StatusFound)
		return nil
	}
	view := postPage{Space: p.Space, Share: w.opts.PublicURL + "/posts/" + url.PathEscape(p.ID), Key: newKey(), Full: r.URL.Query().Get("full")}
	if p.Space != nil {
		if view.Rights, err = w.spaces.Rights(ctx, rq.viewer, p.Space); err != nil {
			return err
		}
	} else {
		view.Rights = &spaces.SpaceRights{}
	}
	view.Lang = rq.locale()
	if l := r.URL.Query().Get("lang"); l != "" {
		view.Lang = l
	}
	views, err := w.postViews(ctx, rq.viewer, view.Lang, []*spaces.Post{p}, view.Rights)
	if err != nil {
		return err
	}
	view.Post = views[0]
	if view.Registrants, err = w.registrants(r, rq, p); err != nil {
		return err
	}
	title := ""
	if t := view.Post.Text; t != nil {
		view.Lang, title = t.Language, t.Title
	}
	after := r.URL.Query().Get("after")
	comments, err := w.spaces.Comments(ctx, rq.viewer, p.ID, after, commentsPage)
	if err != nil {
		return err
	}
	if view.Comments, err = w.postViews(ctx, rq.viewer, rq.locale(), comments, view.Rights); err != nil {
		return err
	}
	if len(comments) == commentsPage {
		view.More = nextPage(r, "after", comments[len(comments)-1].ID)
	}
	if title == "" {
		title = rq.cat.T("post.title", "name", p.Author.DisplayName)
	}
	if f == nil {
		f = newForm(nil, commentFields...)
	} else if k := f.Value("key"); k != "" {
		view.Key = k
	}
	w.renderForm(rw, r, rq, status, "post", title, f, view)
	return nil
}

// registrants lists who goes to the event p and who waits, when the
// viewer may see it (the domain says who: not_organizer for others).
func (w *Web) registrants(r *http.Request, rq *request, p *spaces.Post) (*registrantsView, error) {
	if p.Event == nil || rq.viewer == nil {
		return nil, nil
	}
	going, waiting, err := w.spaces.Registrants(r.Context(), rq.viewer, p.ID)
	switch {
	case spaces.KindOf(err) == spaces.KindForbidden:
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &registrantsView{Going: going, Waiting: waiting}, nil
}

// commentFields are the fields of the comment form.
var commentFields = []string{"body", "sensitive", "content_warning", "key"}

// comment: POST /posts/{id}/comments — answer a post.
func (w *Web) comment(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	f := newForm(r, commentFields...)
	in := spaces.PostInput{Body: r.PostForm.Get("body"), Key: r.PostForm.Get("key"), Warning: warningInput(r.PostForm)}
	c, err := w.spaces.CreateComment(r.Context(), me, mux.Vars(r)["id"], in)
	if spaces.AsError(err).Code == "already_published" {
		if first, ferr := w.spaces.PostByKey(r.Context(), me, in.Key); ferr == nil {
			w.setFlash(rw, "flash.already_published")
			return redirect(rw, r, postURL(first))
		}
	}
	if err != nil {
		switch spaces.KindOf(err) {
		case spaces.KindInvalid, spaces.KindConflict:
			f.addError(rq.cat, err)
			return w.renderPost(rw, r, rq, errorStatus(err), f)
		}
		return err
	}
	w.setFlash(rw, "flash.commented")
	return redirect(rw, r, postURL(c))
}

// like: POST /posts/{id}/like — like=1 to like, 0 to take it back; back to
// the page it was clicked on.
func (w *Web) like(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	id := mux.Vars(r)["id"]
	var err error
	if r.PostForm.Get("like") == "1" {
		_, err = w.spaces.LikePost(r.Context(), me, id, "")
	} else if err = w.spaces.UnlikePost(r.Context(), me, id); spaces.AsError(err).Code == "like_not_found" {
		err = nil // taken back already (a second click)
	}
	if err != nil {
		return err
	}
	return redirect(rw, r, localPath(r.PostForm.Get("next"), "/posts/"+url.PathEscape(id)))
}

// vote: POST /posts/{id}/votes — the reader's choices (choice, one or
// several) in the post's poll.
func (w *Web) vote(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	id := mux.Vars(r)["id"]
	var choices []int
	for _, c := range r.PostForm["choice"] {
		n, err := strconv.Atoi(c)
		if err != nil {
			n = -1 // no option: the domain refuses it
		}
		choices = append(choices, n)
	}
	if _, err := w.spaces.Vote(r.Context(), me, id, choices); err != nil {
		return err
	}
	return redirect(rw, r, localPath(r.PostForm.Get("next"), "/posts/"+url.PathEscape(id)))
}

// pin: POST /posts/{id}/pin — pin=1 pins the post on its space's page (its
// moderators) or its author's profile (a profile post, its author), 0 unpins
// it; the domain says who may.
func (w *Web) pin(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	pin := r.PostForm.Get("pin") == "1"
	p, err := w.spaces.PinPost(r.Context(), me, mux.Vars(r)["id"], pin)
	if err != nil {
		return err
	}
	w.setFlash(rw, map[bool]string{true: "flash.pinned", false: "flash.unpinned"}[pin])
	return redirect(rw, r, postURL(p))
}

// deletePost: POST /posts/{id}/delete — the author deletes, a moderator
// removes. Back to the space (or home) afterwards.
func (w *Web) deletePost(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	p, err := w.spaces.GetPost(r.Context(), me, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	if err := w.spaces.DeletePost(r.Context(), me, p.ID); err != nil {
		return err
	}
	w.setFlash(rw, "flash.post_deleted")
	switch {
	case p.InReplyToID != "":
		return redirect(rw, r, "/posts/"+url.PathEscape(p.ThreadID)+"#comments")
	case p.Kind == spaces.KindFAQ && p.Space != nil && p.Space.ToolOn(spaces.ToolFAQ):
		return redirect(rw, r, faqURL(p.Space, ""))
	case p.Kind == spaces.KindDocument && p.Space != nil && p.Space.ToolOn(spaces.ToolDocuments):
		return redirect(rw, r, documentsURL(p.Space, r.PostForm.Get("folder")))
	case p.Kind == spaces.KindPage && p.Space != nil && p.Space.ToolOn(spaces.ToolWiki):
		return redirect(rw, r, wikiURL(p.Space, ""))
	case p.Space != nil:
		return redirect(rw, r, spaceURL(p.Space))
	}
	return redirect(rw, r, "/")
}

// editForm: GET /posts/{id}/edit — the author's form, filled with what they
// wrote in every language. Anyone else is refused.
func (w *Web) editForm(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	p, c, err := w.editable(r, rq, me)
	if err != nil {
		return err
	}
	f := newForm(nil, composeFields(c.Langs)...)
	f.Values.Set("language", p.Language)
	f.Values.Set("applies_to", p.AppliesTo)
	if p.Sensitive {
		f.Values.Set("sensitive", "1")
		f.Values.Set("content_warning", p.Warning)
	}
	f.Values.Set("themes", strings.Join(postView{P: p}.Themes(), ", "))
	for _, t := range p.Translations {
		if p.Kind == spaces.KindNote && t.Language == p.Language {
			f.Values.Set("body", t.Source)
		}
		f.Values.Set("title_"+t.Language, t.Title)
		f.Values.Set("summary_"+t.Language, t.Summary)
		f.Values.Set("body_"+t.Language, t.Source)
	}
	if p.Event != nil {
		fillEventForm(f, p.Event)
	}
	if p.FAQ != nil {
		f.Values.Set("category", p.FAQ.Category)
	}
	return w.renderComposer(rw, r, rq, http.StatusOK, f, c)
}

// editable loads a post its author may edit, with the composer to edit it.
func (w *Web) editable(r *http.Request, rq *request, me *spaces.Account) (*spaces.Post, *composerView, error) {
	p, err := w.spaces.GetPost(r.Context(), me, mux.Vars(r)["id"])
	if err != nil {
		return nil, nil, err
	}
	if p.Kind == spaces.KindDocument {
		// the composer writes no document: its page takes new versions, and
		// its name and description change through the API (PATCH /posts/{id})
		return nil, nil, errNotFound
	}
	var rights *spaces.SpaceRights
	if p.Space != nil {
		if rights, err = w.spaces.Rights(r.Context(), me, p.Space); err != nil {
			return nil, nil, err
		}
	}
	if !spaces.PostRightsOf(me, p, rights).Edit {
		if p.Space != nil && p.Space.IsArchived() {
			return nil, nil, &spaces.Error{Kind: spaces.KindForbidden, Code: "space_archived"}
		}
		return nil, nil, &spaces.Error{Kind: spaces.KindForbidden, Code: "not_author"}
	}
	var langs []string
	if p.Space != nil {
		langs = p.Space.LanguageList()
	}
	c := &composerView{Kind: p.Kind, Fixed: p.Space, Post: p, Main: p.Language, Zones: eventZones}
	if p.Event != nil && !slices.Contains(c.Zones, p.Event.TimeZone) {
		c.Zones = append([]string{p.Event.TimeZone}, c.Zones...) // from another server, say
	}
	for _, t := range spaces.MainFirst(p) {
		langs = append(langs, t.Language)
	}
	c.Langs = composeLanguages(p.Language, langs)
	if p.Kind == spaces.KindFAQ && p.Space != nil {
		if err := w.faqComposer(r, rq, c, accountHandle(p.Space.Account), ""); err != nil {
			return nil, nil, err
		}
	}
	return p, c, nil
}

// edit: POST /posts/{id}/edit — save the new text (attachments stay).
func (w *Web) edit(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	p, c, err := w.editable(r, rq, me)
	if err != nil {
		return err
	}
	if l := r.PostForm.Get("language"); l != c.Main && slices.Contains(c.Langs, l) {
		c.Main, c.Langs = l, composeLanguages(l, c.Langs)
	}
	f := newForm(r, composeFields(c.Langs)...)
	in := postInput(r, p.Kind, c.Langs)
	in.Key = ""
	if r.PostForm.Get("action") == "preview" {
		if err := w.previewAll(r, rq, c, in); err != nil {
			return w.composeFailed(rw, r, rq, composeError(err, p.Kind, c.Main), f, c)
		}
		return w.renderComposer(rw, r, rq, http.StatusOK, f, c)
	}
	if _, err := w.spaces.EditPost(r.Context(), me, p.ID, in); err != nil {
		return w.composeFailed(rw, r, rq, composeError(err, p.Kind, c.Main), f, c)
	}
	w.setFlash(rw, "flash.saved")
	if p.Kind == spaces.KindFAQ && p.Space != nil {
		return redirect(rw, r, faqURL(p.Space, p.ID))
	}
	return redirect(rw, r, postURL(p))
}
