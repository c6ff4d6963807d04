// An independent ActivityPub peer for Ruche's interop suite, built on Fedify
// (@fedify/fedify 1.5.x): a small server on loopback with two actors, "peer"
// and "peer2". The Go test drives it over stdin/stdout, one JSON object per line:
//   peer → test: {"ready": origin}, then {"id": n, ...result} per command,
//                and {"event": Type, ...} for each activity its inboxes accept
//                (Fedify has verified the HTTP signature by then).
//   test → peer: {"id": n, "cmd": "webfinger"|"lookup"|"follow"|"unfollow"|"post", ...}
import http from "node:http";
import readline from "node:readline";
import {
  Accept, Announce, Create, Endpoints, Follow, LanguageString, Note, Person, PUBLIC_COLLECTION, Reject, Undo,
  createFederation, generateCryptoKeyPair, lookupWebFinger, MemoryKvStore,
} from "@fedify/fedify";

const send = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const actors = ["peer", "peer2"];
const keyPairs = Object.fromEntries(
  await Promise.all(actors.map(async (a) => [a, await generateCryptoKeyPair("RSASSA-PKCS1-v1_5")])),
);

const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (!actors.includes(identifier)) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (actors.includes(identifier) ? [keyPairs[identifier]] : []));

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
  event.postType = post?.constructor?.name;
  event.languages = languagesOf(post);
  event.audience = post?.audienceId?.href;
  event.content = post?.content?.toString();
  send(event);
};
const reportCreate = async (ctx, create) => {
  const documentLoader = await ctx.getDocumentLoader({ identifier: "peer" });
  const post = await create.getObject({ documentLoader });
  send({
    event: "Create", id: create.id?.href, actor: create.actorId?.href, object: create.objectId?.href,
    postType: post?.constructor?.name, content: post?.content?.toString(), languages: languagesOf(post),
  });
};
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, report("Accept"))
  .on(Reject, report("Reject"))
  .on(Undo, report("Undo"))
  .on(Create, reportCreate)
  .on(Announce, reportAnnounce);

// node:http in front of Fedify's fetch-style handler.
const server = http.createServer(async (req, res) => {
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
    const documentLoader = await c.getDocumentLoader({ identifier: as });
    const target = await c.lookupObject(url, { documentLoader });
    const follow = new Follow({
      id: new URL(`${origin}/follows/${crypto.randomUUID()}`), actor: c.getActorUri(as), object: target.id,
    });
    await c.sendActivity({ identifier: as }, target, follow);
    following.set(`${as} ${url}`, { follow, target });
    return { sent: follow.id.href, targetType: target.constructor.name };
  },
  async unfollow({ url, as = "peer" }) {
    const c = ctx();
    const { follow, target } = following.get(`${as} ${url}`);
    const undo = new Undo({ id: new URL(`${origin}/undos/${crypto.randomUUID()}`), actor: c.getActorUri(as), object: follow });
    await c.sendActivity({ identifier: as }, target, undo);
    return { sent: undo.id.href };
  },
  // A signed Create(Note) into a space, addressed to its Group (FEP-1b12:
  // audience, and the Group in to), in the languages given.
  async post({ group, texts, as = "peer" }) {
    const c = ctx();
    const documentLoader = await c.getDocumentLoader({ identifier: as });
    const target = await c.lookupObject(group, { documentLoader });
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
    await c.sendActivity({ identifier: as }, target, create);
    return { sent: create.id.href, note: note.id.href };
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
