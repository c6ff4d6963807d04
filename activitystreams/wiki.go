package activitystreams

import "strings"

// WikiRevision makes a Page a page of a space's wiki (Ruche): the number
// of the revision it is (wikiRevision), the page it is under (wikiParent,
// an IRI; none at the top), and its text as written (source, Markdown),
// which receiving nodes keep to compare revisions. Other servers show the
// Page as Mastodon does: its name and a link.
type WikiRevision struct {
	Number int
	Parent string
	Source string
}

// maxWikiSource bounds the Markdown source read from another server.
const maxWikiSource = 200_000

// setWiki writes a page's revision, parent and source.
func setWiki(m map[string]any, w *WikiRevision) {
	m["wikiRevision"] = w.Number
	if w.Parent != "" {
		m["wikiParent"] = w.Parent
	}
	if w.Source != "" {
		m["source"] = map[string]any{"content": w.Source, "mediaType": "text/markdown"}
	}
}

// wikiOf reads the wiki part of a Page; nil for a Page that is none (a
// forum thread, as Lemmy sends). A number that is not a count is 1; a
// source that is not Markdown is not kept.
func wikiOf(m map[string]any) *WikiRevision {
	n, ok := m["wikiRevision"]
	if !ok {
		return nil
	}
	w := &WikiRevision{Number: max(countOf(n), 1)}
	if p := IRIs(m["wikiParent"]); len(p) == 1 {
		w.Parent = p[0]
	}
	if src, ok := m["source"].(map[string]any); ok {
		mt, _ := src["mediaType"].(string)
		content, _ := src["content"].(string)
		if strings.EqualFold(mt, "text/markdown") && len(content) <= maxWikiSource {
			w.Source = content
		}
	}
	return w
}

// IsWikiPage tells whether an embedded object is the Page of a wiki page
// (it has a wikiRevision).
func IsWikiPage(m map[string]any) bool {
	t, _ := m["type"].(string)
	_, ok := m["wikiRevision"]
	return t == "Page" && ok
}
