package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ruche-social/ruche/spaces"
)

// feedPage is how many posts, spaces or people a page of a list shows.
const feedPage = 20

// postView is a post as a page shows it: the language it is read in, the
// other languages it is written in, and what the reader may do with it.
type postView struct {
	P      *spaces.Post
	Text   *spaces.Translation   // the language shown
	Langs  []*spaces.Translation // every language, the main one first
	Rights spaces.PostRights
	Liked  bool
	Poll   *pollView  // nil: the post carries none
	Event  *eventView // nil: the post is no event
}

// eventView is an event as its reader sees it: when and where, the places,
// and what they may do (register, leave) as the domain says.
type eventView struct {
	*spaces.CalendarEvent
	spaces.EventState
}

// Left is how many places are free; 0 when there is no limit.
func (v *eventView) Left() int { return max(v.Capacity-v.GoingCount, 0) }

// pollView is a post's poll as its reader sees it.
type pollView struct {
	*spaces.Poll
	spaces.PollState
	Chosen []int // the reader's choices; none: not voted
}

// Percent is an option's share, rounded: of the votes, or of the voters
// when each may choose several answers (as Mastodon counts).
func (v *pollView) Percent(votes int) int {
	total := v.VotersCount
	if !v.Multiple {
		total = 0
		for _, o := range v.Options {
			total += o.VotesCount
		}
	}
	if total == 0 {
		return 0
	}
	return (votes*100 + total/2) / total
}

// Chose tells whether the reader chose option i.
func (v *pollView) Chose(i int) bool { return slices.Contains(v.Chosen, i) }

// HTML is the post's text in the language shown. The domain sanitised it
// (spaces.SanitizeHTML) before storing it: this is the one place where the
// web door trusts HTML it did not write.
func (v postView) HTML() template.HTML {
	if v.Text == nil {
		return ""
	}
	return template.HTML(v.Text.Content)
}

// clampRunes is how much of a long post a feed shows: a page of twenty posts
// stays light, and the rest is one click away.
const clampRunes = 900

// Long tells whether a feed shows the post cut, with a link to all of it:
// when its text, or its markup, is long.
func (v postView) Long() bool {
	if v.Text == nil || len(v.Text.Content) <= clampRunes {
		return false
	}
	return len(v.Text.Content) > 3*clampRunes || utf8.RuneCountInString(spaces.PlainText(v.Text.Content)) > clampRunes
}

// Excerpt is the beginning of a long post's text, as plain text.
func (v postView) Excerpt() string {
	if v.Text == nil {
		return ""
	}
	text := []rune(spaces.PlainText(v.Text.Content))
	if len(text) <= clampRunes {
		return string(text)
	}
	cut := clampRunes
	for cut > clampRunes-80 && text[cut] != ' ' {
		cut--
	}
	return strings.TrimSpace(string(text[:cut])) + "…"
}

// Article tells whether the post is a best-practice article.
func (v postView) Article() bool { return v.P.Kind == spaces.KindArticle }

// Titled tells whether the post has a title: an article, an event, an FAQ
// entry (its question), a document (its name) or a wiki page (its name).
func (v postView) Titled() bool {
	return v.Article() || v.Event != nil || v.FAQ() || v.P.Kind == spaces.KindDocument || v.WikiURL() != ""
}

// DocumentURL is the page of a document (its file, preview and versions),
// "" for another post or a space that switched its documents off.
func (v postView) DocumentURL() string {
	if v.P.Kind != spaces.KindDocument || v.P.Space == nil || !v.P.Space.ToolOn(spaces.ToolDocuments) {
		return ""
	}
	return documentURL(v.P)
}

// WikiURL is the page in its wiki of a post that is a wiki page; "" for
// any other post.
func (v postView) WikiURL() string {
	if v.P.Kind != spaces.KindPage || v.P.Wiki == nil || v.P.Space == nil {
		return ""
	}
	return wikiURL(v.P.Space, v.P.Wiki.Slug)
}

// FAQ tells whether the post is an entry of its space's FAQ.
func (v postView) FAQ() bool { return v.P.Kind == spaces.KindFAQ }

// Themes are the themes an author chose for an article.
func (v postView) Themes() []string {
	var out []string
	for _, t := range v.P.Tags {
		if t.Kind == "theme" {
			out = append(out, t.Tag)
		}
	}
	return out
}

// Images and Files split the attachments: images are shown, files listed.
func (v postView) Images() []*spaces.Media { return v.attachments(true) }
func (v postView) Files() []*spaces.Media  { return v.attachments(false) }

func (v postView) attachments(images bool) []*spaces.Media {
	var out []*spaces.Media
	for _, m := range shownFiles(v.P) {
		if strings.HasPrefix(m.MediaType, "image/") == images {
			out = append(out, m)
		}
	}
	return out
}

// shownFiles are the files a post shows: its attachments; a document's
// current file only, its page listing the versions.
func shownFiles(p *spaces.Post) []*spaces.Media {
	if d := p.Document; d != nil && len(d.Versions) > 0 && d.Versions[0].Media != nil {
		return []*spaces.Media{d.Versions[0].Media}
	}
	return p.Attachments
}

// pickText returns the translation in lang if the post has one, else its main
// language's.
func pickText(p *spaces.Post, lang string) *spaces.Translation {
	var main *spaces.Translation
	for _, t := range p.Translations {
		if t.Language == lang {
			return t
		}
		if t.Language == p.Language {
			main = t
		}
	}
	if main == nil && len(p.Translations) > 0 {
		main = p.Translations[0]
	}
	return main
}

// postViews prepares posts for a page read in lang: each reader sees their
// own language first when the author wrote it. rights are the reader's in
// the posts' space, nil in mixed feeds (only what needs no space's rights
// — liking — is offered there).
func (w *Web) postViews(ctx context.Context, viewer *spaces.Account, lang string, posts []*spaces.Post, rights *spaces.SpaceRights) ([]postView, error) {
	liked, err := w.spaces.LikedAmong(ctx, viewer, posts)
	if err != nil {
		return nil, err
	}
	chosen, err := w.spaces.PollChoices(ctx, viewer, posts)
	if err != nil {
		return nil, err
	}
	registered, err := w.spaces.RegistrationStates(ctx, viewer, posts)
	if err != nil {
		return nil, err
	}
	out := make([]postView, len(posts))
	for i, p := range posts {
		out[i] = postView{P: p, Text: pickText(p, lang), Langs: spaces.MainFirst(p), Liked: liked[p.ID],
			Rights: spaces.PostRightsOf(viewer, p, rights)}
		if p.Poll != nil {
			out[i].Poll = &pollView{Poll: p.Poll, PollState: w.spaces.PollStateFor(viewer, p, chosen[p.ID]), Chosen: chosen[p.ID]}
		}
		if p.Event != nil {
			out[i].Event = &eventView{CalendarEvent: p.Event, EventState: w.spaces.EventStateFor(viewer, p, registered[p.ID])}
		}
	}
	return out, nil
}

// feedView is one page of a feed, and the link to the next.
type feedView struct {
	Posts []postView
	More  string // the URL of the next page; empty at the end
}

// feed builds a feed page: the posts, and the next page's link, which keeps
// the page's other query parameters.
func (w *Web) feed(r *http.Request, rq *request, posts []*spaces.Post, rights *spaces.SpaceRights) (feedView, error) {
	views, err := w.postViews(r.Context(), rq.viewer, rq.locale(), posts, rights)
	if err != nil {
		return feedView{}, err
	}
	fv := feedView{Posts: views}
	if len(posts) == feedPage {
		fv.More = nextPage(r, "before", posts[len(posts)-1].ID)
	}
	return fv, nil
}

// nextPage is the current URL with its cursor parameter set to cursor.
func nextPage(r *http.Request, param, cursor string) string {
	q := r.URL.Query()
	q.Set(param, cursor)
	return r.URL.Path + "?" + q.Encode()
}

// spaceURL is the page of a space: /spaces/slug, or /spaces/slug@host for a
// remote space the node mirrors.
func spaceURL(sp *spaces.Space) string {
	if sp == nil || sp.Account == nil {
		return "/spaces"
	}
	return "/spaces/" + url.PathEscape(accountHandle(sp.Account))
}

// accountHandle is user for a local account, user@host for a remote one.
func accountHandle(a *spaces.Account) string {
	if a.IsLocal() {
		return a.Username
	}
	return a.Username + "@" + a.Domain
}

// accountURL is where a link to an account leads: a space's page, a
// person's profile page here (remote people too), else the account's own page.
func accountURL(a *spaces.Account) string {
	switch {
	case a == nil:
		return "/"
	case a.Type == spaces.TypeGroup:
		return "/spaces/" + url.PathEscape(accountHandle(a))
	case a.IsLocal():
		return ProfilePath(a.Username)
	case a.Type == spaces.TypePerson:
		return ProfilePath(accountHandle(a))
	case a.URI != "":
		return a.URI
	}
	return "/"
}

// postURL is a post's page; a comment is shown in its thread.
func postURL(p *spaces.Post) string {
	if p.InReplyToID != "" && p.ThreadID != "" {
		return "/posts/" + url.PathEscape(p.ThreadID) + "#comment-" + p.ID
	}
	return "/posts/" + url.PathEscape(p.ID)
}
