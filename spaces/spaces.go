// Package spaces is Ruche's domain: accounts, invitations and sessions, and
// (as they land) spaces, memberships, posts, feeds and notifications — with
// every rule about who may do what. The web pages, the client API and the
// federation inbox are three doors into the same operations here; none of them
// holds a rule of its own. The package knows nothing of HTTP or JSON-LD.
package spaces

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/ruche-social/ruche/db"
)

// Domain values, stored by package db.
type (
	Account    = db.Account
	User       = db.User
	Invitation = db.Invitation
	Session    = db.Session

	Space           = db.Space
	Membership      = db.Membership
	SpaceInvitation = db.SpaceInvitation
	Post            = db.Post
	Translation     = db.Translation
	Tag             = db.Tag
	Mention         = db.Mention
	Media           = db.Media
	Like            = db.Like
	Poll            = db.Poll
	PollOption      = db.PollOption
	PollVote        = db.PollVote
	CalendarEvent   = db.CalendarEvent
	Registration    = db.Registration
	FAQEntry        = db.FAQEntry
	FAQProposal     = db.FAQProposal
	Document        = db.Document
	DocumentVersion = db.DocumentVersion
	WikiPage        = db.WikiPage
	WikiRevision    = db.WikiRevision
	Notification    = db.Notification
	// Reader is who reads, as the visibility rule sees them (see Service.Reader).
	Reader = db.Reader
)

// Registration modes of a node.
const (
	RegistrationsClosed = "closed"
	RegistrationsInvite = "invite"
	RegistrationsOpen   = "open"
)

// Options are the node policies the domain enforces.
type Options struct {
	Registrations string // closed, invite or open; admins may change it (NodeSettings)
	// NodeName and NodeDescription present the node; admins may change them.
	NodeName, NodeDescription string
	MembersCanInvite          bool
	InviteTTL                 time.Duration // default lifetime of an invitation
	SessionTTL                time.Duration
	DefaultLocale             string
	// Password sets the cost of password hashing; zero means DefaultPasswordParams.
	Password PasswordParams
	// Now is the clock; nil means time.Now. Tests move it to expire things.
	Now func() time.Time

	// PublicURL is the node's origin (no trailing slash), for the links that
	// mentions and hashtags become in posts.
	PublicURL string
	// SpaceCreation says who may create spaces: members (default) or admins.
	SpaceCreation string
	// MediaDir is where uploaded files are kept; MaxUpload bounds one file.
	MediaDir  string
	MaxUpload int64
	// DocumentMaxUpload bounds one file added to a space's documents (default:
	// MaxUpload); DocumentTypes are the media types accepted there (default:
	// every type accepted for uploads).
	DocumentMaxUpload int64
	DocumentTypes     []string
	// NetworkPeer tells whether a remote host is inside the network, i.e. may
	// see `network` spaces and posts. Nil: no remote host is. The federation
	// layer sets it from the node's (and later the space's) allowlist.
	NetworkPeer func(host string) bool
	// ResolveHandle finds or fetches the remote account user@host (WebFinger,
	// then the actor), for invitations and search. Nil: only accounts the node
	// already knows are found. It is called outside any transaction.
	ResolveHandle func(ctx context.Context, username, host string) (*Account, error)
}

// Who may create spaces.
const (
	SpaceCreationMembers = "members"
	SpaceCreationAdmins  = "admins"
)

// DefaultMaxUpload bounds an uploaded file when the node sets no limit.
const DefaultMaxUpload = 20 << 20

// Service runs the domain's operations. It is safe for concurrent use.
type Service struct {
	db        *db.DB
	opts      Options
	listeners []Listener
	logins    *throttle
	resets    *throttle // self-service password reset requests
	hashSlots chan struct{}
	fedAdmin  FederationAdmin // set once, before serving, by SetFederationAdmin
	settings  settingsCache
	mediaKey  mediaKeyCache
}

// New returns a Service on d with the given policies.
func New(d *db.DB, opts Options) *Service {
	if opts.Registrations == "" {
		opts.Registrations = RegistrationsInvite
	}
	if opts.InviteTTL == 0 {
		opts.InviteTTL = 7 * 24 * time.Hour
	}
	if opts.SessionTTL == 0 {
		opts.SessionTTL = 30 * 24 * time.Hour
	}
	if opts.DefaultLocale == "" {
		opts.DefaultLocale = "fr"
	}
	if opts.Password == (PasswordParams{}) {
		opts.Password = DefaultPasswordParams
	}
	if opts.SpaceCreation == "" {
		opts.SpaceCreation = SpaceCreationMembers
	}
	if opts.MediaDir == "" {
		opts.MediaDir = "data/media"
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = DefaultMaxUpload
	}
	if opts.DocumentMaxUpload <= 0 {
		opts.DocumentMaxUpload = opts.MaxUpload
	}
	if len(opts.DocumentTypes) == 0 {
		opts.DocumentTypes = nil // every type accepted for uploads
	}
	opts.PublicURL = strings.TrimSuffix(opts.PublicURL, "/")
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{
		db:        d,
		opts:      opts,
		logins:    newThrottle(),
		resets:    newThrottle(),
		hashSlots: make(chan struct{}, hashConcurrency),
	}
}

// DB is the database the service works on, for the other packages' stores.
func (s *Service) DB() *db.DB { return s.db }

// AfterCommit runs f once the change whose transaction ctx carries (a
// listener's) has committed, and never if it rolls back; at once when ctx
// carries none. f runs in the goroutine that made the change: it must be
// quick and must not block.
func (s *Service) AfterCommit(ctx context.Context, f func()) { s.db.AfterCommit(ctx, f) }

// Options returns the policies the service enforces.
func (s *Service) Options() Options { return s.opts }

// now is the service's clock in UTC, at the precision both databases keep.
func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Microsecond) }

// newID returns a new ULID: unique, and sorted by creation time.
func newID() string { return ulid.Make().String() }

// Event is a change in the domain that other packages may act on (federation
// turns them into activities). Listeners see it inside the change's transaction.
type Event interface{ eventName() string }

// Listener observes events. It runs inside the transaction of the change,
// which its context carries (db.WithTx), so that what it writes (an outgoing
// activity, a key pair) commits or rolls back with the change itself and
// what it reads through the service sees the change. An error from a
// listener aborts the change.
type Listener interface {
	HandleEvent(ctx context.Context, ev Event) error
}

// Listen registers a listener. Call it while wiring the node, before serving.
func (s *Service) Listen(l Listener) { s.listeners = append(s.listeners, l) }

func (s *Service) emit(ctx context.Context, tx *db.DB, ev Event) error {
	for _, l := range s.listeners {
		if err := l.HandleEvent(db.WithTx(ctx, tx), ev); err != nil {
			return internal(fmt.Sprintf("listener on %s", ev.eventName()), err)
		}
	}
	return nil
}
