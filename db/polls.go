package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Poll is the poll a note carries.
type Poll struct {
	bun.BaseModel `bun:"table:polls,alias:poll"`

	PostID      string `bun:",pk"`
	Multiple    bool   // several choices allowed
	HideTotals  bool   // results shown once it has ended
	EndsAt      time.Time
	VotersCount int
	ClosedAt    time.Time     `bun:",nullzero"` // when the node saw it end
	Options     []*PollOption `bun:"rel:has-many,join:post_id=post_id"`
	// Set by the domain for a reader: the positions they chose.
	Chosen []int `bun:"-"`
}

// Ended tells whether the poll has ended at now.
func (p *Poll) Ended(now time.Time) bool { return !now.Before(p.EndsAt) }

// PollOption is one answer of a poll, with its votes.
type PollOption struct {
	bun.BaseModel `bun:"table:poll_options,alias:po"`

	PostID     string `bun:",pk"`
	Position   int    `bun:",pk"`
	Title      string
	VotesCount int
}

// PollVote is one choice of a voter.
type PollVote struct {
	bun.BaseModel `bun:"table:poll_votes,alias:pv"`

	ID        string `bun:",pk"`
	PostID    string
	AccountID string
	Choice    int
	URI       string `bun:",nullzero"`
	CreatedAt time.Time
}

// InsertPoll stores a poll with its options.
func (d *DB) InsertPoll(ctx context.Context, p *Poll) error {
	return d.InTx(ctx, func(tx *DB) error {
		if _, err := tx.q(ctx).NewInsert().Model(p).Exec(ctx); err != nil {
			return wrap(err, "insert poll")
		}
		for i, o := range p.Options {
			o.PostID, o.Position = p.PostID, i
		}
		_, err := tx.q(ctx).NewInsert().Model(&p.Options).Exec(ctx)
		return wrap(err, "insert poll options")
	})
}

// PollsOf loads the polls of posts, with their options in order, by post id.
func (d *DB) PollsOf(ctx context.Context, postIDs []string) (map[string]*Poll, error) {
	out := map[string]*Poll{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var polls []*Poll
	err := d.q(ctx).NewSelect().Model(&polls).
		Relation("Options", func(q *bun.SelectQuery) *bun.SelectQuery { return q.OrderExpr("po.position") }).
		Where("poll.post_id IN (?)", bun.In(postIDs)).Scan(ctx)
	for _, p := range polls {
		out[p.PostID] = p
	}
	return out, wrap(err, "polls of posts")
}

// ChoicesOf returns the positions accountID chose in the polls of posts,
// by post id.
func (d *DB) ChoicesOf(ctx context.Context, postIDs []string, accountID string) (map[string][]int, error) {
	out := map[string][]int{}
	if len(postIDs) == 0 || accountID == "" {
		return out, nil
	}
	var votes []*PollVote
	err := d.q(ctx).NewSelect().Model(&votes).Column("post_id", "choice").
		Where("post_id IN (?)", bun.In(postIDs)).Where("account_id = ?", accountID).
		OrderExpr("choice").Scan(ctx)
	for _, v := range votes {
		out[v.PostID] = append(out[v.PostID], v.Choice)
	}
	return out, wrap(err, "choices in polls")
}

// InsertPollVotes records one voter's choices in a poll and counts them: a
// vote per chosen option, one voter more. A second vote of the same voter
// is ErrConflict — unless more is set, for a choice added to a vote (a
// remote voter's choices in a poll of several come one by one): the same
// voter is then counted once. A choice made already is ErrConflict.
func (d *DB) InsertPollVotes(ctx context.Context, votes []*PollVote, more bool) error {
	if len(votes) == 0 {
		return nil
	}
	return d.InTx(ctx, func(tx *DB) error {
		// The poll's row first: a lock that makes a voter's second vote,
		// sent at the same time, wait for the first and see it.
		if _, err := tx.q(ctx).NewUpdate().Model((*Poll)(nil)).Set("voters_count = voters_count").
			Where("post_id = ?", votes[0].PostID).Exec(ctx); err != nil {
			return wrap(err, "lock poll")
		}
		n, err := tx.q(ctx).NewSelect().Model((*PollVote)(nil)).
			Where("post_id = ?", votes[0].PostID).Where("account_id = ?", votes[0].AccountID).Count(ctx)
		if err != nil {
			return wrap(err, "votes of a voter")
		}
		if n > 0 && !more {
			return ErrConflict
		}
		if _, err := tx.q(ctx).NewInsert().Model(&votes).Exec(ctx); err != nil {
			return wrap(err, "insert votes")
		}
		choices := make([]int, len(votes))
		for i, v := range votes {
			choices[i] = v.Choice
		}
		if _, err := tx.q(ctx).NewUpdate().Model((*PollOption)(nil)).Set("votes_count = votes_count + 1").
			Where("post_id = ?", votes[0].PostID).Where("position IN (?)", bun.In(choices)).Exec(ctx); err != nil {
			return wrap(err, "count votes")
		}
		if n > 0 {
			return nil // counted already
		}
		_, err = tx.q(ctx).NewUpdate().Model((*Poll)(nil)).Set("voters_count = voters_count + 1").
			Where("post_id = ?", votes[0].PostID).Exec(ctx)
		return wrap(err, "count voters")
	})
}

// SetPollCounts records the counts a remote poll's server published.
func (d *DB) SetPollCounts(ctx context.Context, p *Poll) error {
	return d.InTx(ctx, func(tx *DB) error {
		if _, err := tx.q(ctx).NewUpdate().Model(p).Column("voters_count", "ends_at").WherePK().Exec(ctx); err != nil {
			return wrap(err, "poll counts")
		}
		for _, o := range p.Options {
			if _, err := tx.q(ctx).NewUpdate().Model(o).Column("votes_count").WherePK().Exec(ctx); err != nil {
				return wrap(err, "poll option count")
			}
		}
		return nil
	})
}

// PollVotesOfAccount lists an account's votes, by poll then choice.
func (d *DB) PollVotesOfAccount(ctx context.Context, accountID string) ([]*PollVote, error) {
	var out []*PollVote
	err := d.q(ctx).NewSelect().Model(&out).Where("account_id = ?", accountID).OrderExpr("post_id, choice").Scan(ctx)
	return out, wrap(err, "poll votes of account")
}

// PollsToClose returns the ids of the posts whose polls ended by now and
// were not closed yet.
func (d *DB) PollsToClose(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := d.q(ctx).NewSelect().Model((*Poll)(nil)).Column("post_id").
		Where("closed_at IS NULL AND ends_at <= ?", now).OrderExpr("ends_at").Limit(int64(limit)).Scan(ctx, &ids)
	return ids, wrap(err, "polls to close")
}

// ClaimPollClose marks the poll of postID closed at now, and tells whether
// this call did (another worker may have).
func (d *DB) ClaimPollClose(ctx context.Context, postID string, now time.Time) (bool, error) {
	return d.claimOnce(ctx, (*Poll)(nil), "closed_at", postID, now)
}

// claimOnce sets column to now in the row of postID of model's table while
// it is unset, and tells whether this call did: work that comes with time
// is done once, by whichever worker gets there first.
func (d *DB) claimOnce(ctx context.Context, model any, column, postID string, now time.Time) (bool, error) {
	res, err := d.q(ctx).NewUpdate().Model(model).Set("? = ?", bun.Ident(column), now).
		Where("post_id = ? AND ? IS NULL", postID, bun.Ident(column)).Exec(ctx)
	if err != nil {
		return false, wrap(err, "claim "+column)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "claim "+column)
}

// LocalVoterIDs returns the local accounts that voted in the poll of postID.
func (d *DB) LocalVoterIDs(ctx context.Context, postID string) ([]string, error) {
	var ids []string
	err := d.q(ctx).NewSelect().Model((*PollVote)(nil)).ColumnExpr("DISTINCT account_id").
		Where("post_id = ?", postID).Where("account_id IN (SELECT id FROM accounts WHERE domain = '')").Scan(ctx, &ids)
	return ids, wrap(err, "local voters")
}
