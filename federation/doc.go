// Package federation connects the node to the fediverse over ActivityPub:
// WebFinger, host-meta and NodeInfo discovery, actor and collection
// endpoints, whose keys sign what (key fetching and storing), the inbox
// endpoints and the handlers of received activities, the transactional
// outbox. Two packages lie below it: federation/queue holds the durable
// jobs — received activities and deliveries, their worker, retries and
// outcomes — and calls back into this package for what a job means (see
// Federation.dispatch, signer, policy, resolveRecipients); what crosses the
// wire without meaning anything — the guarded HTTP client, HTTP signatures,
// key formats, the key cache — is package federation/transport.
//
// It is one more door into package spaces: a remote actor's Follow becomes
// spaces.FollowAccount with the remote account as the one who acts, exactly
// as a member's click would. In the other direction it listens to the
// domain's events and turns them into activities, written in the same
// transaction as the change, which the event's context carries (so a change
// and its announcement commit or roll back together), and delivered later by
// jobs that survive restarts. Domain rows are read through spaces.Rows alone;
// the protocol's own rows (keys, sent activities, policy) through its store.
//
// Extension points for the rest of the product (spaces as Groups, posts):
// Handle registers an inbox handler for an activity type, Send enqueues an
// activity to recipients in the transaction its context carries, and
// ExpandCollection teaches delivery a new kind of collection (a space's members).
package federation
