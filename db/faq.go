package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// FAQEntry is the place of a post of kind faq in its space's FAQ.
type FAQEntry struct {
	bun.BaseModel `bun:"table:faq_entries,alias:fq"`

	PostID   string `bun:",pk"`
	Category string // a free label; "" for entries without one
	Position int    `bun:",notnull"` // in the whole FAQ, 0..n-1
}

// FAQProposal is a question a member proposed for a space's FAQ.
type FAQProposal struct {
	bun.BaseModel `bun:"table:faq_proposals,alias:fp"`

	ID             string `bun:",pk"`
	SpaceID        string
	AccountID      string
	Question       string
	Language       string
	CreatedAt      time.Time
	AnsweredPostID string    `bun:",nullzero"` // the entry that answered it
	DismissedAt    time.Time `bun:",nullzero"`

	Account *Account `bun:"rel:belongs-to,join:account_id=id"`
}

// faqOf selects the live FAQ entries of a space.
const faqOf = "fq.post_id IN (SELECT id FROM posts WHERE space_id = ? AND kind = 'faq' AND deleted_at IS NULL)"

// LockSpace locks a space until the transaction ends, for changes that
// must see each other: FAQ entries placed, moved or removed at the same
// time (their positions stay dense), wiki pages arriving at once (a page
// finds the parent that arrived just before it, or is adopted by it). The
// space's row is the lock (SQLite's writers are one at a time anyway).
func (d *DB) LockSpace(ctx context.Context, spaceID string) error {
	_, err := d.q(ctx).NewUpdate().Model((*Space)(nil)).Set("tools_off = tools_off").
		Where("account_id = ?", spaceID).Exec(ctx)
	return wrap(err, "lock space")
}

// CountFAQ counts the live entries of a space's FAQ.
func (d *DB) CountFAQ(ctx context.Context, spaceID string) (int, error) {
	n, err := d.q(ctx).NewSelect().Model((*FAQEntry)(nil)).Where(faqOf, spaceID).Count(ctx)
	return int(n), wrap(err, "count faq")
}

// shiftFAQ adds by to the positions from..to (inclusive; to < 0: no end) of
// a space's entries.
func (d *DB) shiftFAQ(ctx context.Context, spaceID string, from, to, by int) error {
	q := d.q(ctx).NewUpdate().Model((*FAQEntry)(nil)).Set("position = position + ?", by).
		Where(faqOf, spaceID).Where("position >= ?", from)
	if to >= 0 {
		q = q.Where("position <= ?", to)
	}
	_, err := q.Exec(ctx)
	return wrap(err, "shift faq")
}

// InsertFAQEntry stores e at its position in the FAQ of spaceID, moving
// the entries from there one down. The caller holds LockSpace and gives a
// position from 0 to the count of entries.
func (d *DB) InsertFAQEntry(ctx context.Context, spaceID string, e *FAQEntry) error {
	if err := d.shiftFAQ(ctx, spaceID, e.Position, -1, 1); err != nil {
		return err
	}
	_, err := d.q(ctx).NewInsert().Model(e).Exec(ctx)
	return wrap(err, "insert faq entry")
}

// MoveFAQEntry moves e to position (0..n-1), the entries between its old
// and new places closing up. The caller holds LockSpace.
func (d *DB) MoveFAQEntry(ctx context.Context, spaceID string, e *FAQEntry, position int) error {
	var err error
	switch {
	case position < e.Position:
		err = d.shiftFAQ(ctx, spaceID, position, e.Position-1, 1)
	case position > e.Position:
		err = d.shiftFAQ(ctx, spaceID, e.Position+1, position, -1)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	e.Position = position
	_, err = d.q(ctx).NewUpdate().Model(e).WherePK().Column("position").Exec(ctx)
	return wrap(err, "move faq entry")
}

// RemoveFAQEntry takes the entry of postID out of its space's FAQ, the
// entries after it closing up. The caller holds LockSpace.
func (d *DB) RemoveFAQEntry(ctx context.Context, spaceID, postID string) error {
	e := new(FAQEntry)
	if err := d.q(ctx).NewSelect().Model(e).Where("post_id = ?", postID).Scan(ctx); err != nil {
		return wrap(err, "remove faq entry")
	}
	if _, err := d.q(ctx).NewDelete().Model(e).WherePK().Exec(ctx); err != nil {
		return wrap(err, "remove faq entry")
	}
	return d.shiftFAQ(ctx, spaceID, e.Position+1, -1, -1)
}

// SetFAQCategory writes an entry's category.
func (d *DB) SetFAQCategory(ctx context.Context, e *FAQEntry) error {
	_, err := d.q(ctx).NewUpdate().Model(e).WherePK().Column("category").Exec(ctx)
	return wrap(err, "set faq category")
}

// FAQEntriesOf loads the FAQ rows of posts, by post id.
func (d *DB) FAQEntriesOf(ctx context.Context, postIDs []string) (map[string]*FAQEntry, error) {
	out := map[string]*FAQEntry{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var rows []*FAQEntry
	err := d.q(ctx).NewSelect().Model(&rows).Where("fq.post_id IN (?)", bun.In(postIDs)).Scan(ctx)
	for _, e := range rows {
		out[e.PostID] = e
	}
	return out, wrap(err, "faq entries of posts")
}

// ListFAQ returns the entries of a space's FAQ that r may see, by
// position, without their FAQ rows (FAQEntriesOf loads them).
func (d *DB) ListFAQ(ctx context.Context, r Reader, spaceID string, limit int) ([]*Post, error) {
	var out []*Post
	q := d.postQuery(ctx, &out).
		Join("JOIN faq_entries AS fq ON fq.post_id = post.id").
		Where("post.kind = 'faq' AND post.space_id = ?", spaceID).
		OrderExpr("fq.position ASC, post.id ASC").Limit(int64(limit))
	err := visiblePosts(q, r).Scan(ctx)
	return out, wrap(err, "list faq")
}

// InsertFAQProposal stores a proposal.
func (d *DB) InsertFAQProposal(ctx context.Context, p *FAQProposal) error {
	_, err := d.q(ctx).NewInsert().Model(p).Exec(ctx)
	return wrap(err, "insert faq proposal")
}

// FAQProposalByID loads a proposal of a space, with its proposer.
func (d *DB) FAQProposalByID(ctx context.Context, spaceID, id string) (*FAQProposal, error) {
	p := new(FAQProposal)
	err := d.q(ctx).NewSelect().Model(p).Relation("Account").
		Where("fp.id = ? AND fp.space_id = ?", id, spaceID).Scan(ctx)
	return p, wrap(err, "faq proposal")
}

// CloseFAQProposal records that a proposal was answered or dismissed, if
// it was open still; it tells whether this call closed it.
func (d *DB) CloseFAQProposal(ctx context.Context, p *FAQProposal) (bool, error) {
	res, err := d.q(ctx).NewUpdate().Model(p).WherePK().Column("answered_post_id", "dismissed_at").
		Where("answered_post_id IS NULL AND dismissed_at IS NULL").Exec(ctx)
	if err != nil {
		return false, wrap(err, "close faq proposal")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "close faq proposal")
}

// DeleteOpenFAQProposal removes a proposal that is still open (its
// proposer withdrew it); it tells whether this call removed it.
func (d *DB) DeleteOpenFAQProposal(ctx context.Context, p *FAQProposal) (bool, error) {
	res, err := d.q(ctx).NewDelete().Model(p).WherePK().
		Where("answered_post_id IS NULL AND dismissed_at IS NULL").Exec(ctx)
	if err != nil {
		return false, wrap(err, "delete faq proposal")
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "delete faq proposal")
}

// FAQProposalFilter selects proposals of a space, oldest first.
type FAQProposalFilter struct {
	SpaceID   string
	Open      bool   // neither answered nor dismissed
	AccountID string // one proposer's
	Limit     int
}

// ListFAQProposals returns the proposals f selects, with their proposers.
func (d *DB) ListFAQProposals(ctx context.Context, f FAQProposalFilter) ([]*FAQProposal, error) {
	var out []*FAQProposal
	q := d.q(ctx).NewSelect().Model(&out).Relation("Account").Where("fp.space_id = ?", f.SpaceID).
		OrderExpr("fp.created_at ASC, fp.id ASC").Limit(int64(f.Limit))
	if f.Open {
		q = q.Where("fp.answered_post_id IS NULL AND fp.dismissed_at IS NULL")
	}
	if f.AccountID != "" {
		q = q.Where("fp.account_id = ?", f.AccountID)
	}
	err := q.Scan(ctx)
	return out, wrap(err, "list faq proposals")
}

// FAQProposalsOfAccount lists an account's proposals in every space,
// oldest first.
func (d *DB) FAQProposalsOfAccount(ctx context.Context, accountID string) ([]*FAQProposal, error) {
	var out []*FAQProposal
	err := d.q(ctx).NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("created_at, id").Scan(ctx)
	return out, wrap(err, "faq proposals of account")
}
