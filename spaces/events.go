package spaces

// Events of spaces, memberships and posts. Each carries its values loaded
// (accounts, the space with its account, the post with its author, parts and
// attachments), so that a listener (the federation layer) can build its
// activity without querying again. Listeners run inside the change's
// transaction: what they write commits or rolls back with the change.
type (
	// SpaceCreated: a local space was created; Owner is its first membership.
	SpaceCreated struct {
		Space *Space
		Owner *Membership
	}
	// SpaceUpdated: a space's settings, profile, visibility or archived state changed.
	SpaceUpdated struct {
		Space *Space
		By    *Account
	}
	// SpaceDeleted: a space is being deleted, with everything in it. The
	// event comes before the rows go, so listeners can still read them.
	SpaceDeleted struct {
		Space *Space
		By    *Account
	}

	// MembershipRequested: an account asked to join an approval space; the
	// membership is pending.
	MembershipRequested struct{ Membership *Membership }
	// MemberJoined: an account became an active member at once (open space,
	// invitation, or a space where it was followed back).
	MemberJoined struct{ Membership *Membership }
	// MembershipAccepted: a moderator (By) accepted a pending request.
	MembershipAccepted struct {
		Membership *Membership
		By         *Account
	}
	// MembershipRejected: a moderator (By) refused a pending request.
	MembershipRejected struct {
		Membership *Membership
		By         *Account
	}
	// MemberLeft: the member left (or withdrew their request).
	MemberLeft struct{ Membership *Membership }
	// MemberRemoved: a moderator (By) removed the member; they may join again.
	MemberRemoved struct {
		Membership *Membership
		By         *Account
	}
	// MemberBanned: a moderator (By) banned the account from the space.
	MemberBanned struct {
		Membership *Membership
		By         *Account
	}
	// MemberUnbanned: a moderator (By) lifted a ban; the account is no member.
	MemberUnbanned struct {
		Membership *Membership
		By         *Account
	}
	// MemberRoleChanged: a moderator (By) changed a member's role.
	MemberRoleChanged struct {
		Membership *Membership
		By         *Account
	}
	// SpaceInvited: an account (or a handle not resolved yet) was invited.
	// Link invitations emit nothing: they leave the node by other means.
	SpaceInvited struct {
		Invitation *SpaceInvitation
		By         *Account
	}

	// PostCreated: a top-level post or article was created, in Post.Space or
	// (Space nil) on its author's profile.
	PostCreated struct{ Post *Post }
	// CommentCreated: a comment was created; Post.InReplyTo is its parent.
	CommentCreated struct{ Post *Post }
	// PostUpdated: the author edited a post or comment (EditedAt is set).
	PostUpdated struct{ Post *Post }
	// WikiEditSent: By, a member here, edited Post, a page of a space of
	// another node, which keeps it: Post is the page as edited (its text,
	// name, and Wiki the row with the revision the edit makes and its
	// parent), not stored here; the space's node takes it or refuses it.
	WikiEditSent struct {
		Post *Post
		By   *Account
	}
	// PostDeleted: the author deleted a post or comment; Post is the tombstone
	// (text cleared, DeletedAt set).
	PostDeleted struct{ Post *Post }
	// PostRemoved: a moderator (By) removed someone else's post or comment;
	// the Group sends the Delete. Post is the tombstone.
	PostRemoved struct {
		Post *Post
		By   *Account
	}
	// PostLiked and PostUnliked: Like.Post and Like.Account are loaded.
	PostLiked struct{ Like *Like }
	// PollVoted: Voter chose Votes in the poll of Post (Post.Poll loaded,
	// with the new counts).
	PollVoted struct {
		Post  *Post
		Voter *Account
		Votes []*PollVote
	}
	PostUnliked struct{ Like *Like }
	// PollEnded: the poll of Post (Post.Poll loaded) has ended; its
	// results are final, and shown to all.
	PollEnded struct{ Post *Post }
	// EventRegistered: Registration.Account registered for the event of
	// Post (Post.Event loaded): going, waiting, or (another server's event)
	// pending its answer.
	EventRegistered struct {
		Post         *Post
		Registration *Registration
	}
	// EventUnregistered: Registration.Account is off the list of the event
	// of Post.
	EventUnregistered struct {
		Post         *Post
		Registration *Registration
	}
	// RegistrationsPromoted: places freed in the local event of Post went
	// to the first who waited (Account loaded), now going.
	RegistrationsPromoted struct {
		Post          *Post
		Registrations []*Registration
	}
	// PostPinned and PostUnpinned: a moderator (By) pinned or unpinned a post
	// of the space's featured collection.
	PostPinned struct {
		Post *Post
		By   *Account
	}
	PostUnpinned struct {
		Post *Post
		By   *Account
	}

	// Notified: notifications were recorded for local members (one each),
	// with Actor (nil for the node itself) and Space (the space's account,
	// when there is one) loaded.
	Notified struct{ Notifications []*Notification }
)

func (SpaceCreated) eventName() string          { return "space created" }
func (SpaceUpdated) eventName() string          { return "space updated" }
func (SpaceDeleted) eventName() string          { return "space deleted" }
func (MembershipRequested) eventName() string   { return "membership requested" }
func (MemberJoined) eventName() string          { return "member joined" }
func (MembershipAccepted) eventName() string    { return "membership accepted" }
func (MembershipRejected) eventName() string    { return "membership rejected" }
func (MemberLeft) eventName() string            { return "member left" }
func (MemberRemoved) eventName() string         { return "member removed" }
func (MemberBanned) eventName() string          { return "member banned" }
func (MemberUnbanned) eventName() string        { return "member unbanned" }
func (MemberRoleChanged) eventName() string     { return "member role changed" }
func (SpaceInvited) eventName() string          { return "space invited" }
func (PostCreated) eventName() string           { return "post created" }
func (CommentCreated) eventName() string        { return "comment created" }
func (PostUpdated) eventName() string           { return "post updated" }
func (WikiEditSent) eventName() string          { return "wiki edit sent" }
func (PostDeleted) eventName() string           { return "post deleted" }
func (PostRemoved) eventName() string           { return "post removed" }
func (PostLiked) eventName() string             { return "post liked" }
func (PollVoted) eventName() string             { return "poll voted" }
func (PollEnded) eventName() string             { return "poll ended" }
func (EventRegistered) eventName() string       { return "event registered" }
func (EventUnregistered) eventName() string     { return "event unregistered" }
func (RegistrationsPromoted) eventName() string { return "registrations promoted" }
func (PostUnliked) eventName() string           { return "post unliked" }
func (PostPinned) eventName() string            { return "post pinned" }
func (PostUnpinned) eventName() string          { return "post unpinned" }
func (Notified) eventName() string              { return "notified" }
