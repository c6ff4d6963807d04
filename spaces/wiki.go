package spaces

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/diff"
)

// The wiki of a space: pages in Markdown that link to each other with
// [[Page name]] (or [[Page name|label]]), in a tree, each with every
// revision kept. A page is a post of kind page — its title the page's
// name, its body the current text — so that search, visibility, deletion,
// export and federation treat it as any post; its row (WikiPage) adds the
// slug (the name folded, for URLs and links), the parent page and the
// current revision's number, and each revision (WikiRevision) is kept
// whole with its author and time.
//
// Any active member of the space edits any page (mayEditWiki, the one
// rule), wherever his account is: the space's node keeps the wiki, takes
// the revisions of its members of other servers (mirrorWikiRevision), and
// a member here of a space of another node sends his edits there
// (sendWikiEdit), where they are made. An edit names the revision it was based on; when that is no
// longer the current one the edit is refused (WikiConflict) with what it
// takes to merge by hand — and, when the two edits touch different lines,
// the merged text — so that no one's work is lost silently. Restoring an
// old revision is a new revision copying it.

// KindPage is the kind of a post that is a wiki page.
const KindPage = "page"

// Limits of the wiki.
const (
	MaxWikiPages        = 1000 // a wiki's index is read whole
	maxWikiSlugRunes    = 100
	maxWikiSummaryRunes = 200
	maxWikiDepth        = 20 // of the tree, so that walking up ends
	maxWikiRevisions    = 500
)

// WikiInput is the wiki part of a new page or of an edit.
type WikiInput struct {
	// Parent is the slug of the parent page; "" puts the page at the top.
	Parent string
	// Base is the revision an edit was based on.
	Base int
	// Summary says what the edit did, in one line.
	Summary string
	// Restored is the revision an edit restores (0: none).
	Restored int

	// Pages of other servers only.
	Revision  int    // the number the page's server gave this revision
	ParentURI string // the IRI of the parent page
	ParentID  string // the parent page, when that IRI is this node's
	Source    string // the Markdown it was written in, kept for comparisons
}

// WikiConflict refuses an edit based on a revision that is no longer the
// current one. It carries the base and current revisions, so that the
// editor sees what changed meanwhile, and Merged when the two edits touch
// different lines. Its domain error (code wiki_conflict) is what the doors
// map.
type WikiConflict struct {
	Base, Current *WikiRevision
	Merged        string
	Clean         bool // Merged holds both edits
}

func (c *WikiConflict) Error() string { return errWikiConflict.Error() }

// Changes are what others changed meanwhile: from the base revision (or,
// when it is unknown, the empty page) to the current one, in hunks.
func (c *WikiConflict) Changes() []diff.Hunk {
	from := &WikiRevision{}
	if c.Base != nil {
		from = c.Base
	}
	return diff.Hunks(diff.Lines(diff.SplitLines(revisionText(from)), diff.SplitLines(revisionText(c.Current))), 3)
}

// Unwrap makes the conflict a domain error of kind conflict.
func (c *WikiConflict) Unwrap() error { return errWikiConflict }

var (
	errWikiOff          = forbidden("tool_off", "this space has switched off its wiki")
	errWikiListOff      = notFound("tool_off", "this space has switched off its wiki")
	errWikiPageNotFound = notFound("wiki_page_not_found", "no such page in this wiki")
	errWikiPageExists   = conflict("title", "wiki_page_exists", "a page of this name exists already in this wiki")
	errWikiConflict     = conflict("base_revision", "wiki_conflict", "the page changed since this edit began: merge the changes and save again")
	errWikiRevision     = notFound("wiki_revision_not_found", "no such revision of this page")
	errNotWikiPage      = invalid("wiki", "wiki_not_allowed", "only a wiki page has a place in a wiki")
	errWikiEditForm     = invalid("kind", "wiki_edit_form", "a wiki page is edited in its wiki, as a new revision")
)

// mayEditWiki is the rule of the wiki: an active member of a live space
// whose wiki is on — owner, moderator or member, whatever the space's
// posting rule, since a wiki is written together — creates and edits its
// pages; the space's remote Group speaks for its members. Someone who may
// not see the space is told it is not there.
func (s *Service) mayEditWiki(ctx context.Context, tx *db.DB, by *Account, sp *Space) error {
	if sp.IsArchived() {
		return errArchived
	}
	if !canAct(by) {
		return errUnauthenticated
	}
	if !speaksFor(by, sp) {
		if err := s.mayWrite(ctx, tx, by, sp, false); err != nil {
			return err
		}
	}
	if !sp.ToolOn(ToolWiki) {
		return errWikiOff
	}
	return nil
}

// MayEditWiki tells whether by may create and edit the pages of sp
// (mayEditWiki), for the doors to show or hide their forms.
func (s *Service) MayEditWiki(ctx context.Context, by *Account, sp *Space) bool {
	return sp != nil && s.mayEditWiki(ctx, s.db, by, sp) == nil
}

// WikiSlug is the slug of a page name: its letters and digits folded
// (lower case, no accents), other characters made single dashes.
func WikiSlug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range Fold(strings.TrimSpace(name)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return cutText(b.String(), maxWikiSlugRunes)
}

// wikiLinkPattern is [[Page name]] or [[Page name|label]] on one line.
var wikiLinkPattern = regexp.MustCompile(`\[\[([^\[\]|\n]{1,200})(?:\|([^\[\]\n]{1,200}))?\]\]`)

// markdownSpecial are the characters escaped in a link's label.
var markdownSpecial = strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, `*`, `\*`, `_`, `\_`, "`", "\\`", `<`, `\<`, `>`, `\>`)

// wikiLinks turns the [[links]] of a page's Markdown into Markdown links
// to the pages of the wiki at prefix (".../wiki/"), outside fenced code.
func wikiLinks(source, prefix string) string {
	lines := strings.Split(source, "\n")
	fenced := false
	for i, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		lines[i] = wikiLinkPattern.ReplaceAllStringFunc(l, func(m string) string {
			parts := wikiLinkPattern.FindStringSubmatch(m)
			name, label := strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
			if label == "" {
				label = name
			}
			slug := WikiSlug(name)
			if slug == "" {
				return m
			}
			return "[" + markdownSpecial.Replace(label) + "](" + prefix + url.PathEscape(slug) + ")"
		})
	}
	return strings.Join(lines, "\n")
}

// wikiPrefix is where the pages of sp's wiki are on this node.
func (s *Service) wikiPrefix(sp *Space) string {
	return s.opts.PublicURL + "/spaces/" + url.PathEscape(spaceHandle(sp)) + "/wiki/"
}

// newWikiPage checks the wiki part of a new post p and makes its row and
// first revision; they are stored once p is (placeWikiPage).
func (s *Service) newWikiPage(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space, in *WikiInput) (*WikiPage, error) {
	if p.Kind != KindPage {
		return nil, errNotWikiPage
	}
	if sp == nil {
		return nil, invalid("wiki", "wiki_in_space", "a wiki page belongs to a space")
	}
	if in == nil {
		in = &WikiInput{}
	}
	page := &WikiPage{PostID: p.ID, SpaceID: sp.AccountID, Slug: WikiSlug(p.Title), Revision: 1}
	if page.Slug == "" {
		return nil, invalid("title", "wiki_title_invalid", "a page's name needs a letter or a digit")
	}
	// Pages created at once in a space see each other: a name taken, or
	// (from another server) a parent that arrives with its child — each
	// finds the other's row, or adopts it (placeWikiPage), never neither.
	if err := tx.LockSpace(ctx, sp.AccountID); err != nil {
		return nil, err
	}
	if _, err := tx.WikiPageBySlug(ctx, sp.AccountID, page.Slug); err == nil {
		if by.IsLocal() {
			return nil, errWikiPageExists
		}
		page.Slug = cutText(page.Slug, maxWikiSlugRunes-27) + "-" + strings.ToLower(p.ID) // another server's page of the same name
	} else if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	if !by.IsLocal() {
		page.Revision = max(in.Revision, 1)
		page.ParentID, page.ParentURI = s.remoteWikiParent(ctx, tx, sp, in), in.ParentURI
		return page, nil
	}
	parent, err := s.wikiParent(ctx, tx, sp, page, in.Parent)
	if err != nil {
		return nil, err
	}
	page.ParentID = parent
	return page, nil
}

// remoteWikiParent is the parent of a page of another server: the page of
// the same wiki that in names — one of this node's by its id, another
// server's by its IRI — if the node has it; else the top.
func (s *Service) remoteWikiParent(ctx context.Context, tx *db.DB, sp *Space, in *WikiInput) string {
	var p *Post
	var err error
	switch {
	case in.ParentID != "":
		p, err = tx.PostByID(ctx, in.ParentID)
	case in.ParentURI != "":
		p, err = tx.PostByURI(ctx, in.ParentURI)
	default:
		return ""
	}
	if err != nil || p.SpaceID != sp.AccountID || p.Kind != KindPage || p.IsDeleted() {
		return ""
	}
	return p.ID
}

// remoteSource is the Markdown another server sent with a revision,
// kept for comparisons only (the HTML it sent is what is shown).
func remoteSource(in *WikiInput) string {
	if in == nil {
		return ""
	}
	return cutText(strings.TrimSpace(in.Source), maxArticleRunes)
}

// placeWikiPage stores the row and first revision of a new page p.
func (s *Service) placeWikiPage(ctx context.Context, tx *db.DB, by *Account, p *Post, page *WikiPage, in *WikiInput) error {
	if err := tx.InsertWikiPage(ctx, page); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return errWikiPageExists
		}
		return err
	}
	summary, err := wikiSummary(in, !by.IsLocal())
	if err != nil {
		return err
	}
	source := p.Source
	if !by.IsLocal() {
		source = remoteSource(in)
		if err := tx.AdoptWikiChildren(ctx, page, p.URI); err != nil {
			return err
		}
	}
	return tx.InsertWikiRevision(ctx, &WikiRevision{PostID: p.ID, Number: page.Revision, AccountID: by.ID, CreatedAt: p.CreatedAt,
		Title: p.Title, Source: source, Content: p.Content, Summary: summary})
}

// mirrorWikiRevision takes a revision of page p, made by by (an account
// of another server, or a member here whose edit came back), at the number
// the page's keeper gave it. On the node of p's space, which keeps the
// page, any member of the space revises it (mayEditWiki), his revision
// based on the current one. Elsewhere the node mirrors the page: it takes
// a revision from the page's author's server, or one the Group of its
// space vouches for (vouched: the Group announced it, whoever made it). A
// revision no newer than the one the node has (a duplicate, or one
// overtaken on the way) changes nothing there.
func (s *Service) mirrorWikiRevision(ctx context.Context, tx *db.DB, by *Account, p *Post, sp *Space, in PostInput, vouched bool) (*Post, error) {
	if sp == nil || in.Wiki == nil || len(in.Attachments) > 0 || !in.HTML {
		return nil, errWikiEditForm
	}
	if sp.Account.IsLocal() {
		if err := s.mayEditWiki(ctx, tx, by, sp); err != nil {
			return nil, err
		}
	} else if p.AccountID != by.ID && !vouched && !speaksFor(by, sp) {
		return nil, forbidden("not_author", "a page's revision by another than its author comes from its space's Group")
	}
	page, err := s.wikiPageRow(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	next := in.Wiki.Revision
	switch {
	case sp.Account.IsLocal() && next != page.Revision+1:
		// this node keeps the page: an edit by the author's server based
		// on an older revision is refused, as a local one would be
		return nil, s.wikiConflict(ctx, tx, page, next-1, remoteSource(in.Wiki))
	case next == page.Revision && vouched && by.ID != p.AccountID:
		// the author's Update of another's revision came first: it names
		// no editor, the Group's announcement of the editor's does
		if err := tx.SetWikiRevisionAccount(ctx, p.ID, next, by.ID); err != nil {
			return nil, err
		}
		return s.reload(ctx, tx, p.ID, sp, nil)
	case next <= page.Revision: // a mirror: an old or repeated revision
		return s.reload(ctx, tx, p.ID, sp, nil)
	}
	in.Kind = KindPage
	if source := remoteSource(in.Wiki); sp.Account.IsLocal() && source != "" {
		// this node keeps the page: it renders the Markdown itself, its
		// [[links]] to its own wiki, and serves it with the page
		in.Body, in.HTML, in.Translations = source, false, nil
	}
	if err := s.fillText(ctx, tx, p, in, p.Language); err != nil {
		return nil, err
	}
	if ok, err := tx.AdvanceWikiPage(ctx, p.ID, page.Revision, next); err != nil || !ok {
		return nil, errors.Join(err, errWikiConflict)
	}
	page.Revision, page.ParentID, page.ParentURI = next, s.remoteWikiParent(ctx, tx, sp, in.Wiki), in.Wiki.ParentURI
	if slug := WikiSlug(p.Title); slug != "" && slug != page.Slug {
		if _, err := tx.WikiPageBySlug(ctx, sp.AccountID, slug); errors.Is(err, db.ErrNotFound) {
			page.Slug = slug
		}
	}
	if err := tx.SetWikiPlace(ctx, page); err != nil {
		return nil, err
	}
	p.EditedAt = s.now()
	if !in.Published.IsZero() {
		p.EditedAt = in.Published.UTC().Truncate(time.Microsecond)
	}
	summary, _ := wikiSummary(in.Wiki, true)
	out, err := s.storeWikiRevision(ctx, tx, p, sp, &WikiRevision{Number: next, AccountID: by.ID, Source: remoteSource(in.Wiki),
		Summary: summary})
	if err != nil {
		return nil, err
	}
	if sp.Account.IsLocal() && by.ID != p.AccountID {
		if err := s.notify(ctx, tx, NotifyWikiEdited, by, out, sp, out.Author); err != nil {
			return nil, err
		}
	}
	return out, s.emit(ctx, tx, PostUpdated{Post: out})
}

// ReceiveWikiRevision takes a revision of the page id that the Group of
// its space announced, made by editor (who may be another than the page's
// author, and may be a member here whose edit the space's node took): the
// Group, whose signature the federation layer checked, keeps the wiki and
// vouches for the revision. A revision no newer than the node's changes
// nothing.
func (s *Service) ReceiveWikiRevision(ctx context.Context, group, editor *Account, id string, in PostInput) (*Post, error) {
	if !canAct(group) || group.IsLocal() || group.Type != TypeGroup {
		return nil, forbidden("not_remote_group", "only a remote Group announces revisions")
	}
	if editor == nil || editor.Type != TypePerson {
		return nil, invalid("actor", "editor_invalid", "a revision is made by a person")
	}
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, sp, err := s.ownPost(ctx, tx, group, id, tx.VisiblePost)
		if err != nil {
			return err
		}
		if p.Kind != KindPage || !speaksFor(group, sp) {
			return forbidden("not_in_space", "the Group vouches only for the pages of its space")
		}
		out, err = s.mirrorWikiRevision(ctx, tx, editor, p, sp, in, true)
		return err
	})
	if err != nil {
		return nil, internal("receive wiki revision", err)
	}
	return out, nil
}

// sendWikiEdit is the edit by a member here of page p of a space of
// another node, which keeps the page and speaks for it: the edit goes to
// that node (WikiEditSent), checked against the current revision known
// here, and nothing changes here until the space's Group announces the
// revision back — or ever, when that node refuses it (a revision made
// meanwhile there). The page returned is p as it stands, at its revision.
func (s *Service) sendWikiEdit(ctx context.Context, tx *db.DB, by *Account, sp *Space, page *WikiPage, p *Post, in PostInput) (*Post, error) {
	edited := *p
	if err := s.fillText(ctx, tx, &edited, in, p.Language); err != nil {
		return nil, err
	}
	if _, err := wikiSummary(in.Wiki, false); err != nil {
		return nil, err
	}
	if WikiSlug(edited.Title) == "" {
		return nil, invalid("title", "wiki_title_invalid", "a page's name needs a letter or a digit")
	}
	row := *page
	row.Revision = page.Revision + 1
	var err error
	if row.ParentID, err = s.wikiParent(ctx, tx, sp, &row, in.Wiki.Parent); err != nil {
		return nil, err
	}
	edited.Wiki, edited.EditedAt = &row, s.now()
	if err := s.emit(ctx, tx, WikiEditSent{Post: &edited, By: by}); err != nil {
		return nil, err
	}
	return p, nil
}

// EditSent tells whether an edit of page p based on revision base, which
// returned p, went to the node of p's space rather than making a revision
// here (sendWikiEdit): p is then still at revision base.
func EditSent(p *Post, base int) bool {
	return p != nil && p.Wiki != nil && p.Wiki.Revision == base
}

// wikiPageRow loads the wiki row of page p.
func (s *Service) wikiPageRow(ctx context.Context, tx *db.DB, p *Post) (*WikiPage, error) {
	rows, err := tx.WikiPagesOf(ctx, []string{p.ID})
	if err != nil {
		return nil, err
	}
	if rows[p.ID] == nil {
		return nil, errWikiPageNotFound
	}
	return rows[p.ID], nil
}

func wikiSummary(in *WikiInput, remote bool) (string, error) {
	if in == nil {
		return "", nil
	}
	summary := strings.Join(strings.Fields(in.Summary), " ")
	if remote {
		return cutText(PlainText(summary), maxWikiSummaryRunes), nil
	}
	return summary, checkText("summary", summary, maxWikiSummaryRunes, false)
}

// wikiParent finds the parent named by slug for page: a page of the same
// wiki that is neither page itself nor under it.
func (s *Service) wikiParent(ctx context.Context, tx *db.DB, sp *Space, page *WikiPage, slug string) (string, error) {
	slug = WikiSlug(slug)
	if slug == "" {
		return "", nil
	}
	parent, err := tx.WikiPageBySlug(ctx, sp.AccountID, slug)
	if errors.Is(err, db.ErrNotFound) {
		return "", invalid("parent", "wiki_parent_not_found", "the parent page is not in this wiki")
	} else if err != nil {
		return "", err
	}
	for cur, depth := parent, 0; ; depth++ {
		if cur.PostID == page.PostID {
			return "", invalid("parent", "wiki_parent_cycle", "a page cannot be under itself")
		}
		if cur.ParentID == "" {
			break
		}
		if depth >= maxWikiDepth {
			return "", invalid("parent", "wiki_too_deep", "the tree of pages is at most 20 deep")
		}
		rows, err := tx.WikiPagesOf(ctx, []string{cur.ParentID})
		if err != nil {
			return "", err
		}
		if cur = rows[cur.ParentID]; cur == nil {
			break
		}
	}
	return parent.PostID, nil
}

// CreateWikiPage writes a new page in the wiki of the space named handle:
// its name, its Markdown text, its parent (in.Wiki.Parent) and a summary.
func (s *Service) CreateWikiPage(ctx context.Context, by *Account, handle string, in PostInput) (*Post, error) {
	in.Kind = KindPage
	if in.Wiki == nil {
		in.Wiki = &WikiInput{}
	}
	return s.CreatePost(ctx, by, handle, in)
}

// EditWikiPage writes a new revision of the page slug of the space named
// handle: its name, text and parent, based on revision in.Wiki.Base. An
// edit based on an older revision than the current one is refused with a
// *WikiConflict; nothing is stored. The page's author is told of others'
// edits.
func (s *Service) EditWikiPage(ctx context.Context, by *Account, handle, slug string, in PostInput) (*Post, error) {
	if err := s.checkAuthor(by, in); err != nil {
		return nil, err
	}
	if in.Wiki == nil || in.Wiki.Base < 1 {
		return nil, invalid("base_revision", "wiki_base_required", "an edit names the revision it was based on")
	}
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, page, p, err := s.editablePage(ctx, tx, by, handle, slug)
		if err != nil {
			return err
		}
		out, err = s.reviseWikiPage(ctx, tx, by, sp, page, p, in)
		return err
	})
	if err != nil {
		return nil, internal("edit wiki page", err)
	}
	return out, nil
}

// wikiPageOf loads the page slug of sp, as by may see it.
func (s *Service) wikiPageOf(ctx context.Context, tx *db.DB, by *Account, sp *Space, slug string) (*WikiPage, *Post, error) {
	page, err := tx.WikiPageBySlug(ctx, sp.AccountID, WikiSlug(slug))
	if err != nil {
		return nil, nil, notFoundOr("wiki page", err, errWikiPageNotFound)
	}
	p, err := s.visiblePost(ctx, tx, by, page.PostID, tx.VisiblePost)
	if err != nil {
		return nil, nil, errWikiPageNotFound
	}
	p.Space, p.Wiki = sp, page
	return page, p, nil
}

// reviseWikiPage applies an edit to page p: the text, the slug that
// follows its name, the parent, and a new revision — if in.Wiki.Base is
// current still.
func (s *Service) reviseWikiPage(ctx context.Context, tx *db.DB, by *Account, sp *Space, page *WikiPage, p *Post, in PostInput) (*Post, error) {
	base := in.Wiki.Base
	if base != page.Revision {
		return nil, s.wikiConflict(ctx, tx, page, base, in.Body)
	}
	if in.Kind != "" && in.Kind != KindPage {
		return nil, invalid("kind", "kind_fixed", "a post keeps its kind")
	}
	if !sp.Account.IsLocal() && by.IsLocal() && p.AccountID != by.ID {
		return s.sendWikiEdit(ctx, tx, by, sp, page, p, in)
	}
	in.Kind = KindPage
	if err := s.fillText(ctx, tx, p, in, p.Language); err != nil {
		return nil, err
	}
	summary, err := wikiSummary(in.Wiki, !by.IsLocal())
	if err != nil {
		return nil, err
	}
	if slug := WikiSlug(p.Title); slug != page.Slug {
		if slug == "" {
			return nil, invalid("title", "wiki_title_invalid", "a page's name needs a letter or a digit")
		}
		if _, err := tx.WikiPageBySlug(ctx, sp.AccountID, slug); err == nil {
			return nil, errWikiPageExists
		} else if !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
		page.Slug = slug
	}
	if page.ParentID, err = s.wikiParent(ctx, tx, sp, page, in.Wiki.Parent); err != nil {
		return nil, err
	}
	if ok, err := tx.AdvanceWikiPage(ctx, page.PostID, base, base+1); err != nil {
		return nil, err
	} else if !ok { // another edit of the same base won
		return nil, s.wikiConflict(ctx, tx, page, base, in.Body)
	}
	page.Revision = base + 1
	if err := tx.SetWikiPlace(ctx, page); err != nil {
		if errors.Is(err, db.ErrConflict) {
			return nil, errWikiPageExists
		}
		return nil, err
	}
	p.EditedAt = s.now()
	out, err := s.storeWikiRevision(ctx, tx, p, sp, &WikiRevision{Number: page.Revision, AccountID: by.ID, Source: p.Source,
		Summary: summary, Restored: in.Wiki.Restored})
	if err != nil {
		return nil, err
	}
	if err := s.notify(ctx, tx, NotifyWikiEdited, by, out, sp, out.Author); err != nil {
		return nil, err
	}
	return out, s.emit(ctx, tx, PostUpdated{Post: out})
}

// storeWikiRevision keeps rev as the revision p now is — its title, HTML
// and time p's, as edited — and stores p, reloaded and indexed.
func (s *Service) storeWikiRevision(ctx context.Context, tx *db.DB, p *Post, sp *Space, rev *WikiRevision) (*Post, error) {
	rev.PostID, rev.CreatedAt, rev.Title, rev.Content = p.ID, p.EditedAt, p.Title, p.Content
	if err := tx.InsertWikiRevision(ctx, rev); err != nil {
		return nil, err
	}
	if err := tx.UpdatePost(ctx, p, true, "language", "title", "summary", "source", "content", "edited_at"); err != nil {
		return nil, err
	}
	out, err := s.reload(ctx, tx, p.ID, sp, nil)
	if err != nil {
		return nil, err
	}
	if err := s.indexPost(ctx, tx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// wikiConflict is the refusal of an edit (text mine) based on revision
// base of page, with the merge of mine and the current text when the two
// touch different lines.
func (s *Service) wikiConflict(ctx context.Context, tx *db.DB, page *WikiPage, base int, mine string) error {
	current, err := tx.WikiRevisionByNumber(ctx, page.PostID, page.Revision)
	if err != nil {
		return err
	}
	c := &WikiConflict{Current: current}
	if base >= 1 && base < page.Revision {
		if c.Base, err = tx.WikiRevisionByNumber(ctx, page.PostID, base); err != nil && !errors.Is(err, db.ErrNotFound) {
			return err
		}
	}
	if c.Base != nil {
		merged, ok := diff.Merge3(diff.SplitLines(c.Base.Source), diff.SplitLines(mine), diff.SplitLines(current.Source))
		if ok {
			c.Merged, c.Clean = strings.Join(merged, "\n"), true
		}
	}
	return c
}

// editablePage loads the page slug of the space named handle for by to
// change, once the rule of the wiki (mayEditWiki) lets them.
func (s *Service) editablePage(ctx context.Context, tx *db.DB, by *Account, handle, slug string) (*Space, *WikiPage, *Post, error) {
	sp, err := findSpace(ctx, tx, handle)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.mayEditWiki(ctx, tx, by, sp); err != nil {
		return nil, nil, nil, err
	}
	page, p, err := s.wikiPageOf(ctx, tx, by, sp, slug)
	if err != nil {
		return nil, nil, nil, err
	}
	return sp, page, p, nil
}

// RestoreWikiRevision makes revision number of the page slug current
// again, as a new revision copying it (based on revision base, as any
// edit).
func (s *Service) RestoreWikiRevision(ctx context.Context, by *Account, handle, slug string, number, base int) (*Post, error) {
	var out *Post
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		sp, page, p, err := s.editablePage(ctx, tx, by, handle, slug)
		if err != nil {
			return err
		}
		old, err := tx.WikiRevisionByNumber(ctx, page.PostID, number)
		if err != nil {
			return notFoundOr("wiki revision", err, errWikiRevision)
		}
		if old.Source == "" {
			return invalid("revision", "wiki_restore_remote", "a revision written elsewhere in HTML cannot be restored here")
		}
		parent := ""
		if page.ParentID != "" {
			rows, err := tx.WikiPagesOf(ctx, []string{page.ParentID})
			if err != nil {
				return err
			}
			if rows[page.ParentID] != nil {
				parent = rows[page.ParentID].Slug
			}
		}
		in := PostInput{Kind: KindPage, Title: old.Title, Body: old.Source, Language: p.Language,
			Wiki: &WikiInput{Base: base, Parent: parent, Restored: number}}
		out, err = s.reviseWikiPage(ctx, tx, by, sp, page, p, in)
		return err
	})
	if err != nil {
		return nil, internal("restore wiki revision", err)
	}
	return out, nil
}

// removeWikiPage takes a deleted page out of its wiki, with its revisions.
func (s *Service) removeWikiPage(ctx context.Context, tx *db.DB, p *Post) error {
	if p.Kind != KindPage {
		return nil
	}
	return tx.DeleteWikiPage(ctx, p.ID)
}

// withWiki attaches to posts of kind page their rows.
func (s *Service) withWiki(ctx context.Context, r *db.DB, posts []*Post) error {
	var ids []string
	for _, p := range posts {
		if p.Kind == KindPage {
			ids = append(ids, p.ID)
		}
	}
	rows, err := r.WikiPagesOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range posts {
		if p.Kind == KindPage {
			p.Wiki = rows[p.ID]
		}
	}
	return nil
}
