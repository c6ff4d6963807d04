package federation

import (
	"context"
	"errors"

	"github.com/ruche-social/ruche/activitystreams"
	"github.com/ruche-social/ruche/db"
	"github.com/ruche-social/ruche/spaces"
)

// Polls, as Mastodon federates them: a note with a poll is a Question
// (oneOf or anyOf options, endTime, votersCount); a vote is a Create of a
// Note whose name is the option chosen, in reply to the Question, sent to
// its author alone — one per choice; the author's server sends the new
// counts in an Update of the Question.

// questionOf is the Question of a post's poll, or nil. Counts the author
// hides until the end are published as zero until then.
func (f *Federation) questionOf(p *spaces.Post) *activitystreams.Question {
	poll := p.Poll
	if poll == nil {
		return nil
	}
	ended := f.spaces.PollEnded(poll)
	shown := !poll.HideTotals || ended
	q := &activitystreams.Question{Multiple: poll.Multiple, EndTime: poll.EndsAt, Closed: ended}
	if shown {
		q.Voters = poll.VotersCount
	}
	for _, o := range poll.Options {
		opt := activitystreams.QuestionOption{Name: o.Title}
		if shown {
			opt.Votes = o.VotesCount
		}
		q.Options = append(q.Options, opt)
	}
	return q
}

// pollInput is what the domain takes of a remote poll.
func pollInput(q *activitystreams.Question) *spaces.PollInput {
	if q == nil {
		return nil
	}
	in := &spaces.PollInput{Multiple: q.Multiple, EndsAt: q.EndTime, Voters: q.Voters}
	for _, o := range q.Options {
		in.Options = append(in.Options, cutRunes(o.Name, spaces.MaxPollOptionLength))
		in.Votes = append(in.Votes, o.Votes)
	}
	return in
}

// onVote: a remote voter's choice in a poll of this node.
func (f *Federation) onVote(ctx context.Context, r *Received, v *activitystreams.Vote) error {
	if v.Voter != r.From.URI {
		return &spaces.Error{Kind: spaces.KindForbidden, Code: "not_voter", Message: "a vote is sent by its voter"}
	}
	p, err := f.postByIRI(ctx, v.Question)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !p.Local) {
		return ErrIgnored // a poll this node does not hold, or not its own
	}
	if err != nil {
		return err
	}
	polls, err := f.rows.PollsOf(ctx, []string{p.ID})
	if err != nil {
		return err
	}
	poll := polls[p.ID]
	if poll == nil {
		return ErrIgnored
	}
	for i, o := range poll.Options {
		if o.Title == v.Name {
			_, err := f.spaces.ReceiveVote(withReceived(ctx, r), r.From, p.ID, i, v.ID)
			if c := codeOf(err); c == "already_voted" {
				return nil // received twice
			}
			return err
		}
	}
	return &spaces.Error{Kind: spaces.KindInvalid, Code: "choices_invalid", Message: "no such option in this poll"}
}

// onVoted: a vote in a poll. In a poll of this node, its audience gets the
// new counts (unless they are hidden until the end); a local member's vote
// in a remote poll goes to the poll's author, one Note per choice.
func (f *Federation) onVoted(ctx context.Context, head *spaces.Post, voter *spaces.Account, votes []*spaces.PollVote) error {
	p, err := f.rows.PostByID(ctx, head.ID) // the event's post has no parts
	if err != nil {
		return err
	}
	p.Poll = head.Poll
	if p.Local {
		if p.Poll.HideTotals {
			return nil
		}
		return f.onPostUpdated(ctx, p)
	}
	if !voter.IsLocal() {
		return nil
	}
	for _, v := range votes {
		note := map[string]any{"id": f.ActorIRI(voter) + "#votes/" + v.ID, "type": "Note",
			"name": p.Poll.Options[v.Choice].Title, "inReplyTo": p.URI,
			"attributedTo": f.ActorIRI(voter), "to": []string{p.Author.URI}}
		if _, err := f.Send(ctx, voter, activitystreams.Activity{Type: "Create", Object: note, To: []string{p.Author.URI}}, p.Author.URI); err != nil {
			return err
		}
	}
	return nil
}
