package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ruche-social/ruche/config"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/federation/queue"
	"github.com/ruche-social/ruche/federation/transport"
	"github.com/ruche-social/ruche/internal/buildinfo"
	"github.com/ruche-social/ruche/spaces"
)

// Limits of the inbox and of what the node reads from other servers.
const (
	MaxInboxBody  = 1 << 20 // 1 MiB: an activity larger than this is refused (413)
	maxPageItems  = 50      // items in one page of a collection
	keyRefetchGap = time.Minute
)

// Options are what a Federation needs.
type Options struct {
	Config config.Config
	Spaces *spaces.Service
	Log    *slog.Logger
	// Now is the clock; nil means time.Now. Tests move it to make retries due.
	Now func() time.Time
	// LocalPosts counts the node's posts for NodeInfo; nil counts the live
	// posts and comments written on this node.
	LocalPosts func(ctx context.Context) (int, error)
	// Meter counts what the federation does (for /metrics); nil counts
	// nothing.
	Meter Meter
}

// Meter counts what the federation does, as it does it: what the inboxes
// accept, what the workers make of it, and the outcome of every delivery
// attempt (done, retry, dead; for received activities also ignored and
// failed).
type Meter interface {
	InboxAccepted()
	queue.Meter
}

type noMeter struct{}

func (noMeter) InboxAccepted()        {}
func (noMeter) InboxProcessed(string) {}
func (noMeter) InboxBatch(int, int)   {}
func (noMeter) Delivered(string)      {}

// Federation is the node's ActivityPub side. Create it with New, register it
// as a listener of the domain (spaces.Service.Listen), mount its routes, and
// run its worker where the node's role says so.
type Federation struct {
	cfg    config.Config
	origin string // public_url without trailing slash
	host   string // host[:port] of public_url
	spaces *spaces.Service
	rows   spaces.Rows // the domain's rows
	store  store       // the protocol's own
	log    *slog.Logger
	now    func() time.Time
	posts  func(ctx context.Context) (int, error)
	meter  Meter

	client    *transport.Client
	userAgent string

	handlers    map[string]Handler
	collections []CollectionExpander

	signing   sync.Map                       // account id → *cachedKey
	refetched sync.Map                       // keyId → time.Time of the last refetch
	keys      transport.KeyCache[*remoteKey] // remote keys that signed recent requests

	// queue holds the received activities and the deliveries, and runs
	// the worker.
	queue *queue.Queue
	// unavailable logs the requests answered 503 because the database
	// was unavailable, a few at a time.
	unavailable *queue.ErrorLog

	blocksMu sync.Mutex
	blocks   []*db.DomainBlock // blocked domains, read at blocksAt
	allowed  []string          // partner hosts admins added, read at blocksAt
	blocksAt time.Time

	background sync.WaitGroup // copies of remote files under way
}

// New returns the federation side of a node.
func New(opts Options) (*Federation, error) {
	if opts.Spaces == nil {
		return nil, errors.New("federation: no domain service")
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &Federation{
		cfg:      opts.Config,
		origin:   opts.Config.Origin(),
		host:     strings.ToLower(opts.Config.Host()),
		spaces:   opts.Spaces,
		rows:     opts.Spaces.Rows(),
		store:    opts.Spaces.DB(),
		log:      opts.Log,
		now:      opts.Now,
		posts:    opts.LocalPosts,
		meter:    opts.Meter,
		handlers: map[string]Handler{},
	}
	if f.posts == nil {
		f.posts = f.rows.CountLocalPosts
	}
	if f.meter == nil {
		f.meter = noMeter{}
	}
	f.userAgent = fmt.Sprintf("Ruche/%s (+%s)", buildinfo.Version(), f.origin)
	f.client = transport.NewClient(transport.ClientOptions{
		AllowPrivate: opts.Config.Federation.AllowPrivateAddresses,
		Timeout:      opts.Config.Federation.DeliveryTimeout,
		UserAgent:    f.userAgent,
		Allow:        queue.Alone, // no request while a batch holds the database
	})
	fed := opts.Config.Federation
	f.queue = queue.New(queue.Options{
		DB: opts.Spaces.DB(), Log: f.log, Now: f.now, Meter: f.meter,
		InboxWorkers: fed.InboxWorkers, DeliveryWorkers: fed.DeliveryWorkers, DeliveryPerHost: fed.DeliveryPerHost,
		DeliveryTimeout: fed.DeliveryTimeout, DeliveryMaxAge: fed.DeliveryMaxAge,
		Client:    f.client,
		Process:   f.dispatch,
		Key:       batchKey,
		Retryable: spaces.Retryable,
		Signer:    f.signer,
		Allowed:   func(ctx context.Context) (func(string) bool, error) { return f.policy(ctx) },
		Expand:    f.resolveRecipients,
	})
	f.unavailable = f.queue.ErrorLog("database unavailable: requests answered 503")
	f.registerHandlers()
	return f, nil
}

// Start prepares what the node needs before it federates: the instance actor
// and its key. It is idempotent and safe to run from several processes.
func (f *Federation) Start(ctx context.Context) error {
	a, err := f.instanceActor(ctx)
	if err != nil {
		return err
	}
	_, err = f.localKey(ctx, a)
	return err
}

// Close waits for the copies of remote files under way (each is bounded by
// a timeout) and releases the worker's hold on the database, if it took one.
func (f *Federation) Close() error {
	f.background.Wait()
	return f.queue.Close()
}

// clock returns the current time in UTC at the database's precision.
func (f *Federation) clock() time.Time { return f.now().UTC().Truncate(time.Microsecond) }

// notify wakes the worker of this process: new work was queued.
func (f *Federation) notify() { f.queue.Notify() }
