package spaces

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ruche-social/ruche/db"
)

// Polls. A note or a comment may carry a poll: 2 to 10 options, one choice
// or several, an end; its results are shown as votes come, or only once it
// has ended. Members who may see the post vote once, before the end; its
// author does not vote. A remote poll arrives with the counts its server
// published, which replace the node's.

// Limits of a poll.
const (
	MinPollOptions      = 2
	MaxPollOptions      = 10
	MaxPollOptionLength = 100 // characters
	MinPollDuration     = 5 * time.Minute
	MaxPollDuration     = 31 * 24 * time.Hour
)

// PollInput is the poll a new post carries.
type PollInput struct {
	Options    []string
	Multiple   bool          // several choices allowed
	ExpiresIn  time.Duration // local polls: how long it is open
	HideTotals bool          // results shown once it has ended

	// Remote polls: its end, and the counts its server published (votes
	// by option, voters).
	EndsAt time.Time
	Votes  []int
	Voters int
}

// newPoll checks in and makes the poll of post p.
func (s *Service) newPoll(p *Post, in *PollInput, remote bool) (*Poll, error) {
	if p.Kind != KindNote {
		return nil, invalid("poll", "poll_not_allowed", "only notes and comments carry a poll")
	}
	if (!remote && len(in.Options) < MinPollOptions) || len(in.Options) == 0 || len(in.Options) > 2*MaxPollOptions ||
		(!remote && len(in.Options) > MaxPollOptions) {
		return nil, invalid("poll", "poll_options_count", "a poll has 2 to 10 options")
	}
	poll := &Poll{PostID: p.ID, Multiple: in.Multiple, HideTotals: in.HideTotals}
	seen := map[string]bool{}
	for i, title := range in.Options {
		title = strings.Join(strings.Fields(title), " ")
		if title == "" || len([]rune(title)) > MaxPollOptionLength {
			return nil, invalid("poll", "poll_option_invalid", "each option has 1 to 100 characters")
		}
		if seen[strings.ToLower(title)] && !remote {
			return nil, invalid("poll", "poll_option_repeated", "each option appears once")
		}
		seen[strings.ToLower(title)] = true
		o := &PollOption{Title: title}
		if remote && i < len(in.Votes) {
			o.VotesCount = max(in.Votes[i], 0)
		}
		poll.Options = append(poll.Options, o)
	}
	if remote {
		poll.EndsAt, poll.VotersCount = in.EndsAt.UTC().Truncate(time.Microsecond), max(in.Voters, 0)
		if poll.EndsAt.IsZero() {
			poll.EndsAt = p.CreatedAt.Add(MaxPollDuration)
		}
		return poll, nil
	}
	if in.ExpiresIn < MinPollDuration || in.ExpiresIn > MaxPollDuration {
		return nil, invalid("poll", "poll_duration", "a poll is open from 5 minutes to 31 days")
	}
	poll.EndsAt = p.CreatedAt.Add(in.ExpiresIn)
	return poll, nil
}

// Vote records by's choices (positions of options) in the poll of a post
// they may see, and returns the poll with its counts and their choices.
func (s *Service) Vote(ctx context.Context, by *Account, postID string, choices []int) (*Poll, error) {
	return s.vote(ctx, by, postID, choices, "")
}

// ReceiveVote records a remote voter's choice in a poll of this node, sent
// as uri. In a poll of several choices, each comes on its own: a choice
// added to the voter's earlier ones is counted, the voter once.
func (s *Service) ReceiveVote(ctx context.Context, by *Account, postID string, choice int, uri string) (*Poll, error) {
	if by.IsLocal() || uri == "" {
		return nil, invalid("uri", "remote_vote_fields", "a remote vote comes with its IRI")
	}
	return s.vote(ctx, by, postID, []int{choice}, uri)
}

func (s *Service) vote(ctx context.Context, by *Account, postID string, choices []int, uri string) (*Poll, error) {
	if !canAct(by) {
		return nil, errUnauthenticated
	}
	var out *Poll
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, err := s.visiblePost(ctx, tx, by, postID, tx.VisiblePostHead)
		if err != nil {
			return err
		}
		polls, err := tx.PollsOf(ctx, []string{p.ID})
		if err != nil {
			return err
		}
		poll := polls[p.ID]
		switch {
		case poll == nil:
			return notFound("poll_not_found", "this post has no poll")
		case poll.Ended(s.now()):
			return conflict("choices", "poll_ended", "this poll has ended")
		case p.AccountID == by.ID:
			return forbidden("own_poll", "the author of a poll does not vote in it")
		}
		if err := checkChoices(poll, choices); err != nil {
			return err
		}
		now := s.now()
		var votes []*PollVote
		for _, c := range choices {
			votes = append(votes, &PollVote{ID: newID(), PostID: p.ID, AccountID: by.ID, Choice: c, URI: uri, CreatedAt: now})
		}
		more := uri != "" && poll.Multiple
		if err := tx.InsertPollVotes(ctx, votes, more); errors.Is(err, db.ErrConflict) {
			return conflict("choices", "already_voted", "you voted in this poll already")
		} else if err != nil {
			return err
		}
		if polls, err = tx.PollsOf(ctx, []string{p.ID}); err != nil {
			return err
		}
		out = polls[p.ID]
		chosen, err := tx.ChoicesOf(ctx, []string{p.ID}, by.ID)
		if err != nil {
			return err
		}
		out.Chosen = chosen[p.ID]
		p.Poll = out
		return s.emit(ctx, tx, PollVoted{Post: p, Voter: by, Votes: votes})
	})
	if err != nil {
		return nil, internal("vote", err)
	}
	return out, nil
}

// UpdateRemotePoll records the counts the server of a remote poll
// published (by: its author): votes by option, voters, its end. A vote is
// never taken back, so a count only grows: an Update delivered after a
// newer one changes nothing.
func (s *Service) UpdateRemotePoll(ctx context.Context, by *Account, postID string, in PollInput) error {
	err := s.db.InTx(ctx, func(tx *db.DB) error {
		p, err := tx.PostByID(ctx, postID)
		if err != nil {
			return err
		}
		if p.Local || p.AccountID != by.ID {
			return forbidden("not_author", "a poll's counts come from its author's server")
		}
		polls, err := tx.PollsOf(ctx, []string{p.ID})
		if err != nil || polls[p.ID] == nil {
			return err
		}
		poll := polls[p.ID]
		for i, o := range poll.Options {
			if i < len(in.Votes) {
				o.VotesCount = max(in.Votes[i], o.VotesCount)
			}
		}
		poll.VotersCount = max(in.Voters, poll.VotersCount)
		if !in.EndsAt.IsZero() {
			poll.EndsAt = in.EndsAt.UTC().Truncate(time.Microsecond)
		}
		return tx.SetPollCounts(ctx, poll)
	})
	if err != nil {
		return internal("update remote poll", err)
	}
	return nil
}

// checkChoices tells whether choices are a valid vote in poll: at least
// one, each an option once, a single one unless the poll allows several.
func checkChoices(poll *Poll, choices []int) error {
	errChoices := invalid("choices", "choices_invalid", "choose one of the poll's options (several if it allows)")
	if len(choices) == 0 || (!poll.Multiple && len(choices) > 1) {
		return errChoices
	}
	seen := map[int]bool{}
	for _, c := range choices {
		if c < 0 || c >= len(poll.Options) || seen[c] {
			return errChoices
		}
		seen[c] = true
	}
	return nil
}

// withPolls attaches to posts the polls they carry.
func (s *Service) withPolls(ctx context.Context, r *db.DB, posts []*Post) error {
	ids := make([]string, len(posts))
	for i, p := range posts {
		ids[i] = p.ID
	}
	polls, err := r.PollsOf(ctx, ids)
	if err != nil {
		return err
	}
	for _, p := range posts {
		p.Poll = polls[p.ID]
	}
	return nil
}

// PollChoices returns, by post id, the choices viewer made in the polls of
// posts (attached already).
func (s *Service) PollChoices(ctx context.Context, viewer *Account, posts []*Post) (map[string][]int, error) {
	var ids []string
	for _, p := range posts {
		if p.Poll != nil {
			ids = append(ids, p.ID)
		}
	}
	if !canAct(viewer) || len(ids) == 0 {
		return map[string][]int{}, nil
	}
	out, err := s.db.ChoicesOf(ctx, ids, viewer.ID)
	if err != nil {
		return nil, internal("poll choices", err)
	}
	return out, nil
}

// PollState is what a reader sees and may do of a post's poll.
type PollState struct {
	Ended   bool
	Totals  bool // the counts are shown to the reader
	CanVote bool
}

// PollStateFor says what viewer, who chose chosen already, sees and may do
// of the poll of p: the counts always for its author, for everyone once it
// has ended, and at any time unless it hides them; a vote for a member who
// sees it, is not its author, has not voted, before its end.
func (s *Service) PollStateFor(viewer *Account, p *Post, chosen []int) PollState {
	if p.Poll == nil {
		return PollState{}
	}
	ended := s.PollEnded(p.Poll)
	author := viewer != nil && viewer.ID == p.AccountID
	return PollState{
		Ended:   ended,
		Totals:  !p.Poll.HideTotals || ended || author,
		CanVote: canAct(viewer) && !author && !ended && len(chosen) == 0 && !p.IsDeleted(),
	}
}

// PollEnded tells whether poll has ended.
func (s *Service) PollEnded(poll *Poll) bool { return poll.Ended(s.now()) }

// ClosePolls closes the polls that have ended: their local voters and
// author are told, and listeners publish the final results (those hidden
// until the end among them). The node calls it every minute, from every
// worker: each poll is claimed by one. It returns how many it closed.
func (s *Service) ClosePolls(ctx context.Context) (int, error) {
	now := s.now()
	ids, err := s.db.PollsToClose(ctx, now, 100)
	if err != nil {
		return 0, internal("close polls", err)
	}
	return s.eachClaimed(ctx, "close polls", ids, now, (*db.DB).ClaimPollClose, func(tx *db.DB, p *Post) error {
		voters, err := tx.LocalVoterIDs(ctx, p.ID)
		if err != nil {
			return err
		}
		if p.Local {
			voters = append(voters, p.AccountID) // its author learns the results too
		}
		// notifyIDs leaves out the actor: the author, here, is the one told
		if err := s.notifyIDs(ctx, tx, NotifyPollEnded, Console, p, p.Space, dedupe(voters)); err != nil {
			return err
		}
		return s.emit(ctx, tx, PollEnded{Post: p})
	})
}
