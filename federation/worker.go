package federation

import (
	"context"
	"crypto"
	"strings"
)

// Run is the worker of a process: the queue's (package queue), which calls
// back into the protocol to process received activities, sign deliveries
// and resolve new recipients.
func (f *Federation) Run(ctx context.Context) error { return f.queue.Run(ctx) }

// RunUntilIdle works until nothing is due: see queue.Queue.RunUntilIdle.
func (f *Federation) RunUntilIdle(ctx context.Context) (int, error) { return f.queue.RunUntilIdle(ctx) }

// signer returns the key that signs an actor's deliveries: the queue's
// Signer.
func (f *Federation) signer(ctx context.Context, actorID string) (crypto.PrivateKey, string, error) {
	actor, err := f.rows.AccountByID(ctx, actorID)
	if err != nil {
		return nil, "", err
	}
	return f.signingKey(ctx, actor)
}

// resolveRecipients fetches the actors an activity was addressed to that the
// node did not know when it was written, and queues their deliveries. An
// actor that cannot be fetched is given up (logged): the activity reaches
// everyone else.
func (f *Federation) resolveRecipients(ctx context.Context) (int, error) {
	acts, err := f.store.ActivitiesUnresolved(ctx, 20)
	if err != nil || len(acts) == 0 {
		return 0, err
	}
	for _, act := range acts {
		var inboxes []string
		for _, iri := range strings.Split(act.Unresolved, "\n") {
			a, err := f.ResolveActor(ctx, iri)
			if err != nil {
				f.log.Warn("recipient cannot be resolved", "recipient", iri, "activity", act.URI, "err", err)
				continue
			}
			if in := inboxOf(a, false); in != "" {
				inboxes = append(inboxes, in)
			}
		}
		err := f.store.Tx(ctx, func(ctx context.Context) error {
			if err := f.queue.Enqueue(ctx, act, inboxes); err != nil {
				return err
			}
			return f.store.ClearUnresolved(ctx, act.ID)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(acts), nil
}
