package activitystreams

// FAQPlace is where an Article stands in the FAQ of its space (Ruche's
// faqCategory and faqPosition): an Article with one is an FAQ entry, its
// name the question and its content the answer. Other servers show it as
// any Article: a title and a link.
type FAQPlace struct {
	Category string // plain text; "" for none
	Position int    // in the whole FAQ, from 0
}

// setFAQ writes an entry's place.
func setFAQ(m map[string]any, f *FAQPlace) {
	m["faqCategory"] = f.Category
	m["faqPosition"] = f.Position
}

// faqOf reads the place of an FAQ entry; nil for an Article that is none.
// A position read as a count: a fraction is cut, anything but a number
// from 0 is 0 — the receiving node brings it within its FAQ anyway.
func faqOf(m map[string]any) *FAQPlace {
	category, hasCategory := m["faqCategory"].(string)
	position, hasPosition := m["faqPosition"]
	if !hasCategory && !hasPosition {
		return nil
	}
	return &FAQPlace{Category: PlainText(category), Position: countOf(position)}
}
