// A member's day in a Mastodon app, through masto.js: home, spaces as lists,
// posting into a space, replies, favourites, notifications and search — on
// one node, and with a member of another node who joins the space.

import assert from "node:assert/strict";
import { before, test } from "node:test";
import { env, eventually, signIn } from "./lib.mjs";

let alice, carol, bob, space, hostA;

before(async () => {
  const e = env();
  hostA = new URL(e.url).host;
  alice = (await signIn({ scopes: "read write follow" })).client;
  carol = (await signIn({ username: e.username2, scopes: "read write follow" })).client;
  bob = (await signIn({ url: e.urlB, username: e.usernameB, scopes: "read write follow" })).client;
  space = e.space;
});

const text = (status) => status.content.replace(/<[^>]+>/g, "");

test("the app reads who signed in and what the node is", async () => {
  const me = await alice.v1.accounts.verifyCredentials();
  assert.equal(me.username, env().username);
  assert.equal(me.acct, env().username);
  const instance = await alice.v2.instance.fetch();
  assert.equal(instance.domain, hostA);
  assert.match(instance.version, /Ruche/);
  assert.ok(instance.configuration.urls.streaming.startsWith("ws"));
});

test("a space is a group account, following it joins it, and it becomes a list", async () => {
  const found = await carol.v1.accounts.lookup({ acct: space });
  assert.equal(found.group, true);
  await carol.v1.accounts.$select(found.id).follow();
  const [rel] = await carol.v1.accounts.relationships.fetch({ id: [found.id] });
  assert.equal(rel.following, true);
  const lists = await carol.v1.lists.list();
  assert.deepEqual(lists.map((l) => l.title), ["Urbanisme"]);
});

test("a status mentioning a space is posted in it: its list and the members' home show it", async () => {
  const posted = await alice.v1.statuses.create({ status: `Le PLU est en ligne @${space} #plu`, language: "fr" });
  const [list] = await carol.v1.lists.list();
  const inList = await carol.v1.timelines.list.$select(list.id).list();
  assert.equal(inList[0].id, posted.id);
  const home = await carol.v1.timelines.home.list();
  assert.equal(home[0].id, posted.id);
  assert.equal(home[0].account.acct, env().username);
  const tagged = await carol.v1.timelines.tag.$select("plu").list();
  assert.equal(tagged[0].id, posted.id);
});

test("the home timeline pages back through the Link header", async () => {
  for (const n of [1, 2, 3]) await carol.v1.statuses.create({ status: `note ${n}` });
  const seen = [];
  for await (const page of carol.v1.timelines.home.list({ limit: 2 })) {
    seen.push(...page.map((s) => s.id));
    if (seen.length >= 4) break;
  }
  assert.equal(new Set(seen).size, seen.length, "no status twice");
  assert.deepEqual([...seen].sort().reverse(), seen, "newest first");
});

test("replies, context, favourites and notifications", async () => {
  const root = await alice.v1.statuses.create({ status: `Qui a un modèle de convention ? @${space}` });
  const reply = await carol.v1.statuses.create({ status: "Moi, je vous l'envoie", inReplyToId: root.id });
  assert.equal(reply.inReplyToId, root.id);
  const context = await alice.v1.statuses.$select(root.id).context.fetch();
  assert.deepEqual(context.descendants.map((s) => s.id), [reply.id]);

  const fav = await alice.v1.statuses.$select(reply.id).favourite();
  assert.equal(fav.favourited, true);
  assert.equal(fav.favouritesCount, 1);

  const notifications = await carol.v1.notifications.list();
  const liked = notifications.find((n) => n.type === "favourite" && n.status?.id === reply.id);
  assert.ok(liked, `carol is told alice liked her reply: ${JSON.stringify(notifications.map((n) => n.type))}`);
  assert.equal(liked.account.acct, env().username);
  const replied = (await alice.v1.notifications.list()).find((n) => n.type === "mention" && n.status?.id === reply.id);
  assert.ok(replied, "alice is told of the reply");
});

test("search finds statuses, people, spaces and hashtags", async () => {
  const res = await carol.v2.search.list({ q: "convention" });
  assert.ok(res.statuses.some((s) => text(s).includes("convention")));
  const people = await carol.v2.search.list({ q: env().username, type: "accounts" });
  assert.ok(people.accounts.some((a) => a.acct === env().username));
  const tags = await carol.v2.search.list({ q: "#plu" });
  assert.equal(tags.hashtags[0].name, "plu");
});

test("a member of another node joins the space and posts in it; the answer reaches them", async () => {
  const res = await bob.v2.search.list({ q: `@${space}@${hostA}`, resolve: true, type: "accounts" });
  assert.equal(res.accounts.length, 1);
  const remoteSpace = res.accounts[0];
  assert.equal(remoteSpace.group, true);
  assert.equal(remoteSpace.acct, `${space}@${hostA}`);
  await bob.v1.accounts.$select(remoteSpace.id).follow();
  await eventually("bob's membership", async () => {
    const [rel] = await bob.v1.accounts.relationships.fetch({ id: [remoteSpace.id] });
    return rel.following;
  });

  const posted = await bob.v1.statuses.create({ status: `Notre retour d'expérience, @${space}@${hostA}` });
  const [list] = await alice.v1.lists.list();
  const there = await eventually("bob's post in the space on the first node", async () => {
    const feed = await alice.v1.timelines.list.$select(list.id).list();
    return feed.find((s) => text(s).includes("retour d"));
  });
  assert.equal(there.account.acct, `${env().usernameB}@${new URL(env().urlB).host}`);
  assert.ok(posted.id);

  await alice.v1.statuses.create({ status: "Merci pour ce retour !", inReplyToId: there.id });
  const told = await eventually("the answer in bob's notifications", async () => {
    const list = await bob.v1.notifications.list({ types: ["mention"] });
    return list.find((n) => text(n.status).includes("Merci pour ce retour"));
  });
  assert.equal(told.status.inReplyToId, posted.id);
});
