package mastodon

import (
	"context"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/ruche-social/ruche/spaces"
)

// Mastodon's entities, as its documentation gives them: the apps read these
// fields and nothing else. Ruche's accounts, spaces and posts are mapped to
// them here, and only here.

// Account is a member, a remote account, or a space (group: true).
type Account struct {
	ID             string   `json:"id"`
	Username       string   `json:"username"`
	Acct           string   `json:"acct"`
	DisplayName    string   `json:"display_name"`
	Locked         bool     `json:"locked"`
	Bot            bool     `json:"bot"`
	Discoverable   bool     `json:"discoverable"`
	Group          bool     `json:"group"`
	CreatedAt      string   `json:"created_at"`
	Note           string   `json:"note"`
	URL            string   `json:"url"`
	URI            string   `json:"uri"`
	Avatar         string   `json:"avatar"`
	AvatarStatic   string   `json:"avatar_static"`
	Header         string   `json:"header"`
	HeaderStatic   string   `json:"header_static"`
	FollowersCount int      `json:"followers_count"`
	FollowingCount int      `json:"following_count"`
	StatusesCount  int      `json:"statuses_count"`
	LastStatusAt   *string  `json:"last_status_at"`
	Emojis         []any    `json:"emojis"`
	Fields         []any    `json:"fields"`
	Source         *Source  `json:"source,omitempty"`
	Role           *AppRole `json:"role,omitempty"`
}

// Source is what verify_credentials adds: the member's own settings.
type Source struct {
	Privacy             string `json:"privacy"`
	Sensitive           bool   `json:"sensitive"`
	Language            string `json:"language"`
	Note                string `json:"note"`
	Fields              []any  `json:"fields"`
	FollowRequestsCount int    `json:"follow_requests_count"`
}

// AppRole is the member's role on the node, as Mastodon 4 shows it.
type AppRole struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Color       string `json:"color"`
	Permissions string `json:"permissions"`
	Highlighted bool   `json:"highlighted"`
}

// Status is a post, an article or a comment.
type Status struct {
	ID                 string        `json:"id"`
	URI                string        `json:"uri"`
	URL                string        `json:"url"`
	CreatedAt          string        `json:"created_at"`
	EditedAt           *string       `json:"edited_at"`
	Account            *Account      `json:"account"`
	Content            string        `json:"content"`
	Visibility         string        `json:"visibility"`
	Sensitive          bool          `json:"sensitive"`
	SpoilerText        string        `json:"spoiler_text"`
	MediaAttachments   []*Attachment `json:"media_attachments"`
	Application        *StatusApp    `json:"application,omitempty"`
	Mentions           []*Mention    `json:"mentions"`
	Tags               []*Tag        `json:"tags"`
	Emojis             []any         `json:"emojis"`
	RepliesCount       int           `json:"replies_count"`
	ReblogsCount       int           `json:"reblogs_count"`
	FavouritesCount    int           `json:"favourites_count"`
	InReplyToID        *string       `json:"in_reply_to_id"`
	InReplyToAccountID *string       `json:"in_reply_to_account_id"`
	Reblog             *Status       `json:"reblog"`
	Poll               *Poll         `json:"poll"`
	Card               any           `json:"card"`
	Language           *string       `json:"language"`
	Text               *string       `json:"text"`
	Favourited         bool          `json:"favourited"`
	Reblogged          bool          `json:"reblogged"`
	Muted              bool          `json:"muted"`
	Bookmarked         bool          `json:"bookmarked"`
	Pinned             bool          `json:"pinned"`
	Filtered           []any         `json:"filtered"`
}

// StatusApp names the app a status was posted from.
type StatusApp struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

// Attachment is a file of a status.
type Attachment struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"` // image, video, audio, gifv, unknown
	URL         *string `json:"url"`  // null while processing
	PreviewURL  *string `json:"preview_url"`
	RemoteURL   *string `json:"remote_url"`
	Description *string `json:"description"`
	Blurhash    *string `json:"blurhash"`
	Meta        any     `json:"meta"`
}

// Mention is an account a status names.
type Mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Acct     string `json:"acct"`
	URL      string `json:"url"`
}

// Tag is a hashtag (or, for articles, a theme).
type Tag struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	History []any  `json:"history"`
}

// Poll is a status's poll.
type Poll struct {
	ID          string        `json:"id"`
	ExpiresAt   *string       `json:"expires_at"`
	Expired     bool          `json:"expired"`
	Multiple    bool          `json:"multiple"`
	VotesCount  int           `json:"votes_count"`
	VotersCount *int          `json:"voters_count"`
	Options     []*PollOption `json:"options"`
	Emojis      []any         `json:"emojis"`
	Voted       *bool         `json:"voted,omitempty"`
	OwnVotes    []int         `json:"own_votes,omitempty"`
}

// PollOption is one answer, with its votes (null while results are hidden).
type PollOption struct {
	Title      string `json:"title"`
	VotesCount *int   `json:"votes_count"`
}

// timeJSON writes times as Mastodon does: UTC, milliseconds, Z.
func timeJSON(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := timeJSON(t)
	return &s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// acct is an account's address as apps show it: the username for a local
// account, username@domain for another server's.
func acct(a *spaces.Account) string {
	if a.IsLocal() {
		return a.Username
	}
	return a.Username + "@" + a.Domain
}

// accountURL is the account's page; accountURI its ActivityPub id.
func (m *API) accountURL(a *spaces.Account) string {
	switch {
	case !a.IsLocal() && a.URL != "":
		return a.URL
	case !a.IsLocal():
		return a.URI
	case a.Type == spaces.TypeGroup:
		return m.origin + "/spaces/" + url.PathEscape(a.Username)
	}
	return m.origin + "/@" + url.PathEscape(a.Username)
}

func (m *API) accountURI(a *spaces.Account) string {
	switch {
	case !a.IsLocal():
		return a.URI
	case a.Type == spaces.TypeGroup:
		return m.origin + "/spaces/" + url.PathEscape(a.Username)
	case a.Type == spaces.TypeApplication:
		return m.origin + "/actor"
	}
	return m.origin + "/users/" + url.PathEscape(a.Username)
}

func (m *API) avatar(a *spaces.Account) string {
	switch {
	case a.AvatarID != "":
		return m.origin + "/media/" + url.PathEscape(a.AvatarID)
	case a.IconURL != "":
		return a.IconURL
	}
	return m.defaultAvatar
}

// account maps an account without its counts (lists of statuses do not need
// them; accountFull adds them).
func (m *API) account(a *spaces.Account) *Account {
	note := a.Bio
	if a.IsLocal() && note != "" {
		note = "<p>" + strings.ReplaceAll(html.EscapeString(note), "\n", "<br>") + "</p>"
	}
	av := m.avatar(a)
	name := a.DisplayName
	if name == "" {
		name = a.Username
	}
	return &Account{
		ID: a.ID, Username: a.Username, Acct: acct(a), DisplayName: name,
		Locked: a.Locked, Bot: a.Type == spaces.TypeApplication || a.Type == "Service",
		Discoverable: true, Group: a.Type == spaces.TypeGroup,
		CreatedAt: timeJSON(a.CreatedAt.Truncate(24 * time.Hour)), Note: note,
		URL: m.accountURL(a), URI: m.accountURI(a),
		Avatar: av, AvatarStatic: av, Header: m.defaultHeader, HeaderStatic: m.defaultHeader,
		Emojis: []any{}, Fields: []any{},
	}
}

// accountFull is account with its followers and following counts, and the
// count of its statuses viewer may see.
func (m *API) accountFull(ctx context.Context, viewer, a *spaces.Account) (*Account, error) {
	out := m.account(a)
	followers, following, err := m.spaces.FollowCounts(ctx, a)
	if err != nil {
		return nil, err
	}
	stats, err := m.spaces.PostStats(ctx, viewer, a)
	if err != nil {
		return nil, err
	}
	out.FollowersCount, out.FollowingCount, out.StatusesCount = followers, following, stats.Count
	if !stats.Last.IsZero() {
		day := stats.Last.UTC().Format("2006-01-02")
		out.LastStatusAt = &day
	}
	return out, nil
}

// visibility maps who may see a post to Mastodon's four levels: a space's
// posts not open to all are "private" (their readers are a closed group, as
// a member's followers are).
func visibility(p *spaces.Post) string {
	switch p.Visibility {
	case "public":
		return "public"
	case "unlisted":
		return "unlisted"
	case "direct":
		return "direct"
	}
	return "private"
}

// attachmentType is Mastodon's type of a file.
func attachmentType(mediaType string) string {
	switch {
	case strings.HasPrefix(mediaType, "image/gif"):
		return "gifv"
	case strings.HasPrefix(mediaType, "image/"):
		return "image"
	case strings.HasPrefix(mediaType, "video/"):
		return "video"
	case strings.HasPrefix(mediaType, "audio/"):
		return "audio"
	}
	return "unknown"
}

// attachment maps a file; key gives the key that opens a stored file (see
// spaces.MediaKeys).
func (m *API) attachment(f *spaces.Media, key func(id string) string) *Attachment {
	u := f.URI
	var remote *string
	if f.Path != "" {
		u = m.origin + "/media/" + url.PathEscape(f.ID) + "?key=" + key(f.ID)
	} else {
		remote = strPtr(f.URI)
	}
	return &Attachment{
		ID: f.ID, Type: attachmentType(f.MediaType), URL: strPtr(u), PreviewURL: strPtr(u), RemoteURL: remote,
		Description: strPtr(f.Description), Meta: map[string]any{},
	}
}

func (m *API) poll(p *spaces.Post, viewer *spaces.Account, now time.Time) *Poll {
	pl := p.Poll
	out := &Poll{
		ID: p.ID, ExpiresAt: timePtr(pl.EndsAt), Expired: pl.Ended(now), Multiple: pl.Multiple,
		Emojis: []any{}, Options: make([]*PollOption, len(pl.Options)),
	}
	hidden := pl.HideTotals && !pl.Ended(now)
	for i, o := range pl.Options {
		out.Options[i] = &PollOption{Title: o.Title}
		if !hidden {
			n := o.VotesCount
			out.Options[i].VotesCount = &n
			out.VotesCount += n
		}
	}
	if pl.Multiple && !hidden {
		n := pl.VotersCount
		out.VotersCount = &n
	}
	if viewer != nil {
		voted := len(pl.Chosen) > 0
		out.Voted, out.OwnVotes = &voted, append([]int{}, pl.Chosen...)
	}
	return out
}
