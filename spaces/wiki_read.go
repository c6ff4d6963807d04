package spaces

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"github.com/ruche-social/ruche/diff"
)

// WikiRef names a page: for links, breadcrumbs and the tree.
type WikiRef struct {
	Slug  string
	Title string
}

// WikiNode is a page in the tree of its wiki, with the pages under it.
type WikiNode struct {
	Page     *Post
	Children []*WikiNode
}

// Wiki is a space's wiki as a reader sees it: its pages in a tree, each
// level by name.
type Wiki struct {
	Space   *Space
	Roots   []*WikiNode
	Count   int
	CanEdit bool // the reader may create and edit pages (mayEditWiki)
}

// WikiView is a page as a reader sees it.
type WikiView struct {
	Space    *Space
	Page     *Post
	Revision *WikiRevision // the current one, or the one asked for
	URL      string        // the page on this node
	// HTML is the revision's text, with links to pages not written yet
	// marked (class wiki-missing).
	HTML     string
	Parent   *WikiRef
	Path     []WikiRef // the pages above it, from the top
	Children []WikiRef
	CanEdit  bool
}

// WikiComparison is what changed between two revisions of a page.
type WikiComparison struct {
	*WikiView
	From, To          *WikiRevision
	Hunks             []diff.Hunk
	Inserted, Deleted int
	TitleChanged      bool
}

// spaceWiki loads the space named handle for viewer, refusing a wiki that
// is switched off as not there (its pages are kept).
func (s *Service) spaceWiki(ctx context.Context, viewer *Account, handle string) (*Space, error) {
	sp, err := s.Space(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	if !sp.ToolOn(ToolWiki) {
		return nil, errWikiListOff
	}
	return sp, nil
}

// SpaceWiki returns the tree of a space's wiki: the pages viewer may see,
// each under its parent (at the top when viewer may not see the parent).
func (s *Service) SpaceWiki(ctx context.Context, viewer *Account, handle string) (*Wiki, error) {
	sp, err := s.spaceWiki(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	posts, err := s.db.ListWiki(ctx, s.Reader(viewer), sp.AccountID, MaxWikiPages)
	if err != nil {
		return nil, internal("wiki", err)
	}
	if err := s.withSpaces(ctx, posts); err != nil {
		return nil, err
	}
	out := &Wiki{Space: sp, Count: len(posts), CanEdit: s.MayEditWiki(ctx, viewer, sp)}
	nodes := map[string]*WikiNode{}
	for _, p := range posts {
		nodes[p.ID] = &WikiNode{Page: p}
	}
	for _, p := range posts { // by name: each level keeps that order
		n := nodes[p.ID]
		if p.Wiki != nil && nodes[p.Wiki.ParentID] != nil {
			parent := nodes[p.Wiki.ParentID]
			parent.Children = append(parent.Children, n)
		} else {
			out.Roots = append(out.Roots, n)
		}
	}
	return out, nil
}

// WikiPage returns the page slug of a space's wiki as viewer sees it, at
// revision number (0: the current one).
func (s *Service) WikiPage(ctx context.Context, viewer *Account, handle, slug string, number int) (*WikiView, error) {
	sp, err := s.spaceWiki(ctx, viewer, handle)
	if err != nil {
		return nil, err
	}
	page, p, err := s.wikiPageOf(ctx, s.db, viewer, sp, slug)
	if err != nil {
		return nil, err
	}
	if err := s.withParts(ctx, s.db, []*Post{p}); err != nil {
		return nil, internal("wiki page", err)
	}
	if number == 0 {
		number = page.Revision
	}
	rev, err := s.db.WikiRevisionByNumber(ctx, page.PostID, number)
	if err != nil {
		return nil, notFoundOr("wiki revision", err, errWikiRevision)
	}
	v := &WikiView{Space: sp, Page: p, Revision: rev, CanEdit: s.MayEditWiki(ctx, viewer, sp),
		URL: s.wikiPrefix(sp) + url.PathEscape(page.Slug)}
	if v.HTML, err = s.markMissing(ctx, sp, rev.Content); err != nil {
		return nil, internal("wiki page", err)
	}
	if err := s.wikiPlace(ctx, viewer, v, page); err != nil {
		return nil, internal("wiki page", err)
	}
	return v, nil
}

// wikiPlace fills the pages above and under a page that viewer may see.
func (s *Service) wikiPlace(ctx context.Context, viewer *Account, v *WikiView, page *WikiPage) error {
	for id, depth := page.ParentID, 0; id != "" && depth < maxWikiDepth; depth++ {
		rows, err := s.db.WikiPagesOf(ctx, []string{id})
		if err != nil || rows[id] == nil {
			return err
		}
		p, err := s.db.VisiblePostHead(ctx, s.Reader(viewer), id)
		if err != nil {
			break // a page above that viewer may not see ends the path
		}
		v.Path = append([]WikiRef{{Slug: rows[id].Slug, Title: p.Title}}, v.Path...)
		id = rows[id].ParentID
	}
	if len(v.Path) > 0 {
		v.Parent = &v.Path[len(v.Path)-1]
	}
	posts, err := s.db.ListWiki(ctx, s.Reader(viewer), v.Space.AccountID, MaxWikiPages)
	if err != nil {
		return err
	}
	if err := s.withWiki(ctx, s.db, posts); err != nil {
		return err
	}
	for _, p := range posts {
		if p.Wiki != nil && p.Wiki.ParentID == page.PostID {
			v.Children = append(v.Children, WikiRef{Slug: p.Wiki.Slug, Title: p.Title})
		}
	}
	return nil
}

// wikiHrefPattern finds the links of rendered HTML.
var wikiHrefPattern = regexp.MustCompile(`<a href="([^"]*)"`)

// markMissing marks the links of content to pages of sp's wiki that do
// not exist (yet): the page they lead to offers to write them.
func (s *Service) markMissing(ctx context.Context, sp *Space, content string) (string, error) {
	prefix := s.wikiPrefix(sp)
	slugOf := func(href string) (string, bool) {
		rest, ok := strings.CutPrefix(strings.ReplaceAll(href, "&amp;", "&"), prefix)
		if !ok || strings.ContainsAny(rest, "/?#") {
			return "", false
		}
		slug, err := url.PathUnescape(rest)
		return slug, err == nil && slug != ""
	}
	var slugs []string
	for _, m := range wikiHrefPattern.FindAllStringSubmatch(content, -1) {
		if slug, ok := slugOf(m[1]); ok {
			slugs = append(slugs, slug)
		}
	}
	if len(slugs) == 0 {
		return content, nil
	}
	found, err := s.db.WikiSlugs(ctx, sp.AccountID, dedupe(slugs))
	if err != nil {
		return "", err
	}
	return wikiHrefPattern.ReplaceAllStringFunc(content, func(m string) string {
		href := wikiHrefPattern.FindStringSubmatch(m)[1]
		if slug, ok := slugOf(href); ok && !found[slug] {
			return `<a class="wiki-missing" href="` + href + `"`
		}
		return m
	}), nil
}

// WikiHistory returns a page and its revisions, newest first.
func (s *Service) WikiHistory(ctx context.Context, viewer *Account, handle, slug string) (*WikiView, []*WikiRevision, error) {
	v, err := s.WikiPage(ctx, viewer, handle, slug, 0)
	if err != nil {
		return nil, nil, err
	}
	revs, err := s.db.WikiRevisions(ctx, v.Page.ID, false)
	if err != nil {
		return nil, nil, internal("wiki history", err)
	}
	if len(revs) > maxWikiRevisions {
		revs = revs[:maxWikiRevisions]
	}
	return v, revs, nil
}

// CompareWikiRevisions returns what changed in a page from revision from
// to revision to (0: the current one), line by line, in hunks with three
// lines of context around each change.
func (s *Service) CompareWikiRevisions(ctx context.Context, viewer *Account, handle, slug string, from, to int) (*WikiComparison, error) {
	v, err := s.WikiPage(ctx, viewer, handle, slug, to)
	if err != nil {
		return nil, err
	}
	old, err := s.db.WikiRevisionByNumber(ctx, v.Page.ID, from)
	if err != nil {
		return nil, notFoundOr("wiki revision", err, errWikiRevision)
	}
	return compareRevisions(v, old, v.Revision), nil
}

func compareRevisions(v *WikiView, from, to *WikiRevision) *WikiComparison {
	lines := diff.Lines(diff.SplitLines(revisionText(from)), diff.SplitLines(revisionText(to)))
	c := &WikiComparison{WikiView: v, From: from, To: to, Hunks: diff.Hunks(lines, 3), TitleChanged: from.Title != to.Title}
	c.Inserted, c.Deleted = diff.Stats(lines)
	return c
}

// revisionText is the text of a revision to compare: its Markdown, or the
// text of its HTML for a page written elsewhere without a source.
func revisionText(r *WikiRevision) string {
	if r.Source != "" {
		return r.Source
	}
	return htmlLines(r.Content)
}

// blockEnds are the closing tags after which rendered HTML starts a line.
var blockEnds = regexp.MustCompile(`(?i)</(p|li|h[1-6]|pre|blockquote|tr)>|<br\s*/?>`)

// htmlLines is the text of HTML, a line per block.
func htmlLines(h string) string {
	var out []string
	for _, part := range blockEnds.Split(h, -1) {
		if t := PlainText(part); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n")
}
