package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ruche-social/ruche/spaces"
)

// maxPostBody bounds the JSON of a post: an article of 100,000 characters in
// a few languages fits.
const maxPostBody = 4 << 20

// postInputJSON is the body of a new or edited post.
type postInputJSON struct {
	Kind         string `json:"kind"`
	Language     string `json:"language"`
	Title        string `json:"title"`
	Summary      string `json:"summary"`
	Body         string `json:"body"`
	Translations []struct {
		Language string `json:"language"`
		Title    string `json:"title"`
		Summary  string `json:"summary"`
		Body     string `json:"body"`
	} `json:"translations"`
	Themes      []string `json:"themes"`
	AppliesTo   string   `json:"applies_to"`
	Attachments []string `json:"attachments"`
	Visibility  string   `json:"visibility"`
	// A content warning, as Mastodon's API takes one: spoiler_text makes the
	// note sensitive. Given neither, an edit keeps the warning it had.
	Sensitive   *bool   `json:"sensitive"`
	SpoilerText *string `json:"spoiler_text"`
	// A poll, as Mastodon's API takes one (expires_in in seconds).
	Poll *struct {
		Options    []string `json:"options"`
		Multiple   bool     `json:"multiple"`
		ExpiresIn  int      `json:"expires_in"`
		HideTotals bool     `json:"hide_totals"`
	} `json:"poll"`
	// An event's when and where (kind event).
	Event *eventInputJSON `json:"event"`
	// An FAQ entry's category and position (kind faq).
	FAQ *faqInputJSON `json:"faq"`
}

func (in postInputJSON) input() (spaces.PostInput, error) {
	p := spaces.PostInput{Kind: in.Kind, Language: in.Language, Title: in.Title, Summary: in.Summary, Body: in.Body,
		Themes: in.Themes, AppliesTo: in.AppliesTo, Attachments: in.Attachments, Visibility: in.Visibility}
	if in.Sensitive != nil || in.SpoilerText != nil {
		p.Warning = &spaces.ContentWarning{}
		if in.Sensitive != nil {
			p.Warning.Sensitive = *in.Sensitive
		}
		if in.SpoilerText != nil {
			p.Warning.Text = *in.SpoilerText
		}
	}
	for _, t := range in.Translations {
		p.Translations = append(p.Translations, spaces.TranslationInput{Language: t.Language, Title: t.Title, Summary: t.Summary, Body: t.Body})
	}
	if in.Poll != nil {
		p.Poll = &spaces.PollInput{Options: in.Poll.Options, Multiple: in.Poll.Multiple,
			ExpiresIn: time.Duration(in.Poll.ExpiresIn) * time.Second, HideTotals: in.Poll.HideTotals}
	}
	p.FAQ = in.FAQ.input()
	var err error
	p.Event, err = in.Event.input()
	return p, err
}

func (a *API) readPost(w http.ResponseWriter, r *http.Request) (*spaces.Account, spaces.PostInput, error) {
	by, _, err := viewer(r)
	if err != nil {
		return nil, spaces.PostInput{}, err
	}
	var in postInputJSON
	if err := decodeLimit(w, r, &in, maxPostBody); err != nil {
		return nil, spaces.PostInput{}, err
	}
	p, err := in.input()
	return by, p, err
}

// createPost: POST /api/ruche/v1/spaces/{space}/posts, or POST /api/ruche/v1/posts for a
// profile post → 201, the post.
func (a *API) createPost(w http.ResponseWriter, r *http.Request) error {
	by, in, err := a.readPost(w, r)
	if err != nil {
		return err
	}
	p, err := a.spaces.CreatePost(r.Context(), by, pathVar(r, "space"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.postOf(p, by, false, nil, ""))
	return nil
}

// createComment: POST /api/ruche/v1/posts/{id}/comments → 201, the comment.
func (a *API) createComment(w http.ResponseWriter, r *http.Request) error {
	by, in, err := a.readPost(w, r)
	if err != nil {
		return err
	}
	p, err := a.spaces.CreateComment(r.Context(), by, pathVar(r, "id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a.postOf(p, by, false, nil, ""))
	return nil
}

// vote: POST /api/ruche/v1/posts/{id}/votes {"choices": [0]} → the poll, with the
// viewer's choices.
func (a *API) vote(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		Choices []int `json:"choices"`
	}
	if err := decodeLimit(w, r, &in, maxPostBody); err != nil {
		return err
	}
	poll, err := a.spaces.Vote(r.Context(), by, pathVar(r, "id"), in.Choices)
	if err != nil {
		return err
	}
	p, err := a.spaces.GetPost(r.Context(), by, poll.PostID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.pollOf(p, by, poll.Chosen))
	return nil
}

// getPost: GET /api/ruche/v1/posts/{id} → the post (410 once deleted).
func (a *API) getPost(w http.ResponseWriter, r *http.Request) error {
	v := optionalViewer(r)
	p, err := a.spaces.GetPost(r.Context(), v, pathVar(r, "id"))
	if err != nil {
		return err
	}
	return a.writePosts(w, r, v, []*spaces.Post{p}, -1)
}

// editPost: PATCH /api/ruche/v1/posts/{id} → the post, edited.
func (a *API) editPost(w http.ResponseWriter, r *http.Request) error {
	by, in, err := a.readPost(w, r)
	if err != nil {
		return err
	}
	p, err := a.spaces.EditPost(r.Context(), by, pathVar(r, "id"), in)
	if err != nil {
		return err
	}
	return a.writePosts(w, r, by, []*spaces.Post{p}, -1)
}

// deletePost: DELETE /api/ruche/v1/posts/{id} → 204.
func (a *API) deletePost(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.DeletePost(r.Context(), by, pathVar(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// like: PUT /api/ruche/v1/posts/{id}/like → the post.
func (a *API) like(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	l, err := a.spaces.LikePost(r.Context(), by, pathVar(r, "id"), "")
	if err != nil {
		return err
	}
	p, err := a.spaces.GetPost(r.Context(), by, l.PostID) // the like holds the post without its parts
	if err != nil {
		return err
	}
	return a.writePosts(w, r, by, []*spaces.Post{p}, -1)
}

// unlike: DELETE /api/ruche/v1/posts/{id}/like → 204.
func (a *API) unlike(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	if err := a.spaces.UnlikePost(r.Context(), by, pathVar(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pin: PUT (pin) or DELETE (unpin) /api/ruche/v1/posts/{id}/pin → the post.
func (a *API) pin(pin bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		by, _, err := viewer(r)
		if err != nil {
			return err
		}
		p, err := a.spaces.PinPost(r.Context(), by, pathVar(r, "id"), pin)
		if err != nil {
			return err
		}
		return a.writePosts(w, r, by, []*spaces.Post{p}, -1)
	}
}

// writePosts writes one post (limit < 0) or a page of posts, each with
// whether the viewer likes it.
func (a *API) writePosts(w http.ResponseWriter, r *http.Request, v *spaces.Account, posts []*spaces.Post, limit int) error {
	out, err := a.postsOf(r.Context(), v, posts)
	if err != nil {
		return err
	}
	if limit < 0 {
		writeJSON(w, http.StatusOK, out[0])
		return nil
	}
	writeJSON(w, http.StatusOK, pageOf(out, limit, func(p postJSON) string { return p.ID }))
	return nil
}

// feedPage reads ?before= and ?limit=.
func feedPage(r *http.Request) (spaces.Page, error) {
	limit, err := limitParam(r)
	return spaces.Page{Before: r.URL.Query().Get("before"), Limit: limit}, err
}

type feedFunc func(r *http.Request, v *spaces.Account, p spaces.Page) ([]*spaces.Post, error)

// feed serves a feed: GET …?before=&limit= → {"items": [posts], "next": cursor}.
func (a *API) feed(fn feedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := feedPage(r)
		if err != nil {
			return err
		}
		v := optionalViewer(r)
		posts, err := fn(r, v, p)
		if err != nil {
			return err
		}
		if p.Limit == 0 {
			p.Limit = 20
		}
		return a.writePosts(w, r, v, posts, p.Limit)
	}
}

// homeFeed: GET /api/ruche/v1/feeds/home.
func (a *API) homeFeed(w http.ResponseWriter, r *http.Request) error {
	return a.feed(func(r *http.Request, v *spaces.Account, p spaces.Page) ([]*spaces.Post, error) {
		return a.spaces.HomeFeed(r.Context(), v, p)
	})(w, r)
}

// publicFeed: GET /api/ruche/v1/feeds/public?local=true.
func (a *API) publicFeed(w http.ResponseWriter, r *http.Request) error {
	return a.feed(func(r *http.Request, v *spaces.Account, p spaces.Page) ([]*spaces.Post, error) {
		return a.spaces.PublicFeed(r.Context(), v, r.URL.Query().Get("local") == "true", p)
	})(w, r)
}

// articlesFeed: GET /api/ruche/v1/feeds/articles?theme=&language=.
func (a *API) articlesFeed(w http.ResponseWriter, r *http.Request) error {
	return a.feed(func(r *http.Request, v *spaces.Account, p spaces.Page) ([]*spaces.Post, error) {
		q := r.URL.Query()
		return a.spaces.ArticlesFeed(r.Context(), v, q.Get("theme"), q.Get("language"), p)
	})(w, r)
}

// spaceFeed: GET /api/ruche/v1/spaces/{space}/posts.
func (a *API) spaceFeed(w http.ResponseWriter, r *http.Request) error {
	return a.feed(func(r *http.Request, v *spaces.Account, p spaces.Page) ([]*spaces.Post, error) {
		return a.spaces.SpaceFeed(r.Context(), v, pathVar(r, "space"), p)
	})(w, r)
}

// profileFeed: GET /api/ruche/v1/accounts/{account}/posts.
func (a *API) profileFeed(w http.ResponseWriter, r *http.Request) error {
	return a.feed(func(r *http.Request, v *spaces.Account, p spaces.Page) ([]*spaces.Post, error) {
		return a.spaces.ProfileFeed(r.Context(), v, pathVar(r, "account"), p)
	})(w, r)
}

// pinned: GET /api/ruche/v1/spaces/{space}/pinned → the pinned posts.
func (a *API) pinned(w http.ResponseWriter, r *http.Request) error {
	v := optionalViewer(r)
	posts, err := a.spaces.PinnedPosts(r.Context(), v, pathVar(r, "space"))
	if err != nil {
		return err
	}
	return a.writePosts(w, r, v, posts, len(posts)+1)
}

// comments: GET /api/ruche/v1/posts/{id}/comments?after=&limit= → the thread's comments, oldest first.
func (a *API) comments(w http.ResponseWriter, r *http.Request) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	v := optionalViewer(r)
	posts, err := a.spaces.Comments(r.Context(), v, pathVar(r, "id"), r.URL.Query().Get("after"), limit)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 20
	}
	return a.writePosts(w, r, v, posts, limit)
}

// upload: POST /api/ruche/v1/media, multipart/form-data with an optional
// "description" field before the "file" part → 201, the file's description.
// The file streams to the media directory; past the node's limit it is
// refused with 413 and nothing is kept.
func (a *API) upload(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return errRoute(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the file as multipart/form-data")
	}
	r.Body = http.MaxBytesReader(w, r.Body, a.spaces.Options().MaxUpload+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return errRoute(http.StatusBadRequest, "invalid_multipart", "the body is not valid multipart/form-data")
	}
	description := ""
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return errRoute(http.StatusUnprocessableEntity, "file_required", "send the file in a part named file")
		}
		if err != nil {
			return uploadError(err)
		}
		switch part.FormName() {
		case "description":
			b, err := io.ReadAll(io.LimitReader(part, 4096))
			if err != nil {
				return uploadError(err)
			}
			description = string(b)
		case "file":
			m, err := a.spaces.UploadMedia(r.Context(), by, part, part.FileName(), description)
			if err != nil {
				if de := spaces.AsError(err); de.Code == "file_too_large" {
					return errRoute(http.StatusRequestEntityTooLarge, de.Code, de.Message)
				}
				return err
			}
			writeJSON(w, http.StatusCreated, attachmentOf(m))
			return nil
		}
	}
}

func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errRoute(http.StatusRequestEntityTooLarge, "file_too_large", "the file is too large")
	}
	return errRoute(http.StatusBadRequest, "invalid_multipart", "the body is not valid multipart/form-data")
}

// media: GET /api/ruche/v1/media/{id} → the file, if the viewer may see it. Files
// are served as attachments with their sniffed type, never as pages of this
// origin (a stored file cannot run script here).
func (a *API) media(w http.ResponseWriter, r *http.Request) error {
	m, f, err := a.spaces.OpenMedia(r.Context(), optionalViewer(r), pathVar(r, "id"))
	if err != nil {
		return err
	}
	defer f.Close()
	serveFile(w, r, m, f)
	return nil
}

// serveFile writes a stored file: as an attachment with its sniffed type,
// never as a page of this origin (a stored file cannot run script here);
// images inline.
func serveFile(w http.ResponseWriter, r *http.Request, m *spaces.Media, f io.Reader) {
	h := w.Header()
	h.Set("Content-Type", m.MediaType)
	h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	disposition := "attachment"
	if strings.HasPrefix(m.MediaType, "image/") {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": m.Name}))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, f)
	}
}

type searchJSON struct {
	Posts    []postJSON           `json:"posts"`
	Spaces   []*spaceJSON         `json:"spaces"`
	Accounts []*publicAccountJSON `json:"accounts"`
	Next     *string              `json:"next"`
}

// search: GET /api/ruche/v1/search?q=&type=posts|spaces|accounts&before=&limit=.
func (a *API) search(w http.ResponseWriter, r *http.Request) error {
	p, err := feedPage(r)
	if err != nil {
		return err
	}
	v := optionalViewer(r)
	q := r.URL.Query()
	res, err := a.spaces.Search(r.Context(), v, q.Get("q"), q.Get("type"), p)
	if err != nil {
		return err
	}
	posts, err := a.postsOf(r.Context(), v, res.Posts)
	if err != nil {
		return err
	}
	out := searchJSON{Posts: posts, Spaces: []*spaceJSON{}, Accounts: []*publicAccountJSON{}}
	for _, sp := range res.Spaces {
		out.Spaces = append(out.Spaces, spaceOf(sp))
	}
	for _, acct := range res.Accounts {
		out.Accounts = append(out.Accounts, accountOf(acct))
	}
	limit := p.Limit
	if limit == 0 {
		limit = 20
	}
	if len(out.Posts) >= limit {
		next := out.Posts[len(out.Posts)-1].ID
		out.Next = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type notificationJSON struct {
	ID        string             `json:"id"`
	Kind      string             `json:"kind"`
	Actor     *publicAccountJSON `json:"actor,omitempty"`
	PostID    string             `json:"post_id,omitempty"`
	Space     *publicAccountJSON `json:"space,omitempty"`
	Read      bool               `json:"read"`
	CreatedAt time.Time          `json:"created_at"`
}

// notifications: GET /api/ruche/v1/notifications?unread=true&before=&limit=.
func (a *API) notifications(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	p, err := feedPage(r)
	if err != nil {
		return err
	}
	list, err := a.spaces.Notifications(r.Context(), by, spaces.NotificationPage{
		Unread: r.URL.Query().Get("unread") == "true", Before: p.Before, Limit: p.Limit})
	if err != nil {
		return err
	}
	out := make([]notificationJSON, len(list))
	for i, n := range list {
		out[i] = notificationJSON{ID: n.ID, Kind: n.Kind, Actor: accountOf(n.Actor), PostID: n.PostID,
			Space: accountOf(n.Space), Read: !n.ReadAt.IsZero(), CreatedAt: n.CreatedAt}
	}
	writeJSON(w, http.StatusOK, pageOf(out, p.Limit, func(n notificationJSON) string { return n.ID }))
	return nil
}

// markRead: POST /api/ruche/v1/notifications/read {"ids": [...]} or {"up_to": id}
// or {} for all → {"marked": n}.
func (a *API) markRead(w http.ResponseWriter, r *http.Request) error {
	by, _, err := viewer(r)
	if err != nil {
		return err
	}
	var in struct {
		IDs  []string `json:"ids"`
		UpTo string   `json:"up_to"`
	}
	if err := decode(w, r, &in); err != nil {
		return err
	}
	n, err := a.spaces.MarkNotificationsRead(r.Context(), by, in.IDs, in.UpTo)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"marked": n})
	return nil
}
