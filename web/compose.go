package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ruche-social/ruche/internal/httpx"
	"github.com/ruche-social/ruche/spaces"
)

// composerView is what a composer shows: where the post goes (and who will
// see it), the languages it may be written in, files already sent, and a
// preview when asked for.
//
// Events are written here too, not in a form of their own: an event is a
// post with a title and a description like an article's, and it needs
// what the composer already gives — where it goes and who will see it, a
// key against double submission, files, a preview, errors on their fields.
// Only the when and where are added (eventInput).
//
// So are FAQ entries, for the same reasons and one more: an entry is
// translated as an article is (a question and an answer per language tab),
// and its edit form is the post's (/posts/{id}/edit), which is this one. An
// entry adds its category, chosen among the FAQ's or new, and, when it
// answers a member's question, that proposal.
type composerView struct {
	Kind     string          // note, article, event or faq
	Targets  []composeTarget // where the author may post; empty when Fixed
	Fixed    *spaces.Space   // the composer of a space's page posts there
	Target   string          // the chosen space's handle; "" for the profile
	Langs    []string        // the language tabs, in order
	Main     string          // the main language
	Key      string          // makes the form idempotent (spaces.PostInput.Key)
	Next     string          // where to go once published
	Attached []*spaces.Media // files sent with a submission that was refused
	Preview  map[string]template.HTML
	MaxMB    int64
	Post     *spaces.Post // when editing
	Zones    []string     // the time zones an event may be in
	// Categories are those of the FAQ an entry goes to, to choose from.
	Categories []string
	Proposal   *spaces.FAQProposal // the question an entry answers
}

// ToolOn tells whether the composer offers a tool (articles, events,
// polls): not in a space's own composer when the space switched it off.
// Where the author picks the space, the domain refuses a tool switched off
// there (tool_off).
func (c *composerView) ToolOn(tool string) bool { return c.Fixed == nil || c.Fixed.ToolOn(tool) }

// composeKind is the kind of post a composer writes: a note unless article,
// event or faq is asked for.
func composeKind(kind string) string {
	if kind == spaces.KindArticle || kind == spaces.KindEvent || kind == spaces.KindFAQ {
		return kind
	}
	return spaces.KindNote
}

// composeTarget is a space one may post in, or the author's profile.
type composeTarget struct {
	Handle, Name, Visibility string
}

// Visibility is the visibility of the chosen target.
func (c *composerView) Visibility() string {
	if c.Fixed != nil {
		return c.Fixed.Visibility
	}
	for _, t := range c.Targets {
		if t.Handle == c.Target {
			return t.Visibility
		}
	}
	return spaces.VisibilityPublic
}

// composer prepares a composer for the viewer: into fixed when the page is a
// space's; otherwise the viewer picks among the spaces they may post in (or
// their profile), want being the one chosen ("" with chosen false: the
// first space).
func (w *Web) composer(r *http.Request, rq *request, fixed *spaces.Space, kind, want string, chosen bool) (*composerView, error) {
	c := &composerView{Kind: kind, Fixed: fixed, Key: newKey(), MaxMB: w.spaces.Options().MaxUpload >> 20, Next: r.URL.RequestURI(),
		Zones: eventZones}
	var langs []string
	if fixed != nil {
		c.Target = accountHandle(fixed.Account)
		langs = fixed.LanguageList()
	} else {
		list, err := w.spaces.PostableSpaces(r.Context(), rq.viewer)
		if err != nil {
			return nil, err
		}
		c.Targets = []composeTarget{{Handle: "", Name: rq.cat.T("compose.profile"), Visibility: spaces.VisibilityPublic}}
		for _, s := range list {
			c.Targets = append(c.Targets, composeTarget{Handle: accountHandle(s.Account), Name: s.Account.DisplayName, Visibility: s.Visibility})
		}
		if !chosen && len(list) > 0 {
			want = accountHandle(list[0].Account) // a space rather than the profile
		}
		if s := findSpace(list, want); s != nil {
			c.Target, langs = accountHandle(s.Account), s.LanguageList()
		}
	}
	c.Main = rq.locale()
	if len(langs) > 0 {
		c.Main = langs[0]
	}
	c.Langs = composeLanguages(c.Main, langs)
	return c, nil
}

func findSpace(list []*spaces.Space, handle string) *spaces.Space {
	for _, s := range list {
		if strings.EqualFold(accountHandle(s.Account), handle) {
			return s
		}
	}
	return nil
}

// composeLanguages are the tabs of an article: its main language first, then
// the space's other languages, then the interface's.
func composeLanguages(main string, more []string) []string {
	out := []string{main}
	for _, l := range append(append([]string{}, more...), Locales...) {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// newKey is a fresh key for a form that must not be sent twice.
func newKey() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// composeFields are the fields of a composer for langs.
func composeFields(langs []string) []string {
	f := []string{"space", "kind", "language", "body", "sensitive", "content_warning", "themes", "applies_to", "files", "key", "next",
		"poll_option", "poll_multiple", "poll_duration", "poll_hide_totals", "category", "proposal"}
	f = append(f, eventFields...)
	for _, l := range langs {
		f = append(f, "title_"+l, "summary_"+l, "body_"+l)
	}
	return f
}

// postInput reads a composer's text: a note's body, or an article (an
// event, an FAQ entry) in its main language and the translations whose tabs
// were filled.
func postInput(r *http.Request, kind string, langs []string) spaces.PostInput {
	f := r.PostForm
	in := spaces.PostInput{Kind: kind, Language: f.Get("language"), Key: f.Get("key")}
	switch kind {
	case spaces.KindEvent:
		in.Event = eventInput(f)
	case spaces.KindFAQ:
		in.FAQ = &spaces.FAQInput{Category: f.Get("category")}
	case spaces.KindArticle:
		in.AppliesTo = f.Get("applies_to")
		in.Themes = strings.FieldsFunc(f.Get("themes"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	default:
		in.Body, in.Warning, in.Poll = f.Get("body"), warningInput(f), pollInput(f)
		return in
	}
	for _, l := range langs {
		title, summary, body := f.Get("title_"+l), f.Get("summary_"+l), f.Get("body_"+l)
		if l == in.Language {
			in.Title, in.Summary, in.Body = title, summary, body
			continue
		}
		if strings.TrimSpace(title+summary+body) != "" {
			in.Translations = append(in.Translations, spaces.TranslationInput{Language: l, Title: title, Summary: summary, Body: body})
		}
	}
	return in
}

// pollDurations are the durations the composer offers a poll.
var pollDurations = map[string]time.Duration{"1h": time.Hour, "1d": 24 * time.Hour, "3d": 72 * time.Hour, "7d": 7 * 24 * time.Hour}

// pollInput reads the poll of a note's form: nil when no answer is filled
// (the poll was not opened).
func pollInput(f url.Values) *spaces.PollInput {
	var options []string
	for _, o := range f["poll_option"] {
		if strings.TrimSpace(o) != "" {
			options = append(options, o)
		}
	}
	if len(options) == 0 {
		return nil
	}
	d, ok := pollDurations[f.Get("poll_duration")]
	if !ok {
		d = 24 * time.Hour
	}
	return &spaces.PollInput{Options: options, Multiple: f.Get("poll_multiple") != "", ExpiresIn: d, HideTotals: f.Get("poll_hide_totals") != ""}
}

// warningInput reads the content warning of a note's or comment's form: the
// box ticked, or a warning written. The form always has these fields, so
// that an edit which clears them takes the warning off.
func warningInput(f url.Values) *spaces.ContentWarning {
	return &spaces.ContentWarning{Sensitive: f.Get("sensitive") != "", Text: f.Get("content_warning")}
}

// composeError puts a domain error on the composer field it is about: an
// article's (an event's, an FAQ entry's) title, summary and body are those
// of its main language's tab.
func composeError(err error, kind, main string) error {
	var de *spaces.Error
	if !errors.As(err, &de) {
		return err
	}
	field := de.Field
	switch field {
	case "title", "summary", "body":
		if kind != spaces.KindNote {
			field += "_" + main
		}
	case "attachments", "file":
		field = "files"
	case "language", "themes", "applies_to", "content_warning", "category":
	default:
		if !slices.Contains(eventFields, field) {
			field = ""
		}
	}
	c := *de
	c.Field = field
	if kind == spaces.KindFAQ && c.Code == "title_required" {
		c.Code = "question_required" // an entry's title is its question
	}
	return &c
}

// compose: GET /compose?space=&kind= — the full composer: a short post, or
// an article with its translations.
func (w *Web) compose(rw http.ResponseWriter, r *http.Request, rq *request) error {
	if _, ok := requireViewer(rw, r, rq); !ok {
		return nil
	}
	q := r.URL.Query()
	kind := composeKind(q.Get("kind"))
	if kind == spaces.KindFAQ {
		return w.composeEntry(rw, r, rq, q.Get("space"), q.Get("proposal"))
	}
	c, err := w.composer(r, rq, nil, kind, q.Get("space"), q.Has("space"))
	if err != nil {
		return err
	}
	c.Next = ""
	f := newForm(nil, composeFields(c.Langs)...)
	f.Values.Set("language", c.Main)
	if kind == spaces.KindEvent {
		zone, err := w.defaultZone(r, rq, c.Target)
		if err != nil {
			return err
		}
		f.Values.Set("time_zone", zone)
	}
	return w.renderComposer(rw, r, rq, http.StatusOK, f, c)
}

func (w *Web) renderComposer(rw http.ResponseWriter, r *http.Request, rq *request, status int, f *form, c *composerView) error {
	title := rq.cat.T("compose.title_note")
	switch c.Kind {
	case spaces.KindArticle:
		title = rq.cat.T("compose.title_article")
	case spaces.KindEvent:
		title = rq.cat.T("compose.title_event")
	case spaces.KindFAQ:
		title = rq.cat.T("compose.title_faq")
		if c.Proposal != nil {
			title = rq.cat.T("compose.title_answer")
		}
	}
	if c.Post != nil {
		title = rq.cat.T("compose.title_edit")
	}
	w.renderForm(rw, r, rq, status, "compose", title, f, c)
	return nil
}

// publish: POST /compose — upload the files, then publish. A refused post
// comes back with what was typed and the files already sent; "preview"
// shows the text as it will look instead of publishing.
func (w *Web) publish(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	ctx := r.Context()
	kind := composeKind(r.PostForm.Get("kind"))
	handle := r.PostForm.Get("space")
	var fixed *spaces.Space
	if r.PostForm.Get("fixed") != "" || kind == spaces.KindFAQ { // an entry's composer is its space's
		var err error
		if fixed, err = w.spaces.Space(ctx, me, handle); err != nil {
			return err
		}
	}
	c, err := w.composer(r, rq, fixed, kind, handle, true)
	if err != nil {
		return err
	}
	c.Target, c.Next = handle, localPath(r.PostForm.Get("next"), "")
	if l := r.PostForm.Get("language"); l != c.Main && slices.Contains(c.Langs, l) {
		c.Main, c.Langs = l, composeLanguages(l, c.Langs)
	}
	if k := r.PostForm.Get("key"); k != "" {
		c.Key = k
	}
	f := newForm(r, composeFields(c.Langs)...)
	in := postInput(r, kind, c.Langs)
	proposal := ""
	if kind == spaces.KindFAQ {
		proposal = r.PostForm.Get("proposal")
		if err := w.faqComposer(r, rq, c, handle, proposal); err != nil {
			return err
		}
	}

	attached, uploadErr := w.receiveFiles(r, me)
	c.Attached = attached
	for _, m := range attached {
		in.Attachments = append(in.Attachments, m.ID)
	}
	if uploadErr != nil {
		return w.composeFailed(rw, r, rq, composeError(uploadErr, kind, c.Main), f, c)
	}
	if r.PostForm.Get("action") == "preview" {
		if err := w.previewAll(r, rq, c, in); err != nil {
			return w.composeFailed(rw, r, rq, composeError(err, kind, c.Main), f, c)
		}
		return w.renderComposer(rw, r, rq, http.StatusOK, f, c)
	}
	var p *spaces.Post
	if proposal != "" {
		p, err = w.spaces.AnswerFAQProposal(ctx, me, handle, proposal, in)
	} else {
		p, err = w.spaces.CreatePost(ctx, me, handle, in)
	}
	if spaces.AsError(err).Code == "already_published" {
		if first, ferr := w.spaces.PostByKey(ctx, me, in.Key); ferr == nil {
			w.setFlash(rw, "flash.already_published")
			return redirect(rw, r, postURL(first))
		}
	}
	if err != nil {
		return w.composeFailed(rw, r, rq, composeError(err, kind, c.Main), f, c)
	}
	w.setFlash(rw, "flash.published")
	switch {
	case kind == spaces.KindNote && c.Next != "":
		return redirect(rw, r, c.Next)
	case kind == spaces.KindFAQ:
		return redirect(rw, r, faqURL(p.Space, p.ID)) // among the others, where readers find it
	}
	return redirect(rw, r, postURL(p))
}

// composeEntry is the composer of an FAQ entry in the space handle, for its
// moderators (the domain's SpaceRights.Moderate): answering the proposal
// of that id when one is given, its question then filling the main tab.
func (w *Web) composeEntry(rw http.ResponseWriter, r *http.Request, rq *request, handle, proposal string) error {
	sp, err := w.spaces.Space(r.Context(), rq.viewer, handle)
	if err != nil {
		return err
	}
	rights, err := w.spaces.Rights(r.Context(), rq.viewer, sp)
	if err != nil {
		return err
	}
	if !rights.Moderate {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_moderator"}
	}
	c, err := w.composer(r, rq, sp, spaces.KindFAQ, handle, true)
	if err != nil {
		return err
	}
	if err := w.faqComposer(r, rq, c, handle, proposal); err != nil {
		return err
	}
	if proposal != "" && c.Proposal == nil {
		return errNotFound // answered, dismissed, or none such
	}
	c.Next = ""
	f := newForm(nil, composeFields(c.Langs)...)
	f.Values.Set("language", c.Main)
	if p := c.Proposal; p != nil {
		if slices.Contains(c.Langs, p.Language) && p.Language != c.Main {
			c.Main, c.Langs = p.Language, composeLanguages(p.Language, c.Langs)
		}
		f.Values.Set("language", c.Main)
		f.Values.Set("title_"+c.Main, p.Question)
		f.Values.Set("proposal", p.ID)
	}
	return w.renderComposer(rw, r, rq, http.StatusOK, f, c)
}

func (w *Web) composeFailed(rw http.ResponseWriter, r *http.Request, rq *request, err error, f *form, c *composerView) error {
	switch spaces.KindOf(err) {
	case spaces.KindInvalid, spaces.KindConflict, spaces.KindForbidden:
	case spaces.KindUnavailable: // e.g. no room for a file: the member keeps the draft
		httpx.Logger(r.Context()).Error("compose", "err", err)
	default:
		return err
	}
	f.addError(rq.cat, err)
	w.renderComposer(rw, r, rq, errorStatus(err), f, c)
	return nil
}

// previewAll renders every tab's text as it will be published.
func (w *Web) previewAll(r *http.Request, rq *request, c *composerView, in spaces.PostInput) error {
	c.Preview = map[string]template.HTML{}
	texts := map[string]string{in.Language: in.Body}
	if in.Language == "" {
		texts = map[string]string{c.Main: in.Body}
	}
	for _, t := range in.Translations {
		texts[t.Language] = t.Body
	}
	for lang, body := range texts {
		if strings.TrimSpace(body) == "" {
			continue
		}
		html, err := w.spaces.Preview(r.Context(), rq.viewer, body)
		if err != nil {
			return err
		}
		c.Preview[lang] = template.HTML(html) // sanitised by the domain
	}
	return nil
}

// receiveFiles uploads the files of a composer, after those a refused
// submission kept (field "attachments"), in order. It returns what it has
// even when a file is refused, so that nothing is sent twice.
func (w *Web) receiveFiles(r *http.Request, me *spaces.Account) ([]*spaces.Media, error) {
	var out []*spaces.Media
	for _, id := range r.PostForm["attachments"] {
		m, f, err := w.spaces.OpenMedia(r.Context(), me, id)
		if err != nil {
			continue // not theirs, or gone: dropped
		}
		f.Close()
		if m.AccountID == me.ID && m.PostID == "" {
			out = append(out, m)
		}
	}
	if r.MultipartForm == nil {
		return out, nil
	}
	for _, fh := range r.MultipartForm.File["files"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the empty part of a file input left empty
		}
		file, err := fh.Open()
		if err != nil {
			return out, err
		}
		m, err := w.spaces.UploadMedia(r.Context(), me, file, fh.Filename, "")
		file.Close()
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

// preview: POST /preview — the text of a composer as it will be published,
// as an HTML fragment: the script of the composer shows it as one types.
func (w *Web) preview(rw http.ResponseWriter, r *http.Request, rq *request) error {
	me, ok := requireViewer(rw, r, rq)
	if !ok {
		return nil
	}
	html, err := w.spaces.Preview(r.Context(), me, r.PostForm.Get("body"))
	if err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Write([]byte(html))
	return nil
}
