package mastodon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ruche-social/ruche/spaces"
)

// statuses maps posts for viewer: the reader's favourites and votes, and the
// authors of the posts they answer, are read once for the whole list.
func (m *API) statuses(ctx context.Context, viewer *spaces.Account, posts []*spaces.Post) ([]*Status, error) {
	liked, err := m.spaces.LikedAmong(ctx, viewer, posts)
	if err != nil {
		return nil, err
	}
	choices := map[string][]int{}
	if viewer != nil {
		if choices, err = m.spaces.PollChoices(ctx, viewer, posts); err != nil {
			return nil, err
		}
	}
	parents, err := m.parentAuthors(ctx, posts)
	if err != nil {
		return nil, err
	}
	key, err := m.spaces.MediaKeys(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]*Status, len(posts))
	for i, p := range posts {
		if p.Poll != nil {
			p.Poll.Chosen = choices[p.ID]
		}
		out[i] = m.status(p, viewer, now, key)
		out[i].Favourited = liked[p.ID]
		if p.InReplyToID != "" {
			out[i].InReplyToID = strPtr(p.InReplyToID)
			out[i].InReplyToAccountID = strPtr(parents[p.InReplyToID])
		}
	}
	return out, nil
}

// statusOf maps one post.
func (m *API) statusOf(ctx context.Context, viewer *spaces.Account, p *spaces.Post) (*Status, error) {
	out, err := m.statuses(ctx, viewer, []*spaces.Post{p})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// parentAuthors maps the ids of the posts answered to their authors' ids.
func (m *API) parentAuthors(ctx context.Context, posts []*spaces.Post) (map[string]string, error) {
	out := map[string]string{}
	var ids []string
	for _, p := range posts {
		switch {
		case p.InReplyTo != nil:
			out[p.InReplyToID] = p.InReplyTo.AccountID
		case p.InReplyToID != "":
			ids = append(ids, p.InReplyToID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	parents, err := m.spaces.DB().PostsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, p := range parents {
		out[p.ID] = p.AccountID
	}
	return out, nil
}

// status maps a post. A note's content is its HTML; an article, an event, an
// FAQ entry, a document or a wiki page shows its title, its summary (or
// text) and a link to the whole on the web, which apps cannot lay out.
func (m *API) status(p *spaces.Post, viewer *spaces.Account, now time.Time, key func(string) string) *Status {
	page := m.postURL(p)
	s := &Status{
		ID: p.ID, URI: m.postURI(p), URL: page, CreatedAt: timeJSON(p.CreatedAt), EditedAt: timePtr(p.EditedAt),
		Account: m.account(p.Author), Content: p.Content, Visibility: visibility(p),
		Sensitive: p.Sensitive, SpoilerText: p.Warning,
		MediaAttachments: []*Attachment{}, Mentions: []*Mention{}, Tags: []*Tag{}, Emojis: []any{}, Filtered: []any{},
		RepliesCount: p.CommentCount, FavouritesCount: p.LikeCount, Language: strPtr(p.Language),
		Pinned: !p.PinnedAt.IsZero() && viewer != nil && viewer.ID == p.AccountID,
	}
	if p.Kind != spaces.KindNote && p.InReplyToID == "" {
		s.Content = m.summaryContent(p, page)
	}
	for _, f := range p.Attachments {
		s.MediaAttachments = append(s.MediaAttachments, m.attachment(f, key))
	}
	for _, mn := range p.Mentions {
		if mn.AccountID == "" {
			continue
		}
		a := &spaces.Account{Username: mn.Username, Domain: mn.Domain}
		s.Mentions = append(s.Mentions, &Mention{ID: mn.AccountID, Username: mn.Username, Acct: acct(a), URL: m.mentionURL(mn.Username, mn.Domain)})
	}
	for _, t := range p.Tags {
		s.Tags = append(s.Tags, &Tag{Name: t.Tag, URL: m.origin + "/tags/" + url.PathEscape(t.Tag), History: []any{}})
	}
	if p.Poll != nil {
		s.Poll = m.poll(p, viewer, now)
	}
	return s
}

func (m *API) summaryContent(p *spaces.Post, page string) string {
	var b strings.Builder
	if p.Title != "" {
		b.WriteString("<p><strong>" + html.EscapeString(p.Title) + "</strong></p>")
	}
	if p.Summary != "" {
		b.WriteString("<p>" + html.EscapeString(p.Summary) + "</p>")
	} else {
		b.WriteString(p.Content)
	}
	b.WriteString(`<p><a href="` + html.EscapeString(page) + `">` + html.EscapeString(page) + `</a></p>`)
	return b.String()
}

func (m *API) mentionURL(username, domain string) string {
	if domain == "" {
		return m.origin + "/@" + url.PathEscape(username)
	}
	return "https://" + domain + "/@" + url.PathEscape(username)
}

func (m *API) postURI(p *spaces.Post) string {
	if p.URI != "" {
		return p.URI
	}
	return m.origin + "/posts/" + p.ID
}

func (m *API) postURL(p *spaces.Post) string {
	if p.URI != "" {
		if p.URL != "" {
			return p.URL
		}
		return p.URI
	}
	return m.origin + "/posts/" + p.ID
}

func (m *API) mountStatuses(r *mux.Router) {
	m.route(r, http.MethodPost, "/api/v1/statuses", scope("write:statuses"), m.createStatus)
	m.route(r, http.MethodGet, "/api/v1/statuses/{id}", public, m.getStatus)
	m.route(r, http.MethodPut, "/api/v1/statuses/{id}", scope("write:statuses"), m.editStatus)
	m.route(r, http.MethodDelete, "/api/v1/statuses/{id}", scope("write:statuses"), m.deleteStatus)
	m.route(r, http.MethodGet, "/api/v1/statuses/{id}/context", public, m.statusContext)
	m.route(r, http.MethodGet, "/api/v1/statuses/{id}/source", scope("read:statuses"), m.statusSource)
	m.route(r, http.MethodPost, "/api/v1/statuses/{id}/favourite", scope("write:favourites"), m.favourite)
	m.route(r, http.MethodPost, "/api/v1/statuses/{id}/unfavourite", scope("write:favourites"), m.unfavourite)
	m.route(r, http.MethodGet, "/api/v1/statuses/{id}/favourited_by", public, m.favouritedBy)
	m.route(r, http.MethodGet, "/api/v1/statuses/{id}/reblogged_by", public, m.emptyList)
	m.route(r, http.MethodPost, "/api/v1/statuses/{id}/reblog", scope("write:statuses"), m.noBoosts)
	m.route(r, http.MethodPost, "/api/v1/statuses/{id}/unreblog", scope("write:statuses"), m.noBoosts)
	m.route(r, http.MethodPost, "/api/v1/polls/{id}/votes", scope("write:statuses"), m.vote)
	m.route(r, http.MethodGet, "/api/v1/polls/{id}", public, m.getPoll)
}

// getStatus: GET /api/v1/statuses/:id.
func (m *API) getStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := m.spaces.GetPost(r.Context(), viewer(r), mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	return m.writeStatus(w, r, p)
}

func (m *API) writeStatus(w http.ResponseWriter, r *http.Request, p *spaces.Post) error {
	s, err := m.statusOf(r.Context(), viewer(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, s)
	return nil
}

// writeStatuses writes a page of posts, with Mastodon's Link header.
func (m *API) writeStatuses(w http.ResponseWriter, r *http.Request, posts []*spaces.Post) error {
	out, err := m.statuses(r.Context(), viewer(r), posts)
	if err != nil {
		return err
	}
	ids := make([]string, len(out))
	for i, s := range out {
		ids[i] = s.ID
	}
	setLink(w, r, m.origin, ids)
	writeJSON(w, out)
	return nil
}

// statusContext: GET /api/v1/statuses/:id/context → the posts above it in
// its thread (ancestors) and the answers below it (descendants).
func (m *API) statusContext(w http.ResponseWriter, r *http.Request) error {
	ctx, who := r.Context(), viewer(r)
	p, err := m.spaces.GetPost(ctx, who, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	thread, err := m.spaces.Thread(ctx, who, p.ThreadID)
	if err != nil {
		return err
	}
	byID := map[string]*spaces.Post{}
	children := map[string][]*spaces.Post{}
	for _, c := range thread {
		byID[c.ID] = c
		children[c.InReplyToID] = append(children[c.InReplyToID], c)
	}
	var ancestors []*spaces.Post
	for id := p.InReplyToID; id != ""; {
		a := byID[id]
		if a == nil {
			break
		}
		ancestors = append([]*spaces.Post{a}, ancestors...)
		id = a.InReplyToID
	}
	var descendants []*spaces.Post
	var walk func(id string)
	walk = func(id string) {
		for _, c := range children[id] {
			descendants = append(descendants, c)
			walk(c.ID)
		}
	}
	walk(p.ID)
	up, err := m.statuses(ctx, who, ancestors)
	if err != nil {
		return err
	}
	down, err := m.statuses(ctx, who, descendants)
	if err != nil {
		return err
	}
	writeJSON(w, map[string]any{"ancestors": up, "descendants": down})
	return nil
}

// statusSource: GET /api/v1/statuses/:id/source → the text as its author
// wrote it, for editing.
func (m *API) statusSource(w http.ResponseWriter, r *http.Request) error {
	p, err := m.spaces.GetPost(r.Context(), viewer(r), mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	if p.AccountID != viewer(r).ID {
		return errStatus(http.StatusNotFound, "Record not found")
	}
	writeJSON(w, map[string]any{"id": p.ID, "text": p.Source, "spoiler_text": p.Warning})
	return nil
}

// createStatus: POST /api/v1/statuses. A status that mentions a space the
// member belongs to is posted in that space (as on group servers); one that
// answers another is a comment; any other goes on the member's profile. An
// Idempotency-Key makes a retried request give back the first status.
func (m *API) createStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	ctx, who := r.Context(), viewer(r)
	in, err := m.postInput(p)
	if err != nil {
		return err
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		sum := sha256.Sum256([]byte(key)) // any text the app chose, as a form key
		in.Key = "app-" + hex.EncodeToString(sum[:20])
		if prev, err := m.spaces.PostByKey(ctx, who, in.Key); err == nil {
			return m.writeStatus(w, r, prev)
		}
	}
	var post *spaces.Post
	if parent := p.get("in_reply_to_id"); parent != "" {
		post, err = m.spaces.CreateComment(ctx, who, parent, in)
	} else {
		space := p.get("space")
		if space == "" {
			space, err = m.spaces.MentionedSpace(ctx, who, in.Body)
			if err != nil {
				return err
			}
		}
		post, err = m.spaces.CreatePost(ctx, who, space, in)
	}
	if spaces.CodeOf(err) == "already_published" && in.Key != "" {
		post, err = m.spaces.PostByKey(ctx, who, in.Key)
	}
	if err != nil {
		return err
	}
	return m.writeStatus(w, r, post)
}

// postInput reads a status's parameters.
func (m *API) postInput(p params) (spaces.PostInput, error) {
	in := spaces.PostInput{
		Body: p.get("status"), Language: p.get("language"), Attachments: p.list("media_ids"),
		Visibility: postVisibility(p.get("visibility")),
	}
	if p.has("spoiler_text") || p.has("sensitive") {
		in.Warning = &spaces.ContentWarning{Text: p.get("spoiler_text"), Sensitive: p.bool("sensitive") || p.get("spoiler_text") != ""}
	}
	if opts := p.list("poll[options]"); len(opts) > 0 {
		secs, err := p.int("poll[expires_in]", 86400)
		if err != nil {
			return in, err
		}
		in.Poll = &spaces.PollInput{Options: opts, Multiple: p.bool("poll[multiple]"), HideTotals: p.bool("poll[hide_totals]"),
			ExpiresIn: time.Duration(secs) * time.Second}
	}
	return in, nil
}

// postVisibility maps Mastodon's visibility to a profile post's: private is
// followers only; unlisted and direct have no profile equivalent and are
// refused by the domain as it refuses any unknown visibility.
func postVisibility(v string) string {
	switch v {
	case "", "public":
		return ""
	case "private":
		return "followers"
	}
	return v
}

// editStatus: PUT /api/v1/statuses/:id.
func (m *API) editStatus(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	in, err := m.postInput(p)
	if err != nil {
		return err
	}
	post, err := m.spaces.EditPost(r.Context(), viewer(r), mux.Vars(r)["id"], in)
	if err != nil {
		return err
	}
	return m.writeStatus(w, r, post)
}

// deleteStatus: DELETE /api/v1/statuses/:id → the status as it was, with
// its source text, for "delete and redraft".
func (m *API) deleteStatus(w http.ResponseWriter, r *http.Request) error {
	ctx, who := r.Context(), viewer(r)
	post, err := m.spaces.GetPost(ctx, who, mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	s, err := m.statusOf(ctx, who, post)
	if err != nil {
		return err
	}
	if err := m.spaces.DeletePost(ctx, who, post.ID); err != nil {
		return err
	}
	s.Text = &post.Source
	writeJSON(w, s)
	return nil
}

func (m *API) favourite(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	if _, err := m.spaces.LikePost(r.Context(), viewer(r), id, ""); err != nil && spaces.CodeOf(err) != "already_liked" {
		return err
	}
	return m.getStatus(w, r)
}

func (m *API) unfavourite(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	if err := m.spaces.UnlikePost(r.Context(), viewer(r), id); err != nil && spaces.CodeOf(err) != "not_liked" {
		return err
	}
	return m.getStatus(w, r)
}

// favouritedBy: GET /api/v1/statuses/:id/favourited_by.
func (m *API) favouritedBy(w http.ResponseWriter, r *http.Request) error {
	likers, err := m.spaces.Likers(r.Context(), viewer(r), mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	out := make([]*Account, len(likers))
	for i, a := range likers {
		out[i] = m.account(a)
	}
	writeJSON(w, out)
	return nil
}

// noBoosts answers a boost: Ruche has none (a post reaches a space's members
// and followers through the space), so the app shows the refusal.
func (m *API) noBoosts(w http.ResponseWriter, r *http.Request) error {
	return errStatus(http.StatusUnprocessableEntity, "Boosts are not available on this server: share the post's link in a space instead")
}

func (m *API) getPoll(w http.ResponseWriter, r *http.Request) error {
	p, err := m.spaces.GetPost(r.Context(), viewer(r), mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	if p.Poll == nil {
		return errStatus(http.StatusNotFound, "Record not found")
	}
	s, err := m.statusOf(r.Context(), viewer(r), p)
	if err != nil {
		return err
	}
	writeJSON(w, s.Poll)
	return nil
}

// vote: POST /api/v1/polls/:id/votes {choices[]}.
func (m *API) vote(w http.ResponseWriter, r *http.Request) error {
	p, err := readParams(w, r)
	if err != nil {
		return err
	}
	var choices []int
	for _, c := range p.list("choices") {
		n, err := strconv.Atoi(c)
		if err != nil {
			return errStatus(http.StatusUnprocessableEntity, "Validation failed: choices must be numbers")
		}
		choices = append(choices, n)
	}
	if _, err := m.spaces.Vote(r.Context(), viewer(r), mux.Vars(r)["id"], choices); err != nil {
		return err
	}
	return m.getPoll(w, r)
}
