package activitystreams

import (
	"fmt"
	"net/url"

	"github.com/go-fed/activity/streams"
)

// Collection is the head of an OrderedCollection: its size and a link to its
// first page. Pages are cursor based: "next" carries the cursor.
type Collection struct {
	ID         string
	TotalItems int
	First      string // the first page, empty when the collection is empty
	// Items, when not nil, are the whole collection inline (IRIs or
	// documents), for small collections that are not paged: a space's
	// pinned posts, its moderators.
	Items []any
}

// Document returns the collection's JSON document.
func (c Collection) Document() (map[string]any, error) {
	t := streams.NewActivityStreamsOrderedCollection()
	if err := setID(t, c.ID); err != nil {
		return nil, err
	}
	total := streams.NewActivityStreamsTotalItemsProperty()
	total.Set(c.TotalItems)
	t.SetActivityStreamsTotalItems(total)
	if c.First != "" {
		u, err := parseIRI(c.First)
		if err != nil {
			return nil, err
		}
		first := streams.NewActivityStreamsFirstProperty()
		first.SetIRI(u)
		t.SetActivityStreamsFirst(first)
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("serialize collection: %w", err)
	}
	m["@context"] = Context()
	if c.Items != nil {
		items := make([]any, len(c.Items))
		for i, it := range c.Items {
			switch v := it.(type) {
			case string:
				if _, err := parseIRI(v); err != nil {
					return nil, err
				}
				items[i] = v
			case map[string]any:
				d := make(map[string]any, len(v))
				for k, x := range v {
					if k != "@context" {
						d[k] = x
					}
				}
				items[i] = d
			default:
				return nil, fmt.Errorf("collection item of type %T", it)
			}
		}
		m["orderedItems"] = items
	}
	return m, nil
}

// Page is one page of an OrderedCollection. Items are IRIs (strings) or
// documents (maps), newest first.
type Page struct {
	ID     string
	PartOf string
	Next   string // empty on the last page
	Items  []any
}

// Document returns the page's JSON document.
func (p Page) Document() (map[string]any, error) {
	t := streams.NewActivityStreamsOrderedCollectionPage()
	if err := setID(t, p.ID); err != nil {
		return nil, err
	}
	partOf, err := parseIRI(p.PartOf)
	if err != nil {
		return nil, err
	}
	po := streams.NewActivityStreamsPartOfProperty()
	po.SetIRI(partOf)
	t.SetActivityStreamsPartOf(po)
	if p.Next != "" {
		u, err := parseIRI(p.Next)
		if err != nil {
			return nil, err
		}
		next := streams.NewActivityStreamsNextProperty()
		next.SetIRI(u)
		t.SetActivityStreamsNext(next)
	}
	var docs []any
	items := streams.NewActivityStreamsOrderedItemsProperty()
	for _, it := range p.Items {
		switch v := it.(type) {
		case string:
			u, err := url.Parse(v)
			if err != nil {
				return nil, fmt.Errorf("collection item %q: %w", v, err)
			}
			items.AppendIRI(u)
		case map[string]any:
			docs = append(docs, v)
		default:
			return nil, fmt.Errorf("collection item of type %T", it)
		}
	}
	if items.Len() > 0 {
		t.SetActivityStreamsOrderedItems(items)
	}
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("serialize page: %w", err)
	}
	m["@context"] = Context()
	switch {
	case len(docs) > 0:
		// Embedded documents keep the node's own fields, which go-fed's
		// round trip would drop: they go in as they are.
		for i := range docs {
			if d, ok := docs[i].(map[string]any); ok {
				delete(d, "@context")
			}
		}
		m["orderedItems"] = docs
	case items.Len() == 0:
		m["orderedItems"] = []any{} // an empty page still says it has no items
	case items.Len() == 1:
		m["orderedItems"] = []any{m["orderedItems"]} // go-fed flattens a single item
	}
	return m, nil
}
