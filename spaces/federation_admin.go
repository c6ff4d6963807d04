package spaces

import (
	"context"
	"time"

	"github.com/ruche-social/ruche/db"
)

// FederationAdmin is what the federation side offers the node's admins:
// the state of its queues and the domains it refuses. The admin command line
// calls it directly; the other doors go through the Service methods below,
// which check who asks first. Errors of bad input are domain errors (*Error)
// with the field "domain".
type FederationAdmin interface {
	Status(ctx context.Context) (*FederationStatus, error)
	BlockDomain(ctx context.Context, domain, reason string) error
	UnblockDomain(ctx context.Context, domain string) error
	DomainBlocks(ctx context.Context) ([]*DomainBlock, error)
	// Policy is the node's federation mode and its allowlist.
	Policy(ctx context.Context) (FederationPolicy, error)
	AllowHost(ctx context.Context, host, note string) error
	DisallowHost(ctx context.Context, host string) error
	// RetryHost makes every waiting or given-up delivery to host due now
	// and reports how many.
	RetryHost(ctx context.Context, host string) (int, error)
}

// DomainBlock is a domain the node refuses to federate with.
type DomainBlock = db.DomainBlock

// FederationStatus is what an admin sees of the federation queues.
type FederationStatus struct {
	Inbox         []db.QueueCount // received activities by state
	Deliveries    []db.QueueCount // deliveries not done, by host and state
	Totals        []QueueTotal    // deliveries by state, done ones included
	InboxTotals   []QueueTotal    // received activities by state
	FailingHosts  []*db.Host
	DeadInbox     []*db.InboxItem
	DeadDelivered []*db.Delivery
}

// QueueTotal is the number of jobs in one state, with the time the oldest
// of them was queued.
type QueueTotal = db.QueueTotal

// Pending returns the total of the pending jobs in totals, and when the
// oldest of them was queued (zero when none is).
func Pending(totals []QueueTotal) (int, time.Time) {
	for _, t := range totals {
		if t.State == db.JobPending {
			return t.N, t.Oldest
		}
	}
	return 0, time.Time{}
}

// FederationPolicy says with whom the node federates.
type FederationPolicy struct {
	Mode      string // open or allowlist
	Allowlist []AllowedHost
}

// AllowedHost is a partner host: in allowlist mode the node federates only
// with these; in any mode they may see content of `network` visibility.
type AllowedHost struct {
	Host       string
	Note       string
	Configured bool // set in the configuration, not changed from here
	CreatedAt  time.Time
}

// errNoFederation is what admins get from a node wired without a
// federation side (some tests).
var errNoFederation = &Error{Kind: KindNotFound, Code: "no_federation", Message: "this node does not federate"}

// SetFederationAdmin wires the federation side, which is built on this
// service, so call it before the service serves anyone.
func (s *Service) SetFederationAdmin(f FederationAdmin) { s.fedAdmin = f }

func (s *Service) federationAdmin(by *Account) (FederationAdmin, error) {
	if !isAdmin(by) {
		return nil, forbidden("admin_only", "only an admin may do this")
	}
	if s.fedAdmin == nil {
		return nil, errNoFederation
	}
	return s.fedAdmin, nil
}

// FederationStatus reads the state of the federation queues. Admins only.
func (s *Service) FederationStatus(ctx context.Context, by *Account) (*FederationStatus, error) {
	f, err := s.federationAdmin(by)
	if err != nil {
		return nil, err
	}
	st, err := f.Status(ctx)
	if err != nil {
		return nil, internal("federation status", err)
	}
	return st, nil
}

// FederationPolicy returns with whom the node federates. Admins only.
func (s *Service) FederationPolicy(ctx context.Context, by *Account) (FederationPolicy, error) {
	f, err := s.federationAdmin(by)
	if err != nil {
		return FederationPolicy{}, err
	}
	p, err := f.Policy(ctx)
	if err != nil {
		return FederationPolicy{}, internal("federation policy", err)
	}
	return p, nil
}

// AllowHost puts a partner host on the allowlist. Admins only.
func (s *Service) AllowHost(ctx context.Context, by *Account, host, note string) error {
	f, err := s.federationAdmin(by)
	if err != nil {
		return err
	}
	if len([]rune(note)) > maxBlockReason {
		return invalid("note", "allow_note_too_long", "the note is too long")
	}
	if err := f.AllowHost(ctx, host, note); err != nil {
		return internal("allow host", err)
	}
	return nil
}

// DisallowHost takes a partner host off the allowlist. Admins only.
func (s *Service) DisallowHost(ctx context.Context, by *Account, host string) error {
	f, err := s.federationAdmin(by)
	if err != nil {
		return err
	}
	if err := f.DisallowHost(ctx, host); err != nil {
		return internal("disallow host", err)
	}
	return nil
}

// RetryHost tries again at once every delivery to a host that failed, for
// when an admin knows it is back, and reports how many. Admins only.
func (s *Service) RetryHost(ctx context.Context, by *Account, host string) (int, error) {
	f, err := s.federationAdmin(by)
	if err != nil {
		return 0, err
	}
	n, err := f.RetryHost(ctx, host)
	if err != nil {
		return 0, internal("retry host", err) // a bad host stays a domain error
	}
	return n, nil
}

// DomainBlocks lists the blocked domains. Admins only.
func (s *Service) DomainBlocks(ctx context.Context, by *Account) ([]*DomainBlock, error) {
	f, err := s.federationAdmin(by)
	if err != nil {
		return nil, err
	}
	list, err := f.DomainBlocks(ctx)
	if err != nil {
		return nil, internal("domain blocks", err)
	}
	return list, nil
}

// BlockDomain blocks a domain and its subdomains: nothing from it is
// accepted, nothing is delivered to it. Admins only.
func (s *Service) BlockDomain(ctx context.Context, by *Account, domain, reason string) error {
	f, err := s.federationAdmin(by)
	if err != nil {
		return err
	}
	if len([]rune(reason)) > maxBlockReason {
		return invalid("reason", "block_reason_too_long", "the reason is too long")
	}
	if err := f.BlockDomain(ctx, domain, reason); err != nil {
		return internal("block domain", err)
	}
	return nil
}

// maxBlockReason bounds the reason of a domain block, in characters.
const maxBlockReason = 500

// UnblockDomain lifts the block of a domain. Admins only.
func (s *Service) UnblockDomain(ctx context.Context, by *Account, domain string) error {
	f, err := s.federationAdmin(by)
	if err != nil {
		return err
	}
	if err := f.UnblockDomain(ctx, domain); err != nil {
		return internal("unblock domain", err)
	}
	return nil
}

// Domain block errors, shared by the doors and the federation side.
var (
	ErrDomainRequired = &Error{Kind: KindInvalid, Field: "domain", Code: "domain_required", Message: "give a domain, e.g. ville-b.example"}
	ErrDomainInvalid  = &Error{Kind: KindInvalid, Field: "domain", Code: "domain_invalid", Message: "that is not a host name, e.g. ville-b.example"}
	ErrDomainSelf     = &Error{Kind: KindInvalid, Field: "domain", Code: "domain_self", Message: "a node cannot block itself"}
	ErrDomainBlocked  = &Error{Kind: KindConflict, Field: "domain", Code: "domain_blocked_already", Message: "that domain is blocked already"}
	ErrHostSelf       = &Error{Kind: KindInvalid, Field: "host", Code: "host_self", Message: "that is this node's own address"}
	ErrHostAllowed    = &Error{Kind: KindConflict, Field: "host", Code: "host_allowed_already", Message: "that host is on the allowlist already"}
	ErrHostNotAllowed = &Error{Kind: KindNotFound, Field: "host", Code: "host_not_allowed", Message: "that host is not on the allowlist"}
	ErrHostConfigured = &Error{Kind: KindConflict, Field: "host", Code: "host_configured", Message: "that host is on the configuration's allowlist: change it there"}
	ErrDomainNotHeld  = &Error{Kind: KindNotFound, Field: "domain", Code: "domain_not_blocked", Message: "that domain is not blocked"}
)
