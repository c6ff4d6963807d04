// An independent ActivityPub peer for Ruche's interop suite, built on Fedify
// (@fedify/fedify 1.5.x): a small server on loopback with one actor, "peer".
// The Go test drives it over stdin/stdout, one JSON object per line:
//   peer → test: {"ready": origin}, then {"id": n, ...result} per command,
//                and {"event": Type, ...} for each activity its inbox accepts
//                (Fedify has verified the HTTP signature by then).
//   test → peer: {"id": n, "cmd": "webfinger"|"lookup"|"follow"|"unfollow", ...}
import http from "node:http";
import readline from "node:readline";
import {
  Accept, Create, Endpoints, Follow, Person, Reject, Undo,
  createFederation, generateCryptoKeyPair, lookupWebFinger, MemoryKvStore,
} from "@fedify/fedify";

const send = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const keyPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");

const federation = createFederation({ kv: new MemoryKvStore(), allowPrivateAddress: true });

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "peer") return null;
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
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "peer" ? [keyPair] : []));

const report = (type) => async (_ctx, activity) => {
  send({ event: type, id: activity.id?.href, actor: activity.actorId?.href, object: activity.objectId?.href });
};
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, report("Accept"))
  .on(Reject, report("Reject"))
  .on(Undo, report("Undo"))
  .on(Create, report("Create"));

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
  async follow({ url }) {
    const c = ctx();
    const documentLoader = await c.getDocumentLoader({ identifier: "peer" });
    const target = await c.lookupObject(url, { documentLoader });
    const follow = new Follow({
      id: new URL(`${origin}/follows/${crypto.randomUUID()}`), actor: c.getActorUri("peer"), object: target.id,
    });
    await c.sendActivity({ identifier: "peer" }, target, follow);
    following.set(url, { follow, target });
    return { sent: follow.id.href };
  },
  async unfollow({ url }) {
    const c = ctx();
    const { follow, target } = following.get(url);
    const undo = new Undo({ id: new URL(`${origin}/undos/${crypto.randomUUID()}`), actor: c.getActorUri("peer"), object: follow });
    await c.sendActivity({ identifier: "peer" }, target, undo);
    return { sent: undo.id.href };
  },
  // Create(Note) legs come with posts: the peer will receive a Create from a
  // Ruche space and send one into it (see interop_test.go).
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
