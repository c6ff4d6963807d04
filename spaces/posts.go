package spaces

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ruche-social/ruche/db"
)

// Kinds of posts.
const (
	KindNote    = "note"
	KindArticle = "article"
)

// Limits on what a post holds.
const (
	maxNoteRunes     = 5_000
	maxArticleRunes  = 100_000
	maxTitleRunes    = 200
	maxSummaryRunes  = 1_000
	maxAttachments   = 10
	maxTranslations  = 10
	maxPinned        = 10
	maxRemoteHTML    = 200_000
	maxAppliesToRune = 200
	maxWarningRunes  = 500
)

// MaxNoteRunes and MaxAttachments bound a short post, for the clients that
// show them.
const (
	MaxNoteRunes   = maxNoteRunes
	MaxAttachments = maxAttachments
)

var (
	errPostNotFound = notFound("post_not_found", "no such post")
	errPostDeleted  = &Error{Kind: KindGone, Code: "post_deleted", Message: "this post was deleted"}
)

// PostInput is what an author writes: a short post (note) or an article, in
// its main language and possibly translations. Local authors write Markdown;
// posts from other servers come as HTML (HTML true), sanitised here.
type PostInput struct {
	Kind         string // note (default), article, event, faq or page
	Language     string // main language; default: the space's main language, else the author's
	Title        string // articles
	Summary      string // articles
	Body         string
	HTML         bool
	Translations []TranslationInput
	Themes       []string       // articles
	AppliesTo    string         // articles: e.g. a type of authority
	Attachments  []string       // ids of media the author uploaded
	Poll         *PollInput     // notes and comments
	Event        *EventInput    // events: when and where
	FAQ          *FAQInput      // FAQ entries: category and position
	Document     *DocumentInput // documents: folder (and, remote, version)
	Wiki         *WikiInput     // wiki pages: parent, base revision, summary
	// Warning hides a note or comment behind a content warning; nil gives a
	// new post none and leaves an edited post's as it was.
	Warning *ContentWarning
	// Visibility of a profile post: public (default) or followers; a remote
	// author's may also be unlisted or direct. Posts in a space take the
	// space's visibility.
	Visibility string
	// Key, when set, makes the creation idempotent: an author's second post
	// with the same key (a form sent twice) is refused as already_published,
	// and PostByKey finds the first.
	Key string

	// Remote posts only.
	URI               string       // the object's IRI
	URL               string       // its HTML page
	ContextURI        string       // its thread (FEP-7888)
	Published         time.Time    // when its server says it was published (or, on edit, updated)
	RemoteAttachments []RemoteFile // files its server holds
	// Mentioned are the accounts the post mentions (its Mention tags) or
	// addresses, as its server said and the node knows them. A remote post's
	// mentions are taken from here, never guessed from its text: "@alice" in
	// another server's HTML may be anyone's alice.
	Mentioned []*Account
}

// ContentWarning is how a note is shown: when Sensitive, collapsed behind
// Text (plain text) until the reader opens it. A text makes the note
// sensitive, as Mastodon's spoiler_text does; sensitive without a text shows
// a generic label. Articles have none: their summary says what they are
// about, and they are never hidden unless their author asks.
type ContentWarning struct {
	Sensitive bool
	Text      string
}

// TranslationInput is a post's text in one more language.
type TranslationInput struct {
	Language string
	Title    string
	Summary  string
	Body     string
}

// RemoteFile is an attachment held by another server.
type RemoteFile struct {
	URI         string
	MediaType   string
	Name        string
	Description string
	Size        int64
}

// CreatePost publishes a top-level post or article in the space named handle
// or, with handle "", on by's profile. Local members and remote accounts (whose
// server sent the post) go through the same rules: an active member of the
// space, not banned, allowed to post there, the space not archived.
func (s *Service) CreatePost(ctx context.Context, by *Account, handle string, in PostInput) (*Post, error) {
	if err := s.checkAuthor(by, in); err != nil {
		return nil, err
	}
	s.resolveMentions(ctx, in)
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		var err error
		out, err = s.createPost(ctx, tx, by, handle, in)
		return err
	})
	if err != nil {
		return nil, postError("create post", in, err)
	}
	return out, nil
}

// createPost is CreatePost within tx. An FAQ entry has its own rule
// (mayWriteFAQ): its space's moderators write it; so has a wiki page
// (mayEditWiki): its space's members write it.
func (s *Service) createPost(ctx context.Context, tx *db.DB, by *Account, handle string, in PostInput) (*Post, error) {
	p := &Post{Visibility: VisibilityPublic}
	var sp *Space
	if handle != "" {
		var err error
		if sp, err = findSpace(ctx, tx, handle); err != nil {
			return nil, err
		}
		switch in.Kind {
		case KindFAQ:
			err = s.mayWriteFAQ(ctx, tx, by, sp)
		case KindDocument:
			err = s.mayAddDocument(ctx, tx, by, sp)
		case KindPage:
			err = s.mayEditWiki(ctx, tx, by, sp)
		default:
			err = s.mayWrite(ctx, tx, by, sp, true)
		}
		if err != nil {
			return nil, err
		}
		p.SpaceID, p.Visibility, p.Space = sp.AccountID, sp.Visibility, sp
	} else {
		switch v := in.Visibility; {
		case v == "" || v == VisibilityPublic:
		case v == VisibilityFollowers, !by.IsLocal() && (v == VisibilityUnlisted || v == VisibilityDirect):
			p.Visibility = v
		default:
			return nil, invalid("visibility", "visibility_invalid", "a profile post is public or for followers")
		}
	}
	created, err := s.insertPost(ctx, tx, by, p, sp, nil, in)
	if err != nil {
		return nil, err
	}
	if sp != nil {
		watchers, err := tx.WatcherIDs(ctx, sp.AccountID)
		if err != nil {
			return nil, err
		}
		if err := s.notifyIDs(ctx, tx, NotifyNewPost, by, created, sp, watchers); err != nil {
			return nil, err
		}
	}
	return created, s.emit(ctx, tx, PostCreated{Post: created})
}

// CreateComment answers a post (or a comment: threads are shown one level
// deep, every comment under the thread's root). The commenter must see the
// post and, in a space, be an active member of it.
func (s *Service) CreateComment(ctx context.Context, by *Account, parentID string, in PostInput) (*Post, error) {
	if err := s.checkAuthor(by, in); err != nil {
		return nil, err
	}
	s.resolveMentions(ctx, in)
	if in.Kind != "" && in.Kind != KindNote {
		return nil, invalid("kind", "kind_invalid", "a comment is a note")
	}
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		parent, err := s.visiblePost(ctx, tx, by, parentID, tx.VisiblePost)
		if err != nil {
			return err
		}
		var sp *Space
		if parent.SpaceID != "" {
			if sp, err = tx.SpaceByAccountID(ctx, parent.SpaceID); err != nil {
				return err
			}
			if err := s.mayWrite(ctx, tx, by, sp, false); err != nil {
				return err
			}
		}
		p := &Post{InReplyToID: parent.ID, ThreadID: parent.ThreadID, ContextURI: parent.ContextURI,
			SpaceID: parent.SpaceID, Visibility: parent.Visibility, Space: sp, InReplyTo: parent}
		created, err := s.insertPost(ctx, tx, by, p, sp, parent, in)
		if err != nil {
			return err
		}
		out = created
		// the thread's root counts every comment under it, at any depth
		if err := tx.AddPostCounts(ctx, parent.ThreadID, 0, 1); err != nil {
			return err
		}
		if !mentions(created, parent.AccountID) { // a mention notified them already
			if err := s.notify(ctx, tx, NotifyReply, by, created, sp, parent.Author); err != nil {
				return err
			}
		}
		return s.emit(ctx, tx, CommentCreated{Post: created})
	})
	if err != nil {
		return nil, postError("create comment", in, err)
	}
	return out, nil
}

// postError keeps domain errors and turns a duplicate IRI or key (a
// concurrent twin of the same form) into a conflict.
func postError(op string, in PostInput, err error) error {
	if errors.Is(err, db.ErrConflict) {
		if in.Key != "" {
			return errAlreadyPublished
		}
		return conflict("uri", "post_exists", "this post is stored already")
	}
	return internal(op, err)
}

var (
	errAlreadyPublished = conflict("", "already_published", "this form was sent already: the post is published")
	keyPattern          = regexp.MustCompile(`^[A-Za-z0-9_-]{8,64}$`)
)

// checkKey refuses a malformed key, or one the author used already.
func (s *Service) checkKey(ctx context.Context, tx *db.DB, by *Account, key string) error {
	if key == "" {
		return nil
	}
	if !keyPattern.MatchString(key) {
		return invalid("key", "key_invalid", "a form key has 8 to 64 letters, digits, _ or -")
	}
	if _, err := tx.PostByClientKey(ctx, by.ID, key); err == nil {
		return errAlreadyPublished
	} else if !errors.Is(err, db.ErrNotFound) {
		return err
	}
	return nil
}

// PostByKey finds the post by made with a form's key, when a second sending
// of the form was refused: the doors lead the author to it.
func (s *Service) PostByKey(ctx context.Context, by *Account, key string) (*Post, error) {
	if !canAct(by) || key == "" {
		return nil, errPostNotFound
	}
	p, err := s.db.PostByClientKey(ctx, by.ID, key)
	if err != nil {
		return nil, notFoundOr("post by key", err, errPostNotFound)
	}
	if p.IsDeleted() {
		return nil, errPostDeleted
	}
	return p, nil
}

// checkAuthor checks that by may author posts at all, and that local and
// remote posts come in their own forms.
func (s *Service) checkAuthor(by *Account, in PostInput) error {
	if !canAct(by) || by.Type != TypePerson {
		return errUnauthenticated
	}
	if by.IsLocal() {
		if in.URI != "" || in.HTML || len(in.RemoteAttachments) > 0 {
			return invalid("uri", "local_post_remote_fields", "a local post has no IRI and is written in Markdown")
		}
		return nil
	}
	if in.URI == "" || !in.HTML || len(in.Attachments) > 0 {
		return invalid("uri", "remote_post_fields", "a remote post needs its IRI and comes as HTML")
	}
	return nil
}

// mayWrite tells whether by may post (top) or comment in sp.
func (s *Service) mayWrite(ctx context.Context, tx *db.DB, by *Account, sp *Space, top bool) error {
	if sp.IsArchived() {
		return errArchived
	}
	m, err := s.membershipOf(ctx, tx, sp, by)
	if err != nil {
		return err
	}
	err = mayPost(sp, m, top)
	if AsError(err).Code == "not_member" {
		// a space one may not see is not there at all
		if ok, verr := tx.SpaceVisible(ctx, s.Reader(by), sp.AccountID); verr != nil {
			return verr
		} else if !ok {
			return errSpaceNotFound
		}
	}
	return err
}

// mayPost is the posting rule, given the author's membership m (nil if
// none): an active member of a live space; top-level posts only by its
// moderators when the space says so.
func mayPost(sp *Space, m *Membership, top bool) error {
	switch {
	case sp.IsArchived():
		return errArchived
	case m != nil && m.State == StateBanned:
		return forbidden("banned", "you are banned from this space")
	case m == nil || m.State != StateActive:
		return forbidden("not_member", "only the space's members may post in it")
	case top && sp.Posting == PostingModerators && m.Role == SpaceRoleMember:
		return forbidden("moderators_only", "only the space's moderators post in this space")
	}
	return nil
}

// insertPost fills p from in, stores it with its parts and attachments,
// indexes it, notifies the members it mentions, and returns it reloaded.
func (s *Service) insertPost(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space, parent *Post, in PostInput) (*Post, error) {
	now := s.now()
	p.ID, p.AccountID, p.Local, p.CreatedAt, p.Author = newID(), by.ID, by.IsLocal(), now, by
	if p.ThreadID == "" {
		p.ThreadID = p.ID
	}
	p.URI, p.URL = in.URI, in.URL
	if err := s.checkKey(ctx, tx, by, in.Key); err != nil {
		return nil, err
	}
	p.ClientKey = in.Key
	if p.ContextURI == "" {
		p.ContextURI = in.ContextURI
	}
	if !in.Published.IsZero() && !by.IsLocal() {
		p.CreatedAt = in.Published.UTC().Truncate(time.Microsecond)
	}
	p.Kind = in.Kind
	if p.Kind == "" {
		p.Kind = KindNote
	}
	defaultLang := s.opts.DefaultLocale
	if by.User != nil {
		defaultLang = by.User.Locale
	}
	if sp != nil && len(sp.LanguageList()) > 0 && parent == nil {
		defaultLang = sp.LanguageList()[0]
	}
	if err := s.fillText(ctx, tx, p, in, defaultLang); err != nil {
		return nil, err
	}
	if err := applyWarning(p, in.Warning, !by.IsLocal()); err != nil {
		return nil, err
	}
	if err := toolsAllow(sp, p, in); err != nil {
		return nil, err
	}
	var poll *Poll
	if in.Poll != nil {
		var err error
		if poll, err = s.newPoll(p, in.Poll, !by.IsLocal()); err != nil {
			return nil, err
		}
	}
	var faq *FAQEntry
	if p.Kind == KindFAQ || in.FAQ != nil {
		var err error
		if faq, err = newFAQEntry(p, sp, in.FAQ, !by.IsLocal()); err != nil {
			return nil, err
		}
	}
	var doc *Document
	if p.Kind == KindDocument || in.Document != nil {
		var err error
		if doc, err = newDocument(p, sp, in.Document, !by.IsLocal()); err != nil {
			return nil, err
		}
	}
	var page *WikiPage
	if p.Kind == KindPage || in.Wiki != nil {
		var err error
		if page, err = s.newWikiPage(ctx, tx, by, p, sp, in.Wiki); err != nil {
			return nil, err
		}
	}
	var event *CalendarEvent
	if p.Kind == KindEvent || in.Event != nil {
		if in.Event == nil {
			return nil, invalid("event", "event_required", "an event needs a date")
		}
		var err error
		if event, err = s.newEvent(p, in.Event, !by.IsLocal()); err != nil {
			return nil, err
		}
	}
	if err := tx.InsertPost(ctx, p); err != nil {
		return nil, err
	}
	if poll != nil {
		if err := tx.InsertPoll(ctx, poll); err != nil {
			return nil, err
		}
	}
	if event != nil {
		if err := tx.InsertEvent(ctx, event); err != nil {
			return nil, err
		}
	}
	if faq != nil {
		if err := s.placeFAQEntry(ctx, tx, sp, faq, in.FAQ, !by.IsLocal()); err != nil {
			return nil, err
		}
	}
	if page != nil {
		if err := s.placeWikiPage(ctx, tx, by, p, page, in.Wiki); err != nil {
			return nil, err
		}
	}
	if err := s.attach(ctx, tx, by, p, in); err != nil {
		return nil, err
	}
	if doc != nil {
		if err := s.placeDocument(ctx, tx, by, p, doc, in.Document); err != nil {
			return nil, err
		}
	}
	created, err := s.reload(ctx, tx, p.ID, sp, parent)
	if err != nil {
		return nil, err
	}
	if err := s.indexPost(ctx, tx, created); err != nil {
		return nil, err
	}
	return created, s.notifyMentions(ctx, tx, by, created, sp)
}

// fillText checks and renders the text of in onto p: the main language in
// the row, every language in Translations, hashtags, themes and mentions.
func (s *Service) fillText(ctx context.Context, tx *db.DB, p *Post, in PostInput, defaultLang string) error {
	if p.Kind != KindNote && p.Kind != KindArticle && p.Kind != KindEvent && p.Kind != KindFAQ && p.Kind != KindDocument && p.Kind != KindPage {
		return invalid("kind", "kind_invalid", "a post is a note, an article, an event, an FAQ entry, a document or a wiki page")
	}
	article := p.Kind == KindArticle
	titled := p.Kind != KindNote // articles, events, FAQ entries (the question) and wiki pages (the name)
	var links func(string) string
	if p.Kind == KindPage && p.Space != nil {
		prefix := s.wikiPrefix(p.Space)
		links = func(body string) string { return wikiLinks(body, prefix) }
	}
	if !titled && in.Title != "" || !article && (in.Summary != "" || len(in.Themes) > 0 || in.AppliesTo != "") {
		return invalid("title", "note_fields", "title, summary, themes and applies_to belong to articles (and a title to events and FAQ entries)")
	}
	p.Language = strings.ToLower(strings.TrimSpace(in.Language))
	if p.Language == "" {
		p.Language = defaultLang
	}
	if err := checkLanguage("language", p.Language); err != nil {
		return err
	}
	if len(in.Translations) > maxTranslations {
		return invalid("translations", "too_many_translations", "at most 10 translations")
	}
	texts := append([]TranslationInput{{Language: p.Language, Title: in.Title, Summary: in.Summary, Body: in.Body}}, in.Translations...)
	var (
		translations []*Translation
		mentions     []handle
		hashtags     []string
		seen         = map[string]bool{}
	)
	for i, t := range texts {
		field := "body"
		if i > 0 {
			field = "translations"
			t.Language = strings.ToLower(strings.TrimSpace(t.Language))
			if err := checkLanguage(field, t.Language); err != nil {
				return err
			}
		}
		if seen[t.Language] {
			return invalid(field, "language_twice", "each language is written once")
		}
		seen[t.Language] = true
		tr, r, err := s.checkText(ctx, tx, field, t, textRule{titled: titled, html: in.HTML, optional: p.Kind == KindDocument, links: links})
		if err != nil {
			return err
		}
		translations = append(translations, tr)
		mentions = append(mentions, r.Mentions...)
		hashtags = append(hashtags, r.Tags...)
	}
	main := translations[0]
	p.Title, p.Summary, p.Source, p.Content = main.Title, main.Summary, main.Source, main.Content
	p.Translations = translations
	applies := strings.TrimSpace(in.AppliesTo)
	if err := checkText("applies_to", applies, maxAppliesToRune, false); err != nil {
		return err
	}
	p.AppliesTo = applies
	themes, err := normalizeThemes("themes", in.Themes)
	if err != nil {
		return err
	}
	p.Tags = nil
	for _, t := range themes {
		p.Tags = append(p.Tags, &Tag{Kind: "theme", Tag: t})
	}
	for _, t := range dedupe(hashtags) {
		p.Tags = append(p.Tags, &Tag{Kind: "hashtag", Tag: t})
	}
	p.Mentions = nil
	if in.HTML {
		p.Mentions = mentionsOf(in.Mentioned)
		return nil
	}
	for _, h := range dedupeHandles(mentions) {
		m := &Mention{Username: h.Username, Domain: h.Domain}
		if a, err := tx.AccountByHandle(ctx, h.Username, h.Domain); err == nil {
			m.AccountID = a.ID
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
		p.Mentions = append(p.Mentions, m)
	}
	return nil
}

// applyWarning gives p the content warning w, when w is given: a remote
// warning is reduced to plain text (as Mastodon treats summary), a local one
// must be a line of at most 500 characters.
func applyWarning(p *Post, w *ContentWarning, remote bool) error {
	if w == nil {
		return nil
	}
	text := strings.TrimSpace(w.Text)
	if remote {
		text = PlainText(text)
	}
	if !w.Sensitive && text == "" {
		p.Sensitive, p.Warning = false, ""
		return nil
	}
	if p.Kind != KindNote {
		return invalid("content_warning", "warning_notes_only", "a content warning belongs to notes and comments")
	}
	if err := checkText("content_warning", text, maxWarningRunes, false); err != nil {
		return err
	}
	p.Sensitive, p.Warning = true, text
	return nil
}

// textRule is what one language's text of a post must be: titled (an
// article, an event, an FAQ entry, a document, a page), in HTML (another
// server's), optional (a document's description), its Markdown rewritten
// by links before rendering (a wiki page's [[links]]).
type textRule struct {
	titled, html, optional bool
	links                  func(string) string
}

// checkText checks one language's text and renders its body; titled texts
// (articles, events) need a title and may be long; a document's body (its
// description) may be empty. links, when given, rewrites Markdown before it
// is rendered (a wiki page's [[links]]); the source is kept as written.
func (s *Service) checkText(ctx context.Context, tx *db.DB, field string, t TranslationInput, rule textRule) (*Translation, rendered, error) {
	titled, isHTML, optional, links := rule.titled, rule.html, rule.optional, rule.links
	title, summary := strings.TrimSpace(t.Title), strings.TrimSpace(t.Summary)
	body := strings.TrimSpace(t.Body)
	if isHTML {
		// remote: titles and summaries are plain text; a summary in HTML is
		// reduced to its text, as Mastodon does for content warnings.
		title, summary = PlainText(title), PlainText(summary)
	}
	if titled && title == "" && field == "body" {
		return nil, rendered{}, invalid("title", "title_required", "an article needs a title")
	}
	if err := checkText("title", title, maxTitleRunes, false); err != nil {
		return nil, rendered{}, err
	}
	if err := checkText("summary", summary, maxSummaryRunes, true); err != nil {
		return nil, rendered{}, err
	}
	if body == "" && optional {
		return &Translation{Language: t.Language, Title: title, Summary: summary}, rendered{}, nil
	}
	if body == "" {
		return nil, rendered{}, invalid(field, "body_required", "the text is empty")
	}
	limit := maxNoteRunes
	if titled {
		limit = maxArticleRunes
	}
	if isHTML {
		limit = maxRemoteHTML
	}
	if !utf8.ValidString(body) || utf8.RuneCountInString(body) > limit {
		return nil, rendered{}, invalid(field, "body_too_long", "the text is too long or not valid UTF-8")
	}
	toRender := body
	if links != nil && !isHTML {
		toRender = links(body)
	}
	r, err := s.render(toRender, isHTML, func(h handle) string { return s.mentionHref(ctx, tx, h) })
	if err != nil {
		return nil, rendered{}, err
	}
	if r.HTML == "" && !optional {
		return nil, rendered{}, invalid(field, "body_required", "the text is empty once cleaned")
	}
	tr := &Translation{Language: t.Language, Title: title, Summary: summary, Content: r.HTML}
	if !isHTML {
		tr.Source = body
	}
	return tr, r, nil
}

// mentionHref is where a mention links: a local member's page, a known
// remote account's id; nothing for an account the node does not know.
func (s *Service) mentionHref(ctx context.Context, tx *db.DB, h handle) string {
	a, err := tx.AccountByHandle(ctx, h.Username, h.Domain)
	if err != nil {
		return ""
	}
	if a.IsLocal() {
		return s.opts.PublicURL + "/users/" + a.Username
	}
	return a.URI
}

// attach gives the post the media its author uploaded, and records remote files.
func (s *Service) attach(ctx context.Context, tx *db.DB, by *Account, p *Post, in PostInput) error {
	if len(in.Attachments)+len(in.RemoteAttachments) > maxAttachments {
		return invalid("attachments", "too_many_attachments", "at most 10 attachments")
	}
	for i, id := range in.Attachments {
		ok, err := tx.AttachMedia(ctx, id, by.ID, p.ID, i)
		if err != nil {
			return err
		}
		if !ok {
			return invalid("attachments", "attachment_invalid", "an attachment is not a file you uploaded, or is used already")
		}
	}
	for i, f := range in.RemoteAttachments {
		m := &Media{ID: newID(), AccountID: by.ID, PostID: p.ID, Position: len(in.Attachments) + i,
			URI: f.URI, MediaType: f.MediaType, Size: f.Size, Name: PlainText(f.Name),
			Description: PlainText(f.Description), CreatedAt: s.now()}
		if err := checkRemoteFile(m); err != nil {
			return err
		}
		if err := tx.InsertMedia(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// indexPost puts the post's words in the search index, each language's text
// under its own language (stemmed by it on PostgreSQL).
func (s *Service) indexPost(ctx context.Context, tx *db.DB, p *Post) error {
	var parts []db.SearchText
	for _, t := range p.Translations {
		parts = append(parts, db.SearchText{Language: t.Language, Text: Fold(t.Title + " " + t.Summary + " " + PlainText(t.Content))})
	}
	extra := []string{p.AppliesTo, p.Warning}
	for _, t := range p.Tags {
		extra = append(extra, t.Tag)
	}
	if p.Poll != nil {
		for _, o := range p.Poll.Options {
			extra = append(extra, o.Title)
		}
	}
	if p.Event != nil {
		extra = append(extra, p.Event.PlaceName, p.Event.Address)
	}
	if p.FAQ != nil {
		extra = append(extra, p.FAQ.Category)
	}
	if p.Document != nil {
		// a file's name in words: PostgreSQL takes "budget.pdf" as one token
		extra = append(extra, nameWords(p.Title), nameWords(p.Document.Folder))
	}
	parts = append(parts, db.SearchText{Language: p.Language, Text: Fold(strings.Join(extra, " "))})
	return tx.PutSearchDoc(ctx, p.ID, db.SearchPost, parts)
}

// reload loads a post as stored, with what events and doors need.
func (s *Service) reload(ctx context.Context, tx *db.DB, id string, sp *Space, parent *Post) (*Post, error) {
	p, err := tx.PostByID(ctx, id)
	if err != nil {
		return nil, err
	}
	p.Space, p.InReplyTo = sp, parent
	return p, s.withParts(ctx, tx, []*Post{p})
}

// notifyMentions notifies the local members a post mentions who may see it.
func (s *Service) notifyMentions(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space) error {
	var to []*Account
	for _, m := range p.Mentions {
		if m.AccountID == "" || m.Domain != "" {
			continue
		}
		a, err := tx.AccountByID(ctx, m.AccountID)
		if err != nil {
			return err
		}
		if _, err := tx.VisiblePost(ctx, s.Reader(a), p.ID); err == nil {
			to = append(to, a)
		} else if !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	return s.notify(ctx, tx, NotifyMention, by, p, sp, to...)
}

// postLoad loads a post if a reader may see it: db.VisiblePost, whole, or
// db.VisiblePostHead, without its parts.
type postLoad func(ctx context.Context, r db.Reader, id string) (*Post, error)

// visiblePost loads a post that viewer may see, with load: not found when
// they may not, gone when it was deleted.
func (s *Service) visiblePost(ctx context.Context, tx *db.DB, viewer *Account, id string, load postLoad) (*Post, error) {
	p, err := load(ctx, s.Reader(viewer), id)
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	if stored, err := tx.PostByID(ctx, id); err == nil && stored.IsDeleted() {
		return nil, errPostDeleted
	}
	return nil, errPostNotFound
}

// GetPost returns the post with id if viewer may see it, with its space and,
// for a comment, its parent. A deleted post answers KindGone (a tombstone).
func (s *Service) GetPost(ctx context.Context, viewer *Account, id string) (*Post, error) {
	p, err := s.visiblePost(ctx, s.db, viewer, id, s.db.VisiblePost)
	if err != nil {
		return nil, internal("get post", err)
	}
	if err := s.withSpaces(ctx, []*Post{p}); err != nil {
		return nil, err
	}
	if p.InReplyToID != "" {
		if parent, err := s.db.PostByID(ctx, p.InReplyToID); err == nil {
			p.InReplyTo = parent
		}
	}
	return p, nil
}

// PostByURI returns the remote post with this IRI if viewer may see it.
func (s *Service) PostByURI(ctx context.Context, viewer *Account, uri string) (*Post, error) {
	p, err := s.db.PostByURI(ctx, uri)
	if err != nil {
		return nil, notFoundOr("post by uri", err, errPostNotFound)
	}
	return s.GetPost(ctx, viewer, p.ID)
}

// CanSee tells whether account may see the post: the one visibility rule, for
// deliveries and fetches by other servers.
func (s *Service) CanSee(ctx context.Context, account *Account, postID string) (bool, error) {
	_, err := s.db.VisiblePost(ctx, s.Reader(account), postID)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, internal("can see", err)
	}
	return true, nil
}

// mentionsOf is the mention rows of the accounts a remote post names.
func mentionsOf(accounts []*Account) []*Mention {
	var out []*Mention
	seen := map[string]bool{}
	for _, a := range accounts {
		if a == nil || seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		out = append(out, &Mention{Username: a.Username, Domain: a.Domain, AccountID: a.ID})
	}
	return out
}

// mentions tells whether p mentions the account.
func mentions(p *Post, accountID string) bool {
	for _, m := range p.Mentions {
		if m.AccountID == accountID {
			return true
		}
	}
	return false
}

// MentionedSpace returns the handle of the first space body mentions in which
// by may start a post, or "" when it mentions none: clients of the Mastodon
// API post in a space by mentioning it, as on group servers.
func (s *Service) MentionedSpace(ctx context.Context, by *Account, body string) (string, error) {
	own := ""
	if u, err := url.Parse(s.opts.PublicURL); err == nil {
		own = u.Host
	}
	for _, m := range mentionPattern.FindAllStringSubmatch(body, -1) {
		h := handle{Username: m[2], Domain: strings.ToLower(strings.TrimPrefix(m[3], "@"))}
		if h.Domain == own {
			h.Domain = ""
		}
		sp, err := findSpace(ctx, s.db, h.String())
		if err != nil {
			continue
		}
		switch err := s.mayWrite(ctx, s.db, by, sp, true); {
		case err == nil:
			return h.String(), nil
		case KindOf(err) == KindInternal || KindOf(err) == KindUnavailable:
			return "", internal("mentioned space", err)
		}
	}
	return "", nil
}
