package federation

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Posts as objects: their documents, the thread collections (FEP-7888) and
// the files attached to them. A post is served to whoever the visibility
// rule lets see it — the signer of the request, or an anonymous reader — and
// is otherwise unknown (404), whatever its visibility.

// objectOf converts a post (its author, translations, tags, mentions,
// attachments and poll loaded) into the object the node publishes.
func (f *Federation) objectOf(ctx context.Context, p *spaces.Post) (activitystreams.Object, error) {
	o := activitystreams.Object{
		ID: f.PostIRI(p), Type: "Note", AttributedTo: f.ActorIRI(p.Author), Context: f.contextIRI(p),
		Published: p.CreatedAt, Updated: p.EditedAt, URL: f.postURL(p), Language: p.Language,
		Content: map[string]string{}, AppliesTo: p.AppliesTo,
	}
	if p.Kind == spaces.KindArticle || p.Kind == spaces.KindFAQ { // an FAQ entry: its question as the title
		o.Type, o.Name, o.Summary = "Article", map[string]string{}, map[string]string{}
	} else {
		o.Sensitive, o.Warning = p.Sensitive, p.Warning
	}
	for _, t := range p.Translations {
		o.Content[t.Language] = t.Content
		if o.Type == "Article" {
			if t.Title != "" { // a translation may leave the title to the main language
				o.Name[t.Language] = t.Title
			}
			if t.Summary != "" {
				o.Summary[t.Language] = t.Summary
			}
		}
	}
	if len(o.Content) == 0 { // a post stored without its parts
		o.Content[p.Language] = p.Content
	}
	sp, err := f.spaceOf(ctx, p)
	if err != nil {
		return o, err
	}
	if sp != nil {
		o.Audience = f.ActorIRI(sp.Account)
	}
	if p.InReplyToID != "" {
		parent := p.InReplyTo
		if parent == nil || parent.ID != p.InReplyToID {
			if parent, err = f.rows.PostByID(ctx, p.InReplyToID); err != nil {
				return o, err
			}
		}
		o.InReplyTo = f.PostIRI(parent)
	}
	for _, t := range p.Tags {
		o.Tags = append(o.Tags, activitystreams.Tag{Type: "Hashtag", Name: "#" + t.Tag, Href: f.tagURL(t.Tag)})
	}
	var mentioned []string
	for _, m := range p.Mentions {
		if m.AccountID == "" {
			continue
		}
		a, err := f.rows.AccountByID(ctx, m.AccountID)
		if err != nil {
			return o, err
		}
		domain := a.Domain
		if domain == "" {
			domain = f.host
		}
		iri := f.ActorIRI(a)
		o.Tags = append(o.Tags, activitystreams.Tag{Type: "Mention", Name: "@" + a.Username + "@" + domain, Href: iri})
		mentioned = append(mentioned, iri)
	}
	for _, m := range p.Attachments {
		name := m.Description
		if name == "" {
			name = m.Name
		}
		o.Attachments = append(o.Attachments, activitystreams.Attachment{MediaType: m.MediaType, URL: f.fileURL(m), Name: name})
	}
	o.To, o.Cc = f.addressing(p, sp, mentioned)
	o.Poll = f.questionOf(p)
	if p.FAQ != nil {
		o.FAQ = &activitystreams.FAQPlace{Category: p.FAQ.Category, Position: p.FAQ.Position}
	}
	if o.File = f.documentFileOf(p); o.File != nil {
		o.Type, o.Sensitive, o.Warning, o.Attachments = "Document", false, "", nil
		o.Name = titlesOf(p)
	}
	if p.Kind == spaces.KindPage && p.Wiki != nil {
		if err := f.wikiOf(ctx, p, &o); err != nil {
			return o, err
		}
	}
	if o.Event = eventOf(p); o.Event != nil {
		o.Type, o.Sensitive, o.Warning = "Event", false, ""
		o.Name = titlesOf(p)
	}
	return o, nil
}

// titlesOf is a post's title in each of its languages (its main one when
// no translation has one): the name of an Event or a Document.
func titlesOf(p *spaces.Post) map[string]string {
	names := map[string]string{}
	for _, t := range p.Translations {
		if t.Title != "" {
			names[t.Language] = t.Title
		}
	}
	if len(names) == 0 {
		names[p.Language] = p.Title
	}
	return names
}

// documentFileOf is the current file and place of a document; nil for
// another post, or a deleted document.
func (f *Federation) documentFileOf(p *spaces.Post) *activitystreams.DocumentFile {
	d := p.Document
	if p.Kind != spaces.KindDocument || d == nil || len(d.Versions) == 0 || d.Versions[0].Media == nil {
		return nil
	}
	m := d.Versions[0].Media
	return &activitystreams.DocumentFile{URL: f.fileURL(m), MediaType: m.MediaType, Size: m.Size, Name: m.Name,
		Folder: d.Folder, Version: d.Current}
}

// wikiOf makes o the Page of a wiki page: its name, its current
// revision, its parent page and its Markdown. Mastodon shows a Page as a
// status of its name and link, and an Update of it edits that status: one
// announcement per page, never one per revision.
func (f *Federation) wikiOf(ctx context.Context, p *spaces.Post, o *activitystreams.Object) error {
	o.Type, o.Sensitive, o.Warning, o.Summary = "Page", false, "", nil
	o.Name = map[string]string{p.Language: p.Title}
	o.Wiki = &activitystreams.WikiRevision{Number: p.Wiki.Revision, Source: p.Source}
	if p.URI == "" && p.Space != nil { // the page in its wiki, where people read it
		o.URL = f.origin + "/spaces/" + url.PathEscape(p.Space.Account.Username) + "/wiki/" + url.PathEscape(p.Wiki.Slug)
	}
	if p.Wiki.ParentID != "" {
		parent, err := f.rows.PostByID(ctx, p.Wiki.ParentID)
		if err != nil {
			return err
		}
		o.Wiki.Parent = f.PostIRI(parent)
	}
	return nil
}

// spaceOf returns the space of a post (nil for a profile post), loading it
// when the post came without it.
func (f *Federation) spaceOf(ctx context.Context, p *spaces.Post) (*spaces.Space, error) {
	if p.SpaceID == "" {
		return nil, nil
	}
	if p.Space == nil || p.Space.AccountID != p.SpaceID || p.Space.Account == nil {
		sp, err := f.rows.SpaceByAccountID(ctx, p.SpaceID)
		if err != nil {
			return nil, err
		}
		p.Space = sp
	}
	return p.Space, nil
}

// addressing is who a post is for. In a space: its Group (FEP-1b12), and
// as:Public for a public space, else the space's members; on a profile: the
// public and the author's followers, or only the followers. Mentioned
// actors are added (the visibility rule lets them see a followers-only
// post), except to posts of spaces that are not public: those go to members.
func (f *Federation) addressing(p *spaces.Post, sp *spaces.Space, mentioned []string) (to, cc []string) {
	defer func() { to, cc = nonEmpty(to), nonEmpty(cc) }() // a remote Group may have no followers collection
	switch {
	case sp != nil && p.Visibility == spaces.VisibilityPublic:
		g := f.ActorIRI(sp.Account)
		to, cc = []string{activitystreams.Public, g}, []string{f.FollowersIRI(sp.Account)}
	case sp != nil:
		g := f.ActorIRI(sp.Account)
		return []string{g}, []string{g + "/members"}
	case p.Visibility == spaces.VisibilityPublic:
		to, cc = []string{activitystreams.Public}, []string{f.FollowersIRI(p.Author)}
	default:
		to = []string{f.FollowersIRI(p.Author)}
	}
	return to, append(cc, mentioned...)
}

// objectDoc is objectOf's JSON document.
func (f *Federation) objectDoc(ctx context.Context, p *spaces.Post) (map[string]any, error) {
	o, err := f.objectOf(ctx, p)
	if err != nil {
		return nil, err
	}
	return o.Document()
}

// tombstoneOf is the document of a deleted post.
func (f *Federation) tombstoneOf(p *spaces.Post) map[string]any {
	typ := "Note"
	if p.Kind == spaces.KindArticle {
		typ = "Article"
	}
	return activitystreams.Tombstone(f.PostIRI(p), typ, p.DeletedAt)
}

// servePost answers /posts/{id} to ActivityStreams clients: the post's
// object to those who may see it, a Tombstone (410) once deleted. Posts of
// other servers are not served here: their own server speaks for them.
func (f *Federation) servePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := f.rows.PostByID(ctx, mux.Vars(r)["id"])
	if errors.Is(err, db.ErrNotFound) || (err == nil && !p.Local) {
		http.Error(w, "no such post", http.StatusNotFound)
		return
	}
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	if p.IsDeleted() {
		asJSON(w, http.StatusGone, f.tombstoneOf(p))
		return
	}
	if ok, err := f.spaces.CanSee(ctx, signer(ctx), p.ID); err != nil || !ok {
		f.notVisible(w, r, err)
		return
	}
	if err := f.spaces.WithParts(ctx, []*spaces.Post{p}); err != nil {
		f.lookupError(w, r, err)
		return
	}
	doc, err := f.objectDoc(ctx, p)
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	privateUnlessPublic(w, p.Visibility)
	asJSON(w, http.StatusOK, doc)
}

// notVisible answers a fetch of something the reader may not see as if it
// did not exist: a members-only post is never confirmed to outsiders.
func (f *Federation) notVisible(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		f.lookupError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	http.Error(w, "no such object", http.StatusNotFound)
}

// serveThread answers /posts/{id}/context: the thread of a post this node
// holds (FEP-7888), as an OrderedCollection of the IRIs of its posts, root
// first, paged oldest first; only what the reader may see is listed.
func (f *Federation) serveThread(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	viewer := signer(ctx)
	root, err := f.spaces.GetPost(ctx, viewer, mux.Vars(r)["id"])
	if err != nil || root.InReplyToID != "" {
		if spaces.KindOf(err) == spaces.KindInternal && err != nil {
			f.lookupError(w, r, err)
			return
		}
		f.notVisible(w, r, nil)
		return
	}
	privateUnlessPublic(w, root.Visibility)
	c := &collectionRequest{account: root.Author, id: f.origin + "/posts/" + root.ID + "/context",
		page: r.URL.Query().Get("page") == "true", before: r.URL.Query().Get("before")}
	var items []any
	last := ""
	if c.page {
		if c.before == "" {
			items = append(items, f.PostIRI(root))
		}
		comments, err := f.spaces.Comments(ctx, viewer, root.ID, c.before, maxPageItems)
		if err != nil {
			f.lookupError(w, r, err)
			return
		}
		for _, p := range comments {
			items = append(items, f.PostIRI(p))
			last = p.ID
		}
		f.writeCollection(w, r, c, 1+root.CommentCount, items, last, len(comments) == maxPageItems)
		return
	}
	f.writeCollection(w, r, c, 1+root.CommentCount, nil, "", false)
}

// serveFile answers /files/{id}: a file of a post, served to whoever may see
// the post (the signer of the request, if any), or a space's image. Files
// are served inert: their type as sniffed when stored, and a sandbox.
func (f *Federation) serveFile(w http.ResponseWriter, r *http.Request) {
	m, file, err := f.spaces.OpenMedia(r.Context(), signer(r.Context()), mux.Vars(r)["id"])
	if err != nil {
		if spaces.KindOf(err) == spaces.KindInternal {
			f.lookupError(w, r, err)
			return
		}
		f.notVisible(w, r, nil)
		return
	}
	defer file.Close()
	h := w.Header()
	h.Set("Content-Type", m.MediaType)
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	if r.Method == http.MethodHead {
		return
	}
	io.Copy(w, file)
}

// nonEmpty drops empty IRIs from a list.
func nonEmpty(list []string) []string {
	out := list[:0:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
