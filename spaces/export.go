package spaces

import (
	"context"
	"time"
)

// Export is everything a member put on the node, for them to take away
// (GDPR's right of access and portability): their profile and settings,
// what they wrote in every language, the files they attached, the spaces
// they belong to, whom they follow and who follows them, the events they
// registered for, their votes in polls, the questions they proposed for
// spaces' FAQs and the revisions of wiki pages they wrote. Passwords, sessions and other
// members' private data are not in it.
type Export struct {
	ExportedAt    time.Time
	Account       ExportAccount
	Posts         []ExportPost
	Spaces        []ExportMembership
	Following     []ExportFollow
	Followers     []ExportFollow
	Registrations []ExportRegistration
	Votes         []ExportVote
	FAQProposals  []ExportFAQProposal
	// DocumentVersions are the versions of documents the member uploaded or
	// restored, in their own documents and others'.
	DocumentVersions []ExportDocumentVersion
	WikiRevisions    []ExportWikiRevision
}

// ExportDocument is the folder and current version of a document the
// member added.
type ExportDocument struct {
	Folder  string
	Current int
}

// ExportDocumentVersion is one version of a document: its file (MediaID,
// as in Attachments, and the file's name, type and size) and, for a
// restored version, the number of the version it restored.
type ExportDocumentVersion struct {
	Document     string // the document's post id
	Number       int
	RestoredFrom int `json:",omitempty"`
	File         ExportFile
	CreatedAt    time.Time
}

// ExportWikiRevision is a revision of a wiki page the member wrote: the
// page (its post's id), the revision's number, and what it said.
type ExportWikiRevision struct {
	Page, Title, Source, Content, Summary string
	Number, Restored                      int
	CreatedAt                             time.Time
}

// ExportAccount is the member's profile and settings.
type ExportAccount struct {
	Username, DisplayName, Bio, Email, Role, Locale string
	Locked                                          bool
	NotificationsOff                                []string
	CreatedAt                                       time.Time
}

// ExportPost is one post, comment or article, in every language.
type ExportPost struct {
	ID, Kind, Space, InReplyTo, Visibility, Language, AppliesTo string
	Sensitive                                                   bool
	ContentWarning                                              string
	Translations                                                []ExportText
	Themes, Hashtags                                            []string
	Attachments                                                 []ExportFile
	CreatedAt                                                   time.Time
	EditedAt                                                    *time.Time
	Poll                                                        *ExportPoll     `json:",omitempty"`
	Event                                                       *ExportEvent    `json:",omitempty"`
	FAQ                                                         *ExportFAQ      `json:",omitempty"`
	Document                                                    *ExportDocument `json:",omitempty"`
}

// ExportFAQ is the place of an FAQ entry the member wrote (Position -1:
// deleted, out of the order).
type ExportFAQ struct {
	Category string
	Position int
}

// ExportFAQProposal is a question the member proposed for a space's FAQ:
// State open, answered (Answer: the entry's id) or dismissed.
type ExportFAQProposal struct {
	Space, Question, Language, State, Answer string
	CreatedAt                                time.Time
}

// ExportPoll is the poll a post carries, with its counts.
type ExportPoll struct {
	Options     []string
	Votes       []int
	Multiple    bool
	HideTotals  bool
	EndsAt      time.Time
	VotersCount int
}

// ExportEvent is the when and where of an event the member organised.
type ExportEvent struct {
	StartsAt, EndsAt                        time.Time
	TimeZone, PlaceName, Address, OnlineURL string
	Capacity, Going, Waiting                int
}

// ExportRegistration is the member's registration for an event (Post: its
// id on this node, URI its IRI for another server's).
type ExportRegistration struct {
	Post, URI, Title, State string
	StartsAt                time.Time
	Since                   time.Time
}

// ExportVote is the member's choices in a poll.
type ExportVote struct {
	Post, URI string
	Choices   []string
}

// ExportText is a post's text in one language: the Markdown the member
// wrote and the HTML shown.
type ExportText struct {
	Language, Title, Summary, Markdown, HTML string
}

// ExportFile is an attached file. MediaID opens it (OpenMedia).
type ExportFile struct {
	MediaID, Name, MediaType, Description string
	Size                                  int64
}

// ExportMembership is the member's place in a space.
type ExportMembership struct {
	Space, Name, Role, State string
	Since                    time.Time
}

// ExportFollow is a follow, by the other account's handle.
type ExportFollow struct {
	Handle, State string
	Since         time.Time
}

// exportPage is how many posts an export loads at once.
const exportPage = 200

// ExportData gathers the member's own data. Only the member may.
func (s *Service) ExportData(ctx context.Context, by *Account) (*Export, error) {
	if !canAct(by) || by.User == nil {
		return nil, errUnauthenticated
	}
	a, err := s.db.AccountByID(ctx, by.ID)
	if err != nil {
		return nil, internal("export", err)
	}
	out := &Export{ExportedAt: s.now(), Account: ExportAccount{
		Username: a.Username, DisplayName: a.DisplayName, Bio: a.Bio, Email: a.User.Email, Role: a.User.Role,
		Locale: a.User.Locale, Locked: a.Locked, CreatedAt: a.CreatedAt,
	}}
	for _, k := range NotificationKinds {
		if !NotificationOn(a, k) {
			out.Account.NotificationsOff = append(out.Account.NotificationsOff, k)
		}
	}
	if err := s.exportPosts(ctx, a, out); err != nil {
		return nil, err
	}
	ms, err := s.db.MembershipsOfAccount(ctx, a.ID)
	if err != nil {
		return nil, internal("export", err)
	}
	for _, m := range ms {
		e := ExportMembership{Role: m.Role, State: m.State, Since: m.CreatedAt}
		if m.Space != nil {
			e.Space, e.Name = spaceHandle(m.Space), m.Space.Account.DisplayName
		}
		out.Spaces = append(out.Spaces, e)
	}
	if err := s.exportFollows(ctx, a, out); err != nil {
		return nil, err
	}
	if err := s.exportWikiRevisions(ctx, a, out); err != nil {
		return nil, err
	}
	if err := s.exportProposals(ctx, a, out); err != nil {
		return nil, err
	}
	if err := s.exportDocumentVersions(ctx, a, out); err != nil {
		return nil, err
	}
	return out, s.exportTakingPart(ctx, a, out)
}

// exportTakingPart adds the member's registrations for events and votes in
// polls.
func (s *Service) exportTakingPart(ctx context.Context, a *Account, out *Export) error {
	regs, err := s.db.RegistrationsOfAccount(ctx, a.ID)
	if err != nil {
		return internal("export registrations", err)
	}
	votes, err := s.db.PollVotesOfAccount(ctx, a.ID)
	if err != nil {
		return internal("export votes", err)
	}
	var ids []string
	for _, r := range regs {
		ids = append(ids, r.PostID)
	}
	for _, v := range votes {
		ids = append(ids, v.PostID)
	}
	posts, err := s.db.PostsByIDs(ctx, dedupe(ids))
	if err != nil {
		return internal("export taking part", err)
	}
	byID := map[string]*Post{}
	for _, p := range posts {
		byID[p.ID] = p
	}
	if err := s.WithParts(ctx, posts); err != nil {
		return err
	}
	for _, r := range regs {
		e := ExportRegistration{Post: r.PostID, State: r.State, Since: r.CreatedAt}
		if p := byID[r.PostID]; p != nil {
			e.URI, e.Title = p.URI, p.Title
			if p.Event != nil {
				e.StartsAt = p.Event.StartsAt
			}
		}
		out.Registrations = append(out.Registrations, e)
	}
	for _, v := range votes {
		p := byID[v.PostID]
		if p == nil || p.Poll == nil || v.Choice >= len(p.Poll.Options) {
			continue
		}
		if n := len(out.Votes); n > 0 && out.Votes[n-1].Post == v.PostID {
			out.Votes[n-1].Choices = append(out.Votes[n-1].Choices, p.Poll.Options[v.Choice].Title)
			continue
		}
		out.Votes = append(out.Votes, ExportVote{Post: v.PostID, URI: p.URI, Choices: []string{p.Poll.Options[v.Choice].Title}})
	}
	return nil
}

func (s *Service) exportPosts(ctx context.Context, a *Account, out *Export) error {
	spaceNames := map[string]string{}
	for after := ""; ; {
		page, err := s.db.PostsByAuthor(ctx, a.ID, after, exportPage)
		if err != nil {
			return internal("export posts", err)
		}
		if err := s.withSpaces(ctx, page); err != nil { // with their polls and events
			return err
		}
		for _, p := range page {
			e := ExportPost{ID: p.ID, Kind: p.Kind, InReplyTo: p.InReplyToID, Visibility: p.Visibility,
				Language: p.Language, AppliesTo: p.AppliesTo, Sensitive: p.Sensitive, ContentWarning: p.Warning, CreatedAt: p.CreatedAt}
			if p.Space != nil {
				if spaceNames[p.SpaceID] == "" {
					spaceNames[p.SpaceID] = spaceHandle(p.Space)
				}
				e.Space = spaceNames[p.SpaceID]
			}
			if !p.EditedAt.IsZero() {
				e.EditedAt = &p.EditedAt
			}
			for _, t := range MainFirst(p) {
				e.Translations = append(e.Translations, ExportText{Language: t.Language, Title: t.Title, Summary: t.Summary, Markdown: t.Source, HTML: t.Content})
			}
			for _, t := range p.Tags {
				if t.Kind == "theme" {
					e.Themes = append(e.Themes, t.Tag)
				} else {
					e.Hashtags = append(e.Hashtags, t.Tag)
				}
			}
			for _, m := range p.Attachments {
				e.Attachments = append(e.Attachments, ExportFile{MediaID: m.ID, Name: m.Name, MediaType: m.MediaType, Description: m.Description, Size: m.Size})
			}
			if poll := p.Poll; poll != nil {
				e.Poll = &ExportPoll{Multiple: poll.Multiple, HideTotals: poll.HideTotals, EndsAt: poll.EndsAt, VotersCount: poll.VotersCount}
				for _, o := range poll.Options {
					e.Poll.Options, e.Poll.Votes = append(e.Poll.Options, o.Title), append(e.Poll.Votes, o.VotesCount)
				}
			}
			if ev := p.Event; ev != nil {
				e.Event = &ExportEvent{StartsAt: ev.StartsAt, EndsAt: ev.EndsAt, TimeZone: ev.TimeZone, PlaceName: ev.PlaceName,
					Address: ev.Address, OnlineURL: ev.OnlineURL, Capacity: ev.Capacity, Going: ev.GoingCount, Waiting: ev.WaitingCount}
			}
			if d := p.Document; d != nil {
				e.Document = &ExportDocument{Folder: d.Folder, Current: d.Current}
			}
			if p.Kind == KindFAQ {
				e.FAQ = &ExportFAQ{Position: -1}
				if p.FAQ != nil {
					e.FAQ.Category, e.FAQ.Position = p.FAQ.Category, p.FAQ.Position
				}
			}
			out.Posts = append(out.Posts, e)
		}
		if len(page) < exportPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func (s *Service) exportFollows(ctx context.Context, a *Account, out *Export) error {
	for _, st := range []string{FollowStateAccepted, FollowStatePending} {
		following, err := s.db.ListFollowing(ctx, a.ID, FollowPage{State: st, Limit: 100_000})
		if err != nil {
			return internal("export follows", err)
		}
		for _, f := range following {
			out.Following = append(out.Following, ExportFollow{Handle: accountHandle(f.Target), State: f.State, Since: f.CreatedAt})
		}
		followers, err := s.db.ListFollowers(ctx, a.ID, FollowPage{State: st, Limit: 100_000})
		if err != nil {
			return internal("export follows", err)
		}
		for _, f := range followers {
			out.Followers = append(out.Followers, ExportFollow{Handle: accountHandle(f.Follower), State: f.State, Since: f.CreatedAt})
		}
	}
	return nil
}

// accountHandle is user, or user@host for a remote account.
func accountHandle(a *Account) string {
	if a == nil {
		return ""
	}
	return handle{Username: a.Username, Domain: a.Domain}.String()
}

func spaceHandle(sp *Space) string { return accountHandle(sp.Account) }

// MainFirst returns a post's translations with its main language first, the
// others in the order they are stored.
func MainFirst(p *Post) []*Translation {
	out := make([]*Translation, 0, len(p.Translations))
	for _, t := range p.Translations {
		if t.Language == p.Language {
			out = append(out, t)
		}
	}
	for _, t := range p.Translations {
		if t.Language != p.Language {
			out = append(out, t)
		}
	}
	return out
}

// exportDocumentVersions adds the versions of documents the member added.
func (s *Service) exportDocumentVersions(ctx context.Context, a *Account, out *Export) error {
	list, err := s.db.DocumentVersionsOfAccount(ctx, a.ID)
	if err != nil {
		return internal("export document versions", err)
	}
	for _, v := range list {
		e := ExportDocumentVersion{Document: v.PostID, Number: v.Number, RestoredFrom: v.RestoredFrom, CreatedAt: v.CreatedAt}
		if m := v.Media; m != nil {
			e.File = ExportFile{MediaID: m.ID, Name: m.Name, MediaType: m.MediaType, Description: m.Description, Size: m.Size}
		}
		out.DocumentVersions = append(out.DocumentVersions, e)
	}
	return nil
}

// exportProposals adds the questions the member proposed for FAQs.
func (s *Service) exportProposals(ctx context.Context, a *Account, out *Export) error {
	list, err := s.db.FAQProposalsOfAccount(ctx, a.ID)
	if err != nil {
		return internal("export proposals", err)
	}
	handles := map[string]string{}
	for _, p := range list {
		if _, ok := handles[p.SpaceID]; !ok {
			if sp, err := s.db.SpaceByAccountID(ctx, p.SpaceID); err == nil {
				handles[p.SpaceID] = spaceHandle(sp)
			}
		}
		e := ExportFAQProposal{Space: handles[p.SpaceID], Question: p.Question, Language: p.Language,
			State: "open", Answer: p.AnsweredPostID, CreatedAt: p.CreatedAt}
		switch {
		case p.AnsweredPostID != "":
			e.State = "answered"
		case !p.DismissedAt.IsZero():
			e.State = "dismissed"
		}
		out.FAQProposals = append(out.FAQProposals, e)
	}
	return nil
}

// exportWikiRevisions adds the revisions of wiki pages the member wrote.
func (s *Service) exportWikiRevisions(ctx context.Context, a *Account, out *Export) error {
	list, err := s.db.WikiRevisionsOfAccount(ctx, a.ID)
	if err != nil {
		return internal("export wiki revisions", err)
	}
	for _, r := range list {
		out.WikiRevisions = append(out.WikiRevisions, ExportWikiRevision{Page: r.PostID, Title: r.Title, Source: r.Source,
			Content: r.Content, Summary: r.Summary, Number: r.Number, Restored: r.Restored, CreatedAt: r.CreatedAt})
	}
	return nil
}
