package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/ruche-social/ruche/spaces"
)

// This file turns domain values into the API's JSON. Plain-text fields are
// sent as they were written: the encoder escapes <, > and &, and clients
// must show them as text. Post content is sanitised HTML, safe to insert.

// publicAccountJSON is how the API shows any account to anyone.
type publicAccountJSON struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Username    string `json:"username"`
	Domain      string `json:"domain,omitempty"`
	Acct        string `json:"acct"` // username, or username@domain for a remote account
	DisplayName string `json:"display_name"`
	URI         string `json:"uri,omitempty"`
}

func accountOf(a *spaces.Account) *publicAccountJSON {
	if a == nil {
		return nil
	}
	j := &publicAccountJSON{ID: a.ID, Type: a.Type, Username: a.Username, Domain: a.Domain, Acct: a.Username,
		DisplayName: a.DisplayName, URI: a.URI}
	if a.Domain != "" {
		j.Acct += "@" + a.Domain
	}
	return j
}

type membershipJSON struct {
	ID        string             `json:"id"`
	Account   *publicAccountJSON `json:"account,omitempty"`
	Role      string             `json:"role"`
	State     string             `json:"state"`
	Watch     bool               `json:"watch"`
	CreatedAt time.Time          `json:"created_at"`
}

func membershipOf(m *spaces.Membership) *membershipJSON {
	if m == nil {
		return nil
	}
	return &membershipJSON{ID: m.ID, Account: accountOf(m.Account), Role: m.Role, State: m.State, Watch: m.Watch, CreatedAt: m.CreatedAt}
}

type spaceJSON struct {
	ID          string   `json:"id"`
	Slug        string   `json:"slug"`
	Acct        string   `json:"acct"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Rules       string   `json:"rules"`
	Languages   []string `json:"languages"`
	Themes      []string `json:"themes"`
	Visibility  string   `json:"visibility"`
	JoinPolicy  string   `json:"join_policy"`
	Posting     string   `json:"posting"`
	// DocumentAdding says who adds documents: members or moderators.
	DocumentAdding string    `json:"document_adding"`
	AvatarID       string    `json:"avatar_id,omitempty"`
	BannerID       string    `json:"banner_id,omitempty"`
	Archived       bool      `json:"archived"`
	Tools          []string  `json:"tools"` // the tools switched on: articles, events, polls, faq, documents, wiki
	CreatedAt      time.Time `json:"created_at"`
	// Shown on single-space answers only.
	MemberCount *int            `json:"member_count,omitempty"`
	Membership  *membershipJSON `json:"membership,omitempty"`
}

func spaceOf(sp *spaces.Space) *spaceJSON {
	if sp == nil {
		return nil
	}
	themes := sp.Themes
	if themes == nil {
		themes = []string{}
	}
	return &spaceJSON{ID: sp.AccountID, Slug: sp.Slug(), Acct: accountOf(sp.Account).Acct, Name: sp.Account.DisplayName,
		Description: sp.Account.Bio, Rules: sp.Rules, Languages: sp.LanguageList(), Themes: themes,
		Visibility: sp.Visibility, JoinPolicy: sp.JoinPolicy, Posting: sp.Posting, DocumentAdding: sp.DocumentAdding, AvatarID: sp.AvatarID,
		BannerID: sp.BannerID, Archived: sp.IsArchived(), Tools: toolsOn(sp), CreatedAt: sp.CreatedAt}
}

// toolsOn lists the tools sp has on, in the domain's order.
func toolsOn(sp *spaces.Space) []string {
	out := []string{}
	for _, t := range spaces.Tools {
		if sp.ToolOn(t) {
			out = append(out, t)
		}
	}
	return out
}

type translationJSON struct {
	Language string `json:"language"`
	Title    string `json:"title,omitempty"`
	Summary  string `json:"summary,omitempty"`
	Content  string `json:"content"`
}

type attachmentJSON struct {
	ID          string `json:"id"`
	MediaType   string `json:"media_type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
}

func attachmentOf(m *spaces.Media) attachmentJSON {
	u := "/api/ruche/v1/media/" + m.ID
	if m.Path == "" {
		u = m.URI
	}
	return attachmentJSON{ID: m.ID, MediaType: m.MediaType, Name: m.Name, Description: m.Description, Size: m.Size, URL: u}
}

type postJSON struct {
	ID           string             `json:"id"`
	URI          string             `json:"uri,omitempty"`
	Kind         string             `json:"kind"`
	Author       *publicAccountJSON `json:"author"`
	Space        *spaceRefJSON      `json:"space,omitempty"`
	InReplyToID  string             `json:"in_reply_to_id,omitempty"`
	ThreadID     string             `json:"thread_id"`
	Visibility   string             `json:"visibility"`
	Language     string             `json:"language"`
	Title        string             `json:"title,omitempty"`
	Summary      string             `json:"summary,omitempty"`
	Content      string             `json:"content"`
	Source       string             `json:"source,omitempty"` // the author's Markdown, for them to edit
	AppliesTo    string             `json:"applies_to,omitempty"`
	Sensitive    bool               `json:"sensitive"`
	SpoilerText  string             `json:"spoiler_text"` // the content warning, plain text
	Translations []translationJSON  `json:"translations"`
	Themes       []string           `json:"themes"`
	Hashtags     []string           `json:"hashtags"`
	Mentions     []string           `json:"mentions"`
	Attachments  []attachmentJSON   `json:"attachments"`
	LikeCount    int                `json:"like_count"`
	CommentCount int                `json:"comment_count"`
	Liked        bool               `json:"liked"`
	Pinned       bool               `json:"pinned"`
	Poll         *pollJSON          `json:"poll"`
	Event        *eventJSON         `json:"event"`
	FAQ          *faqJSON           `json:"faq,omitempty"`
	Wiki         *wikiJSON          `json:"wiki,omitempty"`
	CreatedAt    time.Time          `json:"created_at"`
	EditedAt     *time.Time         `json:"edited_at,omitempty"`
}

// spaceRefJSON names a post's space without its whole settings.
type spaceRefJSON struct {
	Slug       string `json:"slug"`
	Acct       string `json:"acct"`
	Name       string `json:"name"`
	Visibility string `json:"visibility"`
}

// postsOf renders posts for viewer: whether they like each, their choices
// in its poll, their registration for its event.
func (a *API) postsOf(ctx context.Context, viewer *spaces.Account, posts []*spaces.Post) ([]postJSON, error) {
	liked, err := a.spaces.LikedAmong(ctx, viewer, posts)
	if err != nil {
		return nil, err
	}
	chosen, err := a.spaces.PollChoices(ctx, viewer, posts)
	if err != nil {
		return nil, err
	}
	registered, err := a.spaces.RegistrationStates(ctx, viewer, posts)
	if err != nil {
		return nil, err
	}
	out := make([]postJSON, len(posts))
	for i, p := range posts {
		out[i] = a.postOf(p, viewer, liked[p.ID], chosen[p.ID], registered[p.ID])
	}
	return out, nil
}

// postOf is a post as viewer sees it, with its poll and its event.
func (a *API) postOf(p *spaces.Post, viewer *spaces.Account, liked bool, chosen []int, registration string) postJSON {
	j := postOf(p, viewer, liked)
	if p.Poll != nil {
		j.Poll = a.pollOf(p, viewer, chosen)
	}
	if p.Event != nil {
		j.Event = a.eventOf(p, viewer, registration)
	}
	if p.FAQ != nil {
		j.FAQ = &faqJSON{Category: p.FAQ.Category, Position: p.FAQ.Position}
	}
	if p.Wiki != nil {
		j.Wiki = &wikiJSON{Slug: p.Wiki.Slug, Revision: p.Wiki.Revision}
	}
	return j
}

// pollJSON is a poll as Mastodon's API shows one; the counts are null while
// the poll hides them from the viewer.
type pollJSON struct {
	ExpiresAt   time.Time        `json:"expires_at"`
	Expired     bool             `json:"expired"`
	Multiple    bool             `json:"multiple"`
	HideTotals  bool             `json:"hide_totals"`
	VotesCount  *int             `json:"votes_count"`
	VotersCount *int             `json:"voters_count"`
	Options     []pollOptionJSON `json:"options"`
	Voted       bool             `json:"voted"`
	OwnVotes    []int            `json:"own_votes"`
}

type pollOptionJSON struct {
	Title      string `json:"title"`
	VotesCount *int   `json:"votes_count"`
}

func (a *API) pollOf(p *spaces.Post, viewer *spaces.Account, chosen []int) *pollJSON {
	poll, state := p.Poll, a.spaces.PollStateFor(viewer, p, chosen)
	j := &pollJSON{ExpiresAt: poll.EndsAt, Expired: state.Ended, Multiple: poll.Multiple,
		HideTotals: poll.HideTotals, Voted: len(chosen) > 0, OwnVotes: append([]int{}, chosen...)}
	shown := state.Totals
	total := 0
	for _, o := range poll.Options {
		oj := pollOptionJSON{Title: o.Title}
		if shown {
			oj.VotesCount = &o.VotesCount
		}
		total += o.VotesCount
		j.Options = append(j.Options, oj)
	}
	if shown {
		j.VotesCount, j.VotersCount = &total, &poll.VotersCount
	}
	return j
}

func postOf(p *spaces.Post, viewer *spaces.Account, liked bool) postJSON {
	j := postJSON{ID: p.ID, URI: p.URI, Kind: p.Kind, Author: accountOf(p.Author), InReplyToID: p.InReplyToID,
		ThreadID: p.ThreadID, Visibility: p.Visibility, Language: p.Language, Title: p.Title, Summary: p.Summary,
		Content: p.Content, AppliesTo: p.AppliesTo, Sensitive: p.Sensitive, SpoilerText: p.Warning,
		LikeCount: p.LikeCount, CommentCount: p.CommentCount,
		Liked: liked, Pinned: !p.PinnedAt.IsZero(), CreatedAt: p.CreatedAt,
		Translations: []translationJSON{}, Themes: []string{}, Hashtags: []string{}, Mentions: []string{}, Attachments: []attachmentJSON{}}
	if viewer != nil && viewer.ID == p.AccountID {
		j.Source = p.Source
	}
	if !p.EditedAt.IsZero() {
		j.EditedAt = &p.EditedAt
	}
	if p.Space != nil {
		j.Space = &spaceRefJSON{Slug: p.Space.Slug(), Acct: accountOf(p.Space.Account).Acct, Name: p.Space.Account.DisplayName, Visibility: p.Space.Visibility}
	}
	for _, t := range p.Translations {
		j.Translations = append(j.Translations, translationJSON{Language: t.Language, Title: t.Title, Summary: t.Summary, Content: t.Content})
	}
	for _, t := range p.Tags {
		if t.Kind == "theme" {
			j.Themes = append(j.Themes, t.Tag)
		} else {
			j.Hashtags = append(j.Hashtags, t.Tag)
		}
	}
	for _, m := range p.Mentions {
		acct := m.Username
		if m.Domain != "" {
			acct += "@" + m.Domain
		}
		j.Mentions = append(j.Mentions, acct)
	}
	files := p.Attachments
	if d := p.Document; d != nil && len(d.Versions) > 0 && d.Versions[0].Media != nil {
		files = []*spaces.Media{d.Versions[0].Media} // a document's current file; its versions are listed apart
	}
	for _, m := range files {
		j.Attachments = append(j.Attachments, attachmentOf(m))
	}
	return j
}

// page is every list the API returns: its items and the cursor of the next
// page (null on the last one).
type page[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
}

func pageOf[T any](items []T, limit int, cursor func(T) string) page[T] {
	out := page[T]{Items: items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if limit <= 0 {
		limit = 20
	}
	if len(items) > 0 && len(items) >= limit {
		c := cursor(items[len(items)-1])
		out.Next = &c
	}
	return out
}

// limitParam reads ?limit=, 0 when absent (the domain picks its default).
func limitParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return 0, errRoute(http.StatusBadRequest, "limit_invalid", "limit is a number from 1 to 100")
	}
	return n, nil
}
