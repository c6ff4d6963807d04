// An independent ActivityPub peer for Ruche's interop suite, built on Fedify
// (@fedify/fedify 1.5.x): a small server on loopback with two actors, "peer"
// and "peer2", that sign as Fedify does (keyId = the actor's IRI#main-key),
// and one actor for each other keyId form in use (see forms below). The Go
// test drives it over stdin/stdout, one JSON object per line:
//   peer → test: {"ready": origin}, then {"id": n, ...result} per command,
//                and {"event": Type, ...} for each activity its inboxes accept
//                (Fedify has verified the HTTP signature by then).
//   test → peer: {"id": n, "cmd": "webfinger"|"lookup"|"follow"|"unfollow"|"post"|"note"|"reply"|"like"|
//                "vote"|"join"|"leave", ...};
//                follow, unfollow, post, note, reply, like, vote, join and
//                leave act as the actor named by "as" and reply with the
//                keyId they signed with.
// Like a Mastodon server, it accepts every Follow of its actors at once, and
// reports Creates with their mentions, and Updates and Deletes with what they
// change; a post's fields include a document's mediaType and url Links.
import http from "node:http";
import readline from "node:readline";
import {
  Accept, Announce, Article, Create, CryptographicKey, Delete, Endpoints, Follow, Join, LanguageString, Leave, Like,
  Mention, Multikey, Note, Person, PUBLIC_COLLECTION, Question, Reject, Undo, Update, createFederation, generateCryptoKeyPair,
  lookupWebFinger, MemoryKvStore,
} from "@fedify/fedify";

const send = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

// rsaKeyPair makes an RSA-2048 pair as Fedify wants it (extractable,
// SHA-256). Fedify's own generateCryptoKeyPair makes RSA-4096, which takes
// seconds per key on a busy machine: it is kept for peer and peer2.
const rsaKeyPair = () => crypto.subtle.generateKey(
  { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  true, ["sign", "verify"],
);
const ed25519KeyPair = () => generateCryptoKeyPair("Ed25519");

// The keyId forms the other actors sign with. For each: its key pairs, and
// a function of the actor's IRI telling which key signs, under which keyId,
// what the actor document lists (Fedify's default when absent: publicKey =
// the first key, assertionMethod = a Multikey of each) and what the peer
// serves at the key's own URL, if anything. Fedify's key pairs dispatcher
// is given the pairs (and names them #main-key, #key-2, …) unless ownKeys
// is set: Fedify signs an actor's GETs (such as the fetch of Ruche's key
// when an Accept arrives) as its #main-key, which those actors do not
// publish, so they read unsigned.
const forms = {
  // GoToSocial: …/users/gts/main-key, whose URL serves a stub of the actor
  // (its id, name and key; no inbox).
  gts: {
    keyPairs: [await rsaKeyPair()],
    ownKeys: true,
    sign(actor, [rsa]) {
      const key = new CryptographicKey({ id: new URL(`${actor.href}/main-key`), owner: actor, publicKey: rsa.publicKey });
      return {
        keyId: key.id, privateKey: rsa.privateKey, publicKey: key, assertionMethods: [],
        served: new Person({ id: actor, preferredUsername: "gts", publicKey: key }),
      };
    },
  },
  // A CryptographicKey document of its own, naming its owner.
  keydoc: {
    keyPairs: [await rsaKeyPair()],
    ownKeys: true,
    sign(actor, [rsa]) {
      const key = new CryptographicKey({ id: new URL("/keys/keydoc", actor), owner: actor, publicKey: rsa.publicKey });
      return { keyId: key.id, privateKey: rsa.privateKey, publicKey: key, assertionMethods: [], served: key };
    },
  },
  // FEP-521a: the actor's Ed25519 key, which Fedify lists as a Multikey
  // among its assertionMethods, by fragment (…/users/ed#key-2).
  ed: {
    keyPairs: [await rsaKeyPair(), await ed25519KeyPair()],
    sign(actor, [, ed]) {
      return { keyId: new URL("#key-2", actor), privateKey: ed.privateKey };
    },
  },
  // An Ed25519 Multikey document of its own, naming its controller.
  edkey: {
    keyPairs: [await rsaKeyPair(), await ed25519KeyPair()],
    sign(actor, [, ed]) {
      const key = new Multikey({ id: new URL("/keys/edkey", actor), controller: actor, publicKey: ed.publicKey });
      return { keyId: key.id, privateKey: ed.privateKey, assertionMethods: [key], served: key };
    },
  },
  // An RSA Multikey (multicodec 0x1205), listed only among the actor's
  // assertionMethods (…/users/rsamk#key-2); Fedify signs with it itself.
  rsamk: {
    keyPairs: [await rsaKeyPair(), await rsaKeyPair()],
    sign(actor, [, rsa]) {
      return { keyId: new URL("#key-2", actor), privateKey: rsa.privateKey };
    },
  },
};

const actors = ["peer", "peer2", ...Object.keys(forms)];
const keyPairs = {
  peer: [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")],
  peer2: [await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")],
  ...Object.fromEntries(Object.entries(forms).map(([a, f]) => [a, f.keyPairs])),
};
// signer tells how an actor of a keyId form signs (null for peer and peer2).
const signer = (ctx, identifier) =>
  forms[identifier]?.sign(ctx.getActorUri(identifier), keyPairs[identifier]) ?? null;

const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (!actors.includes(identifier)) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    const form = signer(ctx, identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      inbox: ctx.getInboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: form?.publicKey ?? keys[0].cryptographicKey,
      assertionMethods: form?.assertionMethods ?? keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (forms[identifier]?.ownKeys ? [] : keyPairs[identifier] ?? []));
// Followers are not kept: the collection exists so that posts can address it.
federation.setFollowersDispatcher("/users/{identifier}/followers", async () => ({ items: [] }));

// languagesOf lists the languages of a post's contentMap, as Fedify read it.
const languagesOf = (post) =>
  (post?.contents ?? []).filter((c) => c instanceof LanguageString).map((c) => c.language.compact()).sort();

const report = (type) => async (_ctx, activity) => {
  send({ event: type, id: activity.id?.href, actor: activity.actorId?.href, object: activity.objectId?.href });
};
// An Announce is reported with what it announces, read through Fedify: the
// embedded Create and its post, or the post fetched by its IRI (a boost).
const reportAnnounce = async (ctx, announce) => {
  const documentLoader = await ctx.getDocumentLoader({ identifier: "peer" });
  const obj = await announce.getObject({ documentLoader });
  const event = {
    event: "Announce", id: announce.id?.href, actor: announce.actorId?.href, object: announce.objectId?.href,
    objectType: obj?.constructor?.name,
  };
  let post = obj;
  if (obj instanceof Create) {
    post = await obj.getObject({ documentLoader });
    event.innerActor = obj.actorId?.href;
    event.innerObject = post?.id?.href;
  }
  send({ ...event, ...await postFields(post) });
};
// postFields is what a Mastodon-family server reads of a post: its type,
// text, title (name), summary (a content warning for a Note), sensitivity,
// the actors it mentions, its addressing and what it answers.
const postFields = async (post) => {
  const mentions = [];
  for await (const tag of post?.getTags?.() ?? []) {
    if (tag instanceof Mention) mentions.push(tag.href?.href);
  }
  const options = [];
  if (post instanceof Question) {
    for await (const o of post.getExclusiveOptions?.() ?? []) options.push(o.name?.toString());
    for await (const o of post.getInclusiveOptions?.() ?? []) options.push(o.name?.toString());
  }
  const location = await post?.getLocation?.().catch(() => null);
  // a document's url: its page and its file, each a Link with its type
  const links = (post?.urls ?? []).map((u) => (u instanceof URL ? { href: u.href } : { href: u?.href?.href, mediaType: u?.mediaType }));
  return {
    mediaType: post?.mediaType ?? undefined, links,
    startTime: post?.startTime?.toString(), endTime: post?.endTime?.toString(), location: location?.name?.toString(),
    options, voters: post?.voters ?? undefined,
    postType: post?.constructor?.name, content: post?.content?.toString(), languages: languagesOf(post),
    audience: post?.audienceId?.href, name: post?.name?.toString(), summary: post?.summary?.toString(),
    sensitive: post?.sensitive ?? false, mentions, inReplyTo: post?.replyTargetId?.href,
    to: (post?.toIds ?? []).map((u) => u.href), cc: (post?.ccIds ?? []).map((u) => u.href),
    url: post?.url instanceof URL ? post.url.href : post?.url?.href?.href, updated: post?.updated?.toString(),
  };
};
const reportCreate = async (ctx, create) => {
  const documentLoader = await ctx.getDocumentLoader({ identifier: "peer" });
  const post = await create.getObject({ documentLoader });
  send({
    event: "Create", id: create.id?.href, actor: create.actorId?.href, object: create.objectId?.href,
    ...await postFields(post),
  });
};
// An Update carries the new version of a post; a Delete its Tombstone.
const reportChange = (type) => async (ctx, activity) => {
  const documentLoader = await ctx.getDocumentLoader({ identifier: "peer" });
  const obj = await activity.getObject({ documentLoader });
  send({
    event: type, id: activity.id?.href, actor: activity.actorId?.href, object: activity.objectId?.href,
    objectType: obj?.constructor?.name, ...(type === "Update" ? await postFields(obj) : {}),
  });
};
// acceptFollow answers a Follow of one of the peer's actors at once, as an
// unlocked Mastodon account does.
const acceptFollow = async (ctx, follow) => {
  const target = ctx.parseUri(follow.objectId);
  if (target?.type !== "actor" || !actors.includes(target.identifier)) return;
  const follower = await follow.getActor(ctx);
  const accept = new Accept({
    id: new URL(`${origin}/accepts/${crypto.randomUUID()}`), actor: follow.objectId, object: follow,
  });
  await deliver(ctx, target.identifier, follower, accept);
  send({ event: "Follow", id: follow.id?.href, actor: follow.actorId?.href, object: follow.objectId?.href });
};
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, report("Accept"))
  .on(Reject, report("Reject"))
  .on(Undo, report("Undo"))
  .on(Create, reportCreate)
  .on(Update, reportChange("Update"))
  .on(Delete, reportChange("Delete"))
  .on(Follow, acceptFollow)
  .on(Announce, reportAnnounce);

// served returns what the peer serves at a key's own URL (a stub of the
// actor, a key document), or null: Fedify's router knows nothing of these.
async function served(url) {
  const c = ctx();
  for (const identifier of Object.keys(forms)) {
    const form = signer(c, identifier);
    if (form.served && form.keyId.href === url) return await form.served.toJsonLd();
  }
  return null;
}

// node:http in front of Fedify's fetch-style handler.
const server = http.createServer(async (req, res) => {
  const doc = req.method === "GET" ? await served(`${origin}${req.url}`) : null;
  if (doc) {
    res.writeHead(200, { "Content-Type": "application/activity+json" });
    res.end(JSON.stringify(doc));
    return;
  }
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const request = new Request(`http://${req.headers.host}${req.url}`, {
    method: req.method, headers: req.headers, body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  const response = await federation.fetch(request, { contextData: undefined });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;
const ctx = () => federation.createContext(new URL(origin), undefined);

const following = new Map(); // target actor IRI → the Follow we sent

// Fedify 1.5 signs requests with RSA keys only (sig/http.js), so the peer
// signs the Ed25519 forms itself, draft-cavage-12 as Fedify does for RSA,
// with algorithm hs2019: the verifier takes the algorithm from the key.
async function postSignedEd25519(inbox, activity, keyId, privateKey) {
  const body = new TextEncoder().encode(JSON.stringify(await activity.toJsonLd()));
  const url = new URL(inbox);
  const digest = `SHA-256=${Buffer.from(await crypto.subtle.digest("SHA-256", body)).toString("base64")}`;
  const headers = { host: url.host, date: new Date().toUTCString(), digest, "content-type": "application/activity+json" };
  const signed = [["(request-target)", `post ${url.pathname}`], ...Object.entries(headers)];
  const message = new TextEncoder().encode(signed.map(([k, v]) => `${k}: ${v}`).join("\n"));
  const signature = Buffer.from(await crypto.subtle.sign("Ed25519", privateKey, message)).toString("base64");
  headers.signature = `keyId="${keyId.href}",algorithm="hs2019",headers="${signed.map(([k]) => k).join(" ")}",signature="${signature}"`;
  const res = await fetch(url, { method: "POST", headers, body });
  if (!res.ok) throw new Error(`POST ${inbox}: ${res.status} ${await res.text()}`);
}

// deliver sends an activity of actor `as` to target, signed as its form
// wants, and returns the keyId it signed with. peer and peer2 sign as
// Fedify does; the forms' RSA keys go through Fedify too, as sender key
// pairs.
async function deliver(c, as, target, activity) {
  const form = signer(c, as);
  if (!form) {
    await c.sendActivity({ identifier: as }, target, activity);
    return `${c.getActorUri(as).href}#main-key`;
  }
  if (form.privateKey.algorithm.name === "Ed25519") {
    await postSignedEd25519(target.inboxId.href, activity, form.keyId, form.privateKey);
  } else {
    await c.sendActivity([{ privateKey: form.privateKey, keyId: form.keyId }], target, activity);
  }
  return form.keyId.href;
}

// loaderFor is how actor `as` reads documents: peer and peer2 sign their
// GETs; the other actors read unsigned, so that the first request Ruche
// sees from them is the signed POST under test, not a GET that would have
// introduced them.
const loaderFor = (c, as) => (forms[as] ? c.documentLoader : c.getDocumentLoader({ identifier: as }));

const commands = {
  // WebFinger as Fedify does it. Over plain http (the test nodes have no
  // TLS), Fedify asks by URL: the acct: form would go to https.
  async webfinger({ resource }) {
    const jrd = await lookupWebFinger(resource, { allowPrivateAddress: true });
    const self = jrd?.links?.find((l) => l.rel === "self" && l.type === "application/activity+json");
    return { subject: jrd?.subject, self: self?.href };
  },
  // A GET of the actor signed with the peer's key.
  async lookup({ url }) {
    const c = ctx();
    const documentLoader = await c.getDocumentLoader({ identifier: "peer" });
    const actor = await c.lookupObject(url, { documentLoader });
    if (!(actor instanceof Person)) return { error: `not a Person: ${actor?.constructor?.name}` };
    const key = await actor.getPublicKey({ documentLoader });
    return {
      id: actor.id?.href, preferredUsername: actor.preferredUsername?.toString(), inbox: actor.inboxId?.href,
      sharedInbox: actor.endpoints?.sharedInbox?.href, followers: actor.followersId?.href,
      manuallyApprovesFollowers: actor.manuallyApprovesFollowers, keyId: key?.id?.href, keyOwner: key?.ownerId?.href,
      peerKeyId: `${origin}/users/peer#main-key`,
    };
  },
  // A Follow of an actor (a member) or of a Group (a space: joining it).
  async follow({ url, as = "peer" }) {
    const c = ctx();
    const target = await c.lookupObject(url, { documentLoader: await loaderFor(c, as) });
    const follow = new Follow({
      id: new URL(`${origin}/follows/${crypto.randomUUID()}`), actor: c.getActorUri(as), object: target.id,
    });
    const keyId = await deliver(c, as, target, follow);
    following.set(`${as} ${url}`, { follow, target });
    return { sent: follow.id.href, targetType: target.constructor.name, keyId };
  },
  async unfollow({ url, as = "peer" }) {
    const c = ctx();
    const { follow, target } = following.get(`${as} ${url}`);
    const undo = new Undo({ id: new URL(`${origin}/undos/${crypto.randomUUID()}`), actor: c.getActorUri(as), object: follow });
    return { sent: undo.id.href, keyId: await deliver(c, as, target, undo) };
  },
  // A signed Create(Note) into a space, addressed to its Group (FEP-1b12:
  // audience, and the Group in to), in the languages given.
  async post({ group, texts, as = "peer" }) {
    const c = ctx();
    const target = await c.lookupObject(group, { documentLoader: await loaderFor(c, as) });
    const id = crypto.randomUUID();
    const langs = Object.keys(texts);
    const note = new Note({
      id: new URL(`${origin}/notes/${id}`), attribution: c.getActorUri(as), audience: target.id,
      to: target.id, cc: PUBLIC_COLLECTION,
      contents: [texts[langs[0]], ...langs.map((l) => new LanguageString(texts[l], l))],
    });
    const create = new Create({
      id: new URL(`${origin}/creates/${id}`), actor: c.getActorUri(as), object: note,
      audience: target.id, to: target.id, cc: PUBLIC_COLLECTION,
    });
    const keyId = await deliver(c, as, target, create);
    return { sent: create.id.href, note: note.id.href, keyId };
  },
  // A Note as Mastodon writes one, to the inbox of the actor at `to`
  // (mentioned: a Mention tag, and the actor in the addressing). visibility:
  // public (as:Public in to), unlisted (in cc), followers (the author's
  // followers only) or direct (the mentioned actor only).
  // With mention false, the note is only delivered there (the actor follows
  // the author), neither tagged nor addressed.
  async note({ to, text, visibility = "public", mention = true, as = "peer" }) {
    const c = ctx();
    const target = await c.lookupObject(to, { documentLoader: await loaderFor(c, as) });
    const followers = c.getFollowersUri(as);
    const named = mention ? [target.id] : [];
    const addressing = {
      public: { tos: [PUBLIC_COLLECTION], ccs: [followers, ...named] },
      unlisted: { tos: [followers], ccs: [PUBLIC_COLLECTION, ...named] },
      followers: { tos: [followers], ccs: named },
      direct: { tos: named, ccs: [] },
    }[visibility];
    const id = crypto.randomUUID();
    const tags = mention ? [new Mention({ href: target.id, name: `@${target.preferredUsername}@${target.id.host}` })] : [];
    const note = new Note({
      id: new URL(`${origin}/notes/${id}`), attribution: c.getActorUri(as), content: `<p>${text}</p>`,
      tags, ...addressing,
    });
    const create = new Create({ id: new URL(`${origin}/creates/${id}`), actor: c.getActorUri(as), object: note, ...addressing });
    const keyId = await deliver(c, as, target, create);
    return { sent: create.id.href, note: note.id.href, keyId };
  },
  // A public reply to a post, as Mastodon sends it: to its author's inbox,
  // the author mentioned.
  async reply({ post, text, as = "peer" }) {
    const c = ctx();
    const loader = await loaderFor(c, as);
    const parent = await c.lookupObject(post, { documentLoader: loader });
    const author = await parent.getAttribution({ documentLoader: loader });
    const id = crypto.randomUUID();
    const addressing = { tos: [PUBLIC_COLLECTION], ccs: [c.getFollowersUri(as), author.id] };
    const note = new Note({
      id: new URL(`${origin}/notes/${id}`), attribution: c.getActorUri(as), content: `<p>${text}</p>`,
      replyTarget: parent.id, tags: [new Mention({ href: author.id })], ...addressing,
    });
    const create = new Create({ id: new URL(`${origin}/creates/${id}`), actor: c.getActorUri(as), object: note, ...addressing });
    const keyId = await deliver(c, as, author, create);
    return { sent: create.id.href, note: note.id.href, keyId };
  },
  // A favourite: Like of a post, to its author's inbox.
  async like({ post, as = "peer" }) {
    const c = ctx();
    const loader = await loaderFor(c, as);
    const parent = await c.lookupObject(post, { documentLoader: loader });
    const author = await parent.getAttribution({ documentLoader: loader });
    const like = new Like({ id: new URL(`${origin}/likes/${crypto.randomUUID()}`), actor: c.getActorUri(as), object: parent.id });
    return { sent: like.id.href, keyId: await deliver(c, as, author, like) };
  },
  // A vote in a poll, as Mastodon sends it: a Create of a Note named as the
  // answer chosen, in reply to the Question, to its author alone.
  async vote({ post, choice, as = "peer" }) {
    const c = ctx();
    const loader = await loaderFor(c, as);
    const question = await c.lookupObject(post, { documentLoader: loader });
    const author = await question.getAttribution({ documentLoader: loader });
    const id = crypto.randomUUID();
    const note = new Note({
      id: new URL(`${origin}/votes/${id}`), attribution: c.getActorUri(as), name: choice, replyTarget: question.id, to: author.id,
    });
    const create = new Create({ id: new URL(`${origin}/creates/${id}`), actor: c.getActorUri(as), object: note, to: author.id });
    return { sent: create.id.href, keyId: await deliver(c, as, author, create) };
  },
  // A registration for an event, as Mobilizon sends it: a Join of the
  // Event, to its organizer; leave takes it back with a Leave.
  async join({ event, as = "peer" }) {
    const c = ctx();
    const loader = await loaderFor(c, as);
    const ev = await c.lookupObject(event, { documentLoader: loader });
    const organizer = await ev.getAttribution({ documentLoader: loader });
    const join = new Join({ id: new URL(`${origin}/joins/${crypto.randomUUID()}`), actor: c.getActorUri(as), object: ev.id, to: organizer.id });
    return { sent: join.id.href, eventType: ev.constructor.name, name: ev.name?.toString(), keyId: await deliver(c, as, organizer, join) };
  },
  async leave({ event, as = "peer" }) {
    const c = ctx();
    const loader = await loaderFor(c, as);
    const ev = await c.lookupObject(event, { documentLoader: loader });
    const organizer = await ev.getAttribution({ documentLoader: loader });
    const leave = new Leave({ id: new URL(`${origin}/leaves/${crypto.randomUUID()}`), actor: c.getActorUri(as), object: ev.id, to: organizer.id });
    return { sent: leave.id.href, keyId: await deliver(c, as, organizer, leave) };
  },
};

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", async (line) => {
  const msg = JSON.parse(line);
  try {
    send({ id: msg.id, ...(await commands[msg.cmd](msg)) });
  } catch (e) {
    send({ id: msg.id, error: String(e?.stack ?? e) });
  }
});
lines.on("close", () => server.close(() => process.exit(0)));
send({ ready: origin });
