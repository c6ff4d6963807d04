package federation

import (
	"context"

	"github.com/ruche-social/ruche/db"
)

// store holds the protocol's own rows: the keys of local and remote actors,
// the activities local actors sent (the outboxes), and the node's policy
// (blocked domains, allowed hosts). Domain rows are read through
// spaces.Rows; deliveries and received activities belong to the queue.
// Calls made with a context that carries a transaction run in it.
type store interface {
	Tx(ctx context.Context, fn func(ctx context.Context) error) error
	AfterCommit(ctx context.Context, fn func())

	KeyOfAccount(ctx context.Context, accountID string) (*db.Key, error)
	KeyByKeyID(ctx context.Context, keyID string) (*db.Key, error)
	InsertKey(ctx context.Context, k *db.Key) error
	InsertKeyIfAbsent(ctx context.Context, k *db.Key) (bool, error)
	UpdateKey(ctx context.Context, k *db.Key, columns ...string) error
	DeleteKeysOf(ctx context.Context, accountID string) error

	InsertActivity(ctx context.Context, a *db.Activity) error
	ActivityByID(ctx context.Context, id string) (*db.Activity, error)
	ActivitiesUnresolved(ctx context.Context, limit int) ([]*db.Activity, error)
	ClearUnresolved(ctx context.Context, id string) error
	ListPublicActivities(ctx context.Context, actorID string, p db.ActivityPage) ([]*db.Activity, error)
	CountPublicActivities(ctx context.Context, actorID string) (int, error)

	ListDomainBlocks(ctx context.Context) ([]*db.DomainBlock, error)
	InsertDomainBlock(ctx context.Context, b *db.DomainBlock) error
	DeleteDomainBlock(ctx context.Context, domain string) error
	ListAllowedHosts(ctx context.Context) ([]*db.AllowedHost, error)
	InsertAllowedHost(ctx context.Context, h *db.AllowedHost) error
	DeleteAllowedHost(ctx context.Context, host string) error
}

var _ store = (*db.DB)(nil)
