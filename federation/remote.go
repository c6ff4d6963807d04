package federation

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/queue"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/spaces"
)

// Remote posts and files: how a post received from another server becomes
// the input of a domain call, how posts the node is told about but does not
// hold are fetched, and how their files are cached.
//
// Files of remote posts are cached when the post is stored: fetched once
// (signed by the node's actor, through the guarded client), bounded by the
// node's upload limit (media.max_upload_mb), kept only when their content is
// of a type the node accepts from its own members, and then served by this
// node to its readers like an upload. A file that is too large, of another
// type, or unreachable stays a link to its server.

// postByIRI finds a post this node holds by its IRI: one of its own, or a
// remote one by its id.
func (f *Federation) postByIRI(ctx context.Context, iri string) (*spaces.Post, error) {
	if id, ok := f.localPostID(iri); ok {
		return f.rows.PostByID(ctx, id)
	}
	return f.rows.PostByURI(ctx, iri)
}

// postIDByIRI is postByIRI for callers that need only the post's id.
func (f *Federation) postIDByIRI(ctx context.Context, iri string) (string, error) {
	if id, ok := f.localPostID(iri); ok {
		return f.rows.PostIDByIDOrURI(ctx, id, "")
	}
	return f.rows.PostIDByIDOrURI(ctx, "", iri)
}

// remoteObject reads the post an activity is about: the embedded document
// when trusted (the activity is its author's, signed, on the same origin),
// otherwise the document fetched from its own server.
func (f *Federation) remoteObject(ctx context.Context, ref activitystreams.Ref, trustEmbedded bool) (*activitystreams.RemoteObject, error) {
	return f.remoteObjectAs(ctx, ref, trustEmbedded, nil)
}

// remoteObjectAs is remoteObject fetching as the local account as (nil: the
// node's actor).
func (f *Federation) remoteObjectAs(ctx context.Context, ref activitystreams.Ref, trustEmbedded bool, as *spaces.Account) (*activitystreams.RemoteObject, error) {
	doc := ref.Embedded
	if doc == nil || !trustEmbedded {
		if ref.ID == "" {
			return nil, errObject(activitystreams.ErrNotAPost)
		}
		var err error
		if doc, err = f.fetchDocumentAs(ctx, ref.ID, as); err != nil {
			return nil, refusal(err)
		}
	}
	o, err := activitystreams.ObjectFrom(doc)
	if err != nil {
		return nil, errObject(err)
	}
	return o, nil
}

// refusal makes a refusal that retrying cannot change a rule's refusal: a
// host the node does not federate with, or a server that answers that the
// object is gone or not for this node to read.
func refusal(err error) error {
	if errors.Is(err, ErrHostRefused) {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "host_refused", Message: err.Error()}
	}
	switch transport.StatusOf(err) {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		return &spaces.Error{Kind: spaces.KindNotFound, Code: "object_unavailable", Message: err.Error()}
	}
	return err
}

// resolveAuthor is ResolveActor for the author of something a Group announced.
func (f *Federation) resolveAuthor(ctx context.Context, iri string) (*spaces.Account, error) {
	a, err := f.ResolveActor(ctx, iri)
	return a, refusal(err)
}

// errObject is a received object the node cannot take as a post: a rule
// refusal, not retried.
func errObject(err error) error {
	return &spaces.Error{Kind: spaces.KindInvalid, Code: "object_invalid", Message: err.Error()}
}

var (
	themePattern     = regexp.MustCompile(`^[\p{L}\p{N}_-]{1,50}$`)
	mediaTypePattern = regexp.MustCompile(`^[a-z]+/[a-z0-9.+-]+$`)
)

// Limits of the domain on a post's text, applied here to remote text by
// cutting rather than refusing: the other server decides what its posts say.
const (
	maxTitle     = 200
	maxSummary   = 1000
	maxAppliesTo = 200
	maxLanguages = 10
	maxWarning   = 500
)

// postInput is what the domain takes of a remote post.
func (f *Federation) postInput(o *activitystreams.RemoteObject) spaces.PostInput {
	main := o.Texts[0]
	in := spaces.PostInput{Kind: spaces.KindNote, Language: main.Language, Title: cutRunes(main.Title, maxTitle),
		Summary: cutRunes(main.Summary, maxSummary), Body: main.Body, HTML: true, URI: o.ID, URL: o.URL,
		ContextURI: o.Context, Published: o.Published, AppliesTo: cutRunes(o.AppliesTo, maxAppliesTo)}
	switch {
	case o.Document != nil:
		in.Kind, in.Summary, in.AppliesTo = spaces.KindDocument, "", ""
	case o.Event != nil:
		in.Kind, in.Summary, in.AppliesTo = spaces.KindEvent, "", ""
		in.Event = eventInput(o.Event)
	case o.Wiki != nil:
		in.Kind, in.Summary, in.AppliesTo = spaces.KindPage, "", ""
		in.Wiki = &spaces.WikiInput{Revision: o.Wiki.Number, ParentURI: o.Wiki.Parent, Source: o.Wiki.Source}
		// a member elsewhere writes under a page of this node's space
		in.Wiki.ParentID, _ = f.localPostID(o.Wiki.Parent)
	case !o.Article:
		// always given, so that an edit that drops the warning drops it here
		in.Warning = &spaces.ContentWarning{Sensitive: o.Sensitive, Text: cutRunes(o.Warning, maxWarning)}
	case o.FAQ != nil:
		in.Kind, in.Summary, in.AppliesTo = spaces.KindFAQ, "", ""
		position := o.FAQ.Position
		in.FAQ = &spaces.FAQInput{Category: o.FAQ.Category, Position: &position}
	default:
		in.Kind = spaces.KindArticle
		for _, t := range o.Hashtags {
			if themePattern.MatchString(t) && len(in.Themes) < 10 {
				in.Themes = append(in.Themes, t)
			}
		}
	}
	for _, t := range o.Texts[1:] {
		if t.Language != "" && len(in.Translations) < maxLanguages {
			in.Translations = append(in.Translations, spaces.TranslationInput{Language: t.Language,
				Title: cutRunes(t.Title, maxTitle), Summary: cutRunes(t.Summary, maxSummary), Body: t.Body})
			if in.Kind == spaces.KindFAQ || in.Kind == spaces.KindPage {
				in.Translations[len(in.Translations)-1].Summary = ""
			}
		}
	}
	for _, a := range o.Attachments {
		mt := strings.ToLower(a.MediaType)
		if !mediaTypePattern.MatchString(mt) {
			mt = "application/octet-stream"
		}
		in.RemoteAttachments = append(in.RemoteAttachments, spaces.RemoteFile{URI: a.URL, MediaType: mt, Name: cutRunes(a.Name, 200)})
	}
	in.Poll = pollInput(o.Poll)
	if d := o.Document; d != nil {
		// a document is its file: its current version, the one attachment kept
		file := remoteFile(d)
		in.RemoteAttachments = []spaces.RemoteFile{file}
		in.Document = &spaces.DocumentInput{Folder: d.Folder, Version: d.Version, File: &file}
		for i := range in.Translations {
			in.Translations[i].Summary = ""
		}
	}
	return in
}

// remoteFile is the file of a remote document's current version.
func remoteFile(d *activitystreams.DocumentFile) spaces.RemoteFile {
	mt := strings.ToLower(d.MediaType)
	if !mediaTypePattern.MatchString(mt) {
		mt = "application/octet-stream"
	}
	return spaces.RemoteFile{URI: d.URL, MediaType: mt, Name: cutRunes(d.Name, 200), Size: max(d.Size, 0)}
}

// editInput is what the domain takes of a remote edit: the text, not the
// kind or the files, which stay.
func (f *Federation) editInput(o *activitystreams.RemoteObject) spaces.PostInput {
	in := f.postInput(o)
	in.Kind, in.URI, in.URL, in.ContextURI, in.RemoteAttachments, in.Poll = "", "", "", "", nil, nil
	// a document's file, when its version is newer than the one kept, is
	// its new version (in.Document.File)
	in.Published = o.Updated
	if !o.Article { // an event's date and place change with its text
		in.Themes, in.AppliesTo = nil, ""
	}
	// an FAQ entry's category and position change with its text: a move
	// comes as an Update whose faqPosition is the new place
	return in
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// cacheFiles keeps copies of the remote files of a post the node stored.
// Failures leave the file a link, logged: the post stands without its copy.
func (f *Federation) cacheFiles(ctx context.Context, p *spaces.Post) {
	for _, m := range p.Attachments {
		if m.Path != "" || m.URI == "" {
			continue
		}
		if queue.Alone(ctx) != nil {
			return
		}
		if err := f.cacheFile(ctx, m); err != nil {
			f.log.Warn("remote file not cached", "file", m.URI, "post", p.URI, "err", err)
		}
	}
}

// refreshAvatar keeps a copy of a remote actor's icon when it is new. The
// copy is made in the background: the actor is stored already, and its
// picture may come from a slow server. Close waits for copies under way.
func (f *Federation) refreshAvatar(ctx context.Context, a *spaces.Account) {
	m, err := f.spaces.RemoteAvatar(ctx, a)
	if err != nil || m == nil {
		if err != nil {
			f.log.Warn("remote avatar not recorded", "actor", a.URI, "err", err)
		}
		return
	}
	if queue.Alone(ctx) != nil {
		return
	}
	acct := *a // the caller goes on with a
	f.background.Add(1)
	go func() {
		defer f.background.Done()
		ctx, a := context.WithoutCancel(ctx), &acct
		if err := f.cacheFile(ctx, m); err != nil {
			f.log.Warn("remote avatar not cached", "actor", a.URI, "icon", m.URI, "err", err)
		}
		if err := f.spaces.AdoptRemoteAvatar(ctx, a, m.ID); err != nil {
			f.log.Warn("remote avatar not kept", "actor", a.URI, "icon", m.URI, "err", err)
		}
	}()
}

func (f *Federation) cacheFile(ctx context.Context, m *spaces.Media) error {
	if err := f.hostAllowed(ctx, activitystreams.Host(m.URI)); err != nil {
		return err
	}
	sign, err := f.signAs(ctx, nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 4*f.cfg.Federation.DeliveryTimeout)
	defer cancel()
	body, err := f.client.Open(ctx, m.URI, "*/*", sign)
	if err != nil {
		return err
	}
	defer body.Close()
	_, err = f.spaces.CacheRemoteMedia(ctx, m.ID, body)
	return err
}

// storeRemoteSpace keeps the space of a remote Group the node fetched: its
// visibility, join policy, posting rights and tools as the Group publishes
// them.
func (f *Federation) storeRemoteSpace(ctx context.Context, a *spaces.Account, ra *activitystreams.RemoteActor) error {
	posting := spaces.PostingMembers
	if ra.PostingRestrictedToMods {
		posting = spaces.PostingModerators
	}
	_, err := f.spaces.SaveRemoteSpace(ctx, a, spaces.RemoteSpace{Visibility: ra.Visibility, JoinPolicy: ra.JoinPolicy,
		Posting: posting, Tools: ra.Tools, DocumentAdding: ra.DocumentAdding})
	return err
}

// mirroredSpace returns the space of a remote Group this node knows, or
// ErrIgnored when the sender is no such Group.
func (f *Federation) mirroredSpace(ctx context.Context, g *spaces.Account) (*spaces.Space, error) {
	if g.Type != spaces.TypeGroup || g.IsLocal() {
		return nil, ErrIgnored
	}
	sp, err := f.rows.SpaceByAccountID(ctx, g.ID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, ErrIgnored
	}
	return sp, err
}

// spaceHandle is the handle of a remote space in domain calls: slug@host.
func spaceHandle(sp *spaces.Space) string { return sp.Account.Username + "@" + sp.Account.Domain }

// codeOf is the domain code of an error, "" for others.
func codeOf(err error) string {
	var de *spaces.Error
	if errors.As(err, &de) {
		return de.Code
	}
	return ""
}
