// Package queue is the durable job layer of federation: the received
// activities waiting to be processed (the inbox) and the activities waiting
// to be delivered (the outbox), kept in the database so that a restart, a
// crash or a dead peer loses nothing.
//
// A Queue owns what makes jobs durable and fair, and nothing of what they
// mean: the worker lock that marks a process alive (and its renewal after
// the database restarted), claiming due jobs (FOR UPDATE SKIP LOCKED on
// PostgreSQL), running them a batch at a time under concurrency limits
// (per process and per host), the retry rules (backoff, dead, failed,
// ignored), recording outcomes one commit per batch — retried while the
// database is unavailable — the health of peer hosts (unreachable after
// repeated failures over an hour), the group-commit writer of received
// activities, and the worker loop.
//
// What the jobs mean is the protocol's, and comes in through Options as
// function values: Process handles a received activity (package federation
// parses it and runs its handler), Signer says which key signs an actor's
// deliveries, Allowed applies the federation rules, and Expand turns
// activities into deliveries before each round. The queue makes the HTTP
// request of a delivery itself, over the guarded client and the signatures
// of package transport: what it sends is opaque bytes.
//
// Imports point one way: federation imports queue; queue imports transport
// and db, never federation or spaces. The queue has its own store (store.go,
// lock.go): the SQL that claims jobs, records their outcomes, keeps host
// health and holds the worker lock runs over the *db.DB handle and its
// transactions, and nothing else in the node runs it. The job tables'
// models and migrations stay in package db with the rest of the schema, as
// do the statements that belong to other transactions or readers: a
// delivery is inserted in the protocol's transaction with the change it
// announces (transactional outbox), a domain block drops the deliveries to
// its host in its own, and the admin pages count and list jobs through
// package spaces.
package queue
