// Live updates as apps get them: masto.js's streaming client over the
// node's WebSocket (the address /api/v2/instance gives), with the token in
// the WebSocket protocol header as Mastodon's own apps send it.

import assert from "node:assert/strict";
import { before, test } from "node:test";
import { createStreamingAPIClient } from "masto";
import { env, signIn } from "./lib.mjs"; // first: it completes Node 20 for masto.js

let alice, carol, aliceToken, streamingUrl, list;

before(async () => {
  const e = env();
  const signed = await signIn({ scopes: "read write follow" });
  alice = signed.client;
  aliceToken = signed.token.accessToken;
  carol = (await signIn({ username: e.username2, scopes: "read write follow" })).client;
  streamingUrl = (await alice.v2.instance.fetch()).configuration.urls.streaming;
  const space = await carol.v1.accounts.lookup({ acct: e.space });
  await carol.v1.accounts.$select(space.id).follow(); // joins it (again: idempotent)
  [list] = await alice.v1.lists.list();
});

/**
 * Reads one subscription as an app does, with one iterator for its whole
 * life (masto.js unsubscribes when an iteration ends): waitFor(matches)
 * returns the next event that matches, within a generous time.
 */
function reader(subscription) {
  const it = subscription[Symbol.asyncIterator]();
  let pending; // a read that outlived its wait is the next one's: no event is lost
  return async function waitFor(matches, what, ms = 20000) {
    const deadline = Date.now() + ms;
    for (;;) {
      let timer;
      const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} came`)), Math.max(deadline - Date.now(), 1))));
      pending ??= it.next();
      const got = await Promise.race([pending, late]).finally(() => clearTimeout(timer));
      pending = undefined;
      if (got.done) throw new Error(`the stream ended before ${what}`);
      if (matches(got.value)) return got.value;
    }
  };
}

/**
 * Waits until the server has taken the subscription: alice posts in the
 * space until one of her posts comes back on the stream.
 */
async function live(waitFor) {
  for (let i = 0; i < 10; i++) {
    await alice.v1.statuses.create({ status: `ping ${i} @${env().space}` });
    try {
      return await waitFor((e) => e.event === "update" && e.payload.content.includes("ping"), "a ping", 2000);
    } catch {
      // not subscribed yet: ping again
    }
  }
  throw new Error("the subscription never went live");
}

test("the user stream brings a new post of a joined space, a mention and a deletion", async () => {
  const streaming = createStreamingAPIClient({ streamingApiUrl: streamingUrl, accessToken: aliceToken, retry: false });
  try {
    const waitFor = reader(streaming.user.subscribe());
    await live(waitFor);

    const posted = await carol.v1.statuses.create({ status: `Un atelier vélo jeudi @${env().space}` });
    const update = await waitFor((e) => e.event === "update" && e.payload.id === posted.id, "carol's post");
    assert.equal(update.payload.account.acct, env().username2);

    const mention = await carol.v1.statuses.create({ status: `@${env().username} tu viens ?`, inReplyToId: posted.id });
    const told = await waitFor((e) => e.event === "notification" && e.payload.status?.id === mention.id, "the mention");
    assert.equal(told.payload.type, "mention");

    await carol.v1.statuses.$select(posted.id).remove();
    const deleted = await waitFor((e) => e.event === "delete", "the deletion");
    assert.equal(deleted.payload, posted.id);
  } finally {
    streaming.close();
  }
});

test("the list stream brings the space's posts only", async () => {
  const streaming = createStreamingAPIClient({ streamingApiUrl: streamingUrl, accessToken: aliceToken, retry: false });
  try {
    const waitFor = reader(streaming.list.subscribe({ list: list.id }));
    await live(waitFor);

    await carol.v1.statuses.create({ status: "Sur mon profil seulement" });
    const inSpace = await carol.v1.statuses.create({ status: `Compte rendu en ligne @${env().space}` });
    const next = await waitFor((e) => e.event === "update" && !e.payload.content.includes("ping"), "a list update");
    assert.equal(next.payload.id, inSpace.id, "the profile post, written first, did not come");
  } finally {
    streaming.close();
  }
});
