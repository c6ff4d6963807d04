package migrations

import (
	"context"

	"github.com/uptrace/bun"
)

// Federation: remote actors live in accounts (their endpoints and when they
// were fetched); keys holds every actor's key pair (local: with the private
// half) and the public keys of remote actors, by keyId; activities is the
// transactional outbox, deliveries one job per (activity, inbox); inbox_items
// the durable inbox; hosts the health of peers; domain_blocks the node's
// blocked domains. Jobs carry the id of the worker process that claimed them
// (claimed_by), so that a worker can tell a claim of a dead process from one
// in flight.
func init() {
	register(func(ctx context.Context, tx bun.Tx) error {
		return exec(ctx, tx,
			`ALTER TABLE accounts ADD COLUMN inbox_uri TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE accounts ADD COLUMN shared_inbox_uri TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE accounts ADD COLUMN outbox_uri TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE accounts ADD COLUMN followers_uri TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE accounts ADD COLUMN following_uri TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE accounts ADD COLUMN url TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE accounts ADD COLUMN icon_url TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE accounts ADD COLUMN fetched_at TIMESTAMPTZ`,
			`ALTER TABLE accounts ADD COLUMN deleted_at TIMESTAMPTZ`,
			`CREATE INDEX accounts_domain ON accounts (domain, id)`,
			`
CREATE TABLE keys (
	id              TEXT PRIMARY KEY,
	key_id          TEXT NOT NULL UNIQUE,
	account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	public_key_pem  TEXT NOT NULL,
	private_key_pem TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	fetched_at      TIMESTAMPTZ
)`,
			`CREATE INDEX keys_account ON keys (account_id)`,
			`
CREATE TABLE activities (
	id          TEXT PRIMARY KEY,
	uri         TEXT NOT NULL UNIQUE,
	type        TEXT NOT NULL,
	actor_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	object_uri  TEXT NOT NULL DEFAULT '',
	public      BOOLEAN NOT NULL DEFAULT FALSE,
	body        TEXT NOT NULL,
	unresolved  TEXT NOT NULL DEFAULT '',
	created_at  TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX activities_actor ON activities (actor_id, public, id)`,
			`
CREATE TABLE deliveries (
	id           TEXT PRIMARY KEY,
	activity_id  TEXT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
	inbox        TEXT NOT NULL,
	host         TEXT NOT NULL,
	state        TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	next_at      TIMESTAMPTZ NOT NULL,
	claimed_by   BIGINT,
	created_at   TIMESTAMPTZ NOT NULL,
	done_at      TIMESTAMPTZ,
	UNIQUE (activity_id, inbox)
)`,
			`CREATE INDEX deliveries_due ON deliveries (state, next_at)`,
			`CREATE INDEX deliveries_host ON deliveries (host, state)`,
			`
CREATE TABLE inbox_items (
	id           TEXT PRIMARY KEY,
	activity_uri TEXT NOT NULL UNIQUE,
	type         TEXT NOT NULL,
	actor_uri    TEXT NOT NULL,
	host         TEXT NOT NULL,
	body         TEXT NOT NULL,
	state        TEXT NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT NOT NULL DEFAULT '',
	next_at      TIMESTAMPTZ NOT NULL,
	claimed_by   BIGINT,
	received_at  TIMESTAMPTZ NOT NULL,
	done_at      TIMESTAMPTZ
)`,
			`CREATE INDEX inbox_items_due ON inbox_items (state, next_at)`,
			`
CREATE TABLE hosts (
	host              TEXT PRIMARY KEY,
	failures          INTEGER NOT NULL DEFAULT 0,
	first_failure_at  TIMESTAMPTZ,
	last_failure_at   TIMESTAMPTZ,
	last_error        TEXT NOT NULL DEFAULT '',
	unreachable_since TIMESTAMPTZ,
	last_success_at   TIMESTAMPTZ
)`,
			`
CREATE TABLE domain_blocks (
	domain     TEXT PRIMARY KEY,
	reason     TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL
)`,
		)
	})
}
