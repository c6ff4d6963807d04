// A second independent ActivityPub peer for Ruche's interop suite:
// activitypub-bot (@evanp/activitypub-bot 0.51), an ActivityPub server whose
// bots run inside it, keeping its state in the PostgreSQL database the test
// names in APBOT_DATABASE_URL. It serves one bot on loopback, "bot" (a
// Person), and the Go test drives it over
// stdin/stdout, one JSON object per line:
//   peer → test: {"apbot": true, ...} lines (the server's log shares stdout):
//                {"ready": origin, "bots": {username: actor IRI}}, then
//                {"id": n, ...result} per command, and {"event": Type,
//                "bot": username, ...} for each activity a bot's inbox stored
//                (the server has checked its HTTP signature by then).
//   test → peer: {"id": n, "cmd": "idle"|"lookup"|"follow"|"unfollow"|
//                "state"|"reply"|"like"|"note", "as": username, ...}
//
// Every command goes through the bot framework's own API (BotContext): the
// server builds, stores, signs and delivers the activities itself. A command
// answers once the server is idle — what it received handled and reported,
// what it sent delivered — with the deliveries that failed, so that the test
// drains Ruche only after Ruche has received everything.
//
// The server runs in this process through makeApp, the library entry point
// that the package's activitypub-bot command wraps: the command listens on
// every interface, on a port chosen beforehand, and ignores --allow-private
// unless ALLOW_PRIVATE is also set in the environment. Its log (pino, at
// APBOT_LOG_LEVEL, "error" by default) goes to stdout too.
import "./as2-compat.cjs"; // before activitypub-bot: see that file
import http from "node:http";
import { randomBytes } from "node:crypto";
import readline from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";

const { makeApp, Bot } = await import("@evanp/activitypub-bot");
const { default: as2 } = await import("@evanp/activitypub-bot/lib/activitystreams.js");

// Every line of the protocol is marked: the server's log shares stdout.
const send = (obj) => process.stdout.write(JSON.stringify({ apbot: true, ...obj }) + "\n");
const databaseUrl = process.env.APBOT_DATABASE_URL;
if (!databaseUrl) {
  console.error("apbot-peer: APBOT_DATABASE_URL (a PostgreSQL database for the server) is not set");
  process.exit(2);
}

const AS = "https://www.w3.org/ns/activitystreams#";
const PUBLIC = AS + "Public";

// The bot the test drives, a Person: the framework's default type, Service
// (as Mastodon's bot accounts), is read by Ruche as a server's own actor,
// which neither joins spaces nor is followed. The framework calls
// handleActivity for every activity
// delivered to a bot before its own handling (false: handle it as usual),
// then stores the activity in the bot's inbox; onMention when a received
// object has a Mention tag whose href is the bot.
class DrivenBot extends Bot {
  #type;
  mentioned = new Set(); // ids of the Create activities whose object mentions the bot

  constructor(username, type) {
    super(username, { fullname: `Interop ${username}`, description: "A bot of Ruche's interop suite." });
    this.#type = type;
  }

  get type() {
    return this.#type;
  }

  async handleActivity(activity) {
    report(this, activity);
    return false;
  }

  async onMention(object, activity) {
    this.mentioned.add(activity.id);
  }
}

const bots = { bot: new DrivenBot("bot", "Person") };

// Listening first tells the origin, which the server needs to start.
const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const app = await makeApp({
  databaseUrl,
  origin,
  bots,
  logLevel: process.env.APBOT_LOG_LEVEL || "error",
  allowPrivateNetworkRequests: true,
  deliveryWorkerCount: 1,
  distributionWorkerCount: 2,
  fanoutWorkerCount: 1,
  intakeWorkerCount: 1,
});
server.on("request", app);
const { actorStorage, connection } = app.locals;
// The bot a command acts as (its "as", by default "bot"), and its BotContext.
const botOf = (msg) => {
  const b = bots[msg.as ?? "bot"];
  if (!(b instanceof DrivenBot)) throw new Error(`no bot ${msg.as}`);
  return b;
};
const contextOf = (msg) => botOf(msg)._context;

// --- reading what the server keeps ---------------------------------------

const short = (type) => {
  const t = Array.isArray(type) ? type[0] : type;
  if (typeof t !== "string") return undefined;
  return t.startsWith(AS) ? t.slice(AS.length) : t.startsWith("as:") ? t.slice(3) : t;
};
// field reads a property of a document compacted to the ActivityStreams
// context: terms that context lacks come out as as:term.
const field = (doc, name) => doc?.[name] ?? doc?.["as:" + name];
const iri = (v) => (typeof v === "string" ? (v === "as:Public" ? PUBLIC : v) : v?.id);
const iris = (v) => (v == null ? [] : [].concat(v).map(iri).filter(Boolean));
const isEmbedded = (v) => v != null && typeof v === "object" && Object.keys(v).some((k) => k !== "id");

// describePost is what the server shows of a post (Note, Article, Event,
// Tombstone).
function describePost(doc) {
  const content = field(doc, "content");
  return {
    postType: short(field(doc, "type")),
    postId: iri(doc),
    attributedTo: iri(field(doc, "attributedTo")),
    content: typeof content === "string" ? content : undefined,
    contentMap: field(doc, "contentMap"),
    name: field(doc, "name"),
    summary: field(doc, "summary"),
    sensitive: field(doc, "sensitive"),
    inReplyTo: iri(field(doc, "inReplyTo")),
    context: iri(field(doc, "context")),
    audience: iris(field(doc, "audience")),
    to: iris(field(doc, "to")),
    cc: iris(field(doc, "cc")),
    startTime: field(doc, "startTime"),
    endTime: field(doc, "endTime"),
    location: field(field(doc, "location"), "name"),
    tags: [].concat(field(doc, "tag") ?? []).map((t) => ({
      type: short(field(t, "type")),
      name: field(t, "name"),
      href: field(t, "href"),
    })),
  };
}

// stored returns the document the server's cache of remote objects holds for
// id on behalf of a bot: the activities it accepted (and the objects they
// carried from the same origin), compacted with their own @context.
async function stored(bot, id) {
  const [rows] = await connection.query("SELECT data FROM remote_object_cache WHERE id = ? AND username = ?", {
    replacements: [id, bot.username],
  });
  return rows.length ? JSON.parse(rows[0].data) : null;
}

// The types whose object is a post the bot would show.
const POST_ACTIVITIES = ["Create", "Update", "Announce"];

// report waits until the server has stored a received activity in the bot's
// inbox, then sends what the server keeps of it. The activity is read back
// from the server's storage, through the framework's ActivityStreams
// library; a post given by its IRI alone is fetched by the bot
// (BotContext.getObject: a signed GET, kept in the same cache).
const reporting = new Set(); // the reports under way
function report(bot, activity) {
  const done = (async () => {
    const deadline = Date.now() + 30_000;
    while (!(await actorStorage.isInCollection(bot.username, "inbox", activity))) {
      if (Date.now() > deadline) {
        send({ event: "NotStored", bot: bot.username, id: activity.id, type: short(activity.type) });
        return;
      }
      await sleep(20);
    }
    const raw = await stored(bot, activity.id);
    const doc = await (await as2.import(raw ?? (await activity.export({ useOriginalContext: true })))).export();
    const type = short(field(doc, "type"));
    const event = {
      event: type,
      bot: bot.username,
      id: iri(doc),
      actor: iri(field(doc, "actor")),
      to: iris(field(doc, "to")),
      cc: iris(field(doc, "cc")),
      audience: iris(field(doc, "audience")),
      storedInCache: raw != null,
      mentionsBot: bot.mentioned.has(activity.id),
    };
    let object = field(doc, "object");
    event.object = iri(object);
    if (isEmbedded(object)) event.objectType = short(field(object, "type"));
    if (event.objectType && ["Create", "Update", "Delete"].includes(event.objectType)) {
      event.innerActor = iri(field(object, "actor"));
      object = field(object, "object");
      event.innerObject = iri(object);
    }
    if (POST_ACTIVITIES.includes(type) || (type === "Delete" && isEmbedded(object))) {
      let post = isEmbedded(object) ? object : null;
      event.postSource = "embedded";
      if (!post && iri(object) && type !== "Delete") {
        post = await (await bot._context.getObject(iri(object))).export();
        event.postSource = "fetched";
      }
      if (post) Object.assign(event, describePost(post));
    }
    send(event);
  })().catch((err) =>
    send({ event: "ReportFailed", bot: bot.username, id: activity.id, error: String(err?.stack ?? err) }),
  );
  reporting.add(done);
  done.finally(() => reporting.delete(done));
}

// settle waits until the server is idle (at most 30 s): the activities it
// received handled and reported, and those it queued delivered. It returns
// the deliveries it gave up, or still retries, among those it queued since
// the last settle.
let checkpoint = new Date(0);
async function settle() {
  await Promise.race([app.onIdle(), sleep(30_000)]);
  await Promise.allSettled([...reporting]);
  const since = checkpoint;
  checkpoint = new Date();
  const undelivered = [];
  for (const table of ["failed_job", "job"]) {
    const [rows] = await connection.query(
      `SELECT queue_id, payload, last_error FROM ${table}
       WHERE created_at >= ? AND queue_id IN ('fanout', 'distribution')`,
      { replacements: [since] },
    );
    for (const row of rows) {
      const payload = JSON.parse(row.payload);
      undelivered.push({
        queue: row.queue_id,
        state: table === "job" ? "pending" : "failed",
        inbox: payload.inbox,
        activity: payload.activity?.id,
        error: String(row.last_error ?? "").split("\n")[0],
      });
    }
  }
  return undelivered;
}

// describeSent is an activity or object the bot made, as the server stored it.
async function describeSent(obj) {
  const doc = await obj.export();
  return { id: iri(doc), type: short(field(doc, "type")), ...describePost(doc) };
}

// Each command acts as the bot named by its "as" (by default "bot").
const commands = {
  // Wait until the server has handled what it received, and delivered what
  // it sends in answer on its own (the Accept of a Follow, say).
  async idle() {
    return { undelivered: await settle() };
  },
  // A signed GET of an object (an actor, a post) as the bot, read through
  // the framework's ActivityStreams library.
  async lookup(msg) {
    const ctx = contextOf(msg);
    const doc = await (await ctx.getObject(msg.url)).export();
    const key = field(doc, "https://w3id.org/security#publicKey") ?? doc.publicKey;
    return {
      id: iri(doc),
      type: short(field(doc, "type")),
      preferredUsername: field(doc, "preferredUsername"),
      inbox: iri(field(doc, "inbox")),
      sharedInbox: iri(field(field(doc, "endpoints"), "sharedInbox")),
      followers: iri(field(doc, "followers")),
      url: iri(field(doc, "url")),
      keyId: iri(key),
    };
  },
  // Follow an actor: a member, or a space's Group (joining it).
  async follow(msg) {
    const ctx = contextOf(msg);
    const target = await ctx.getObject(msg.url);
    const follow = await ctx.followActor(target);
    return { sent: follow.id, targetType: short(target.type), undelivered: await settle() };
  },
  async unfollow(msg) {
    const ctx = contextOf(msg);
    const undo = await ctx.unfollowActor(await ctx.getObject(msg.url));
    return { sent: undo.id, undelivered: await settle() };
  },
  // Where the bot stands with an actor, as the server keeps it.
  async state(msg) {
    const ctx = contextOf(msg);
    const actor = await ctx.getObject(msg.url);
    return {
      following: await ctx.isFollowing(actor),
      pendingFollowing: await ctx.isPendingFollowing(actor),
      follower: await ctx.isFollower(actor),
    };
  },
  // A reply to a post (BotContext.sendReply: addressed and threaded from
  // the post the bot fetched).
  async reply(msg) {
    const ctx = contextOf(msg);
    const note = await ctx.sendReply(msg.text, await ctx.getObject(msg.url));
    return { note: await describeSent(note), undelivered: await settle() };
  },
  async like(msg) {
    const ctx = contextOf(msg);
    const like = await ctx.likeObject(await ctx.getObject(msg.url));
    return { sent: like.id, undelivered: await settle() };
  },
  // A note of the bot's own: public (to as:Public and the actors in `to`,
  // cc the bot's followers and the actors in `cc`) or direct (only to the
  // actors in `to`), mentioning the actors in `mentions`.
  //
  // Without mentions it is BotContext.sendNote. The framework turns
  // @user@host in a note's text into a Mention only through WebFinger over
  // https on a host without a port, which the test nodes (http://127.0.0.1:PORT)
  // cannot answer; so a note with mentions is the Note sendNote makes — its
  // HTML, an id of the server's form, a thread, the addressing — with the
  // Mention tags added, stored in the server's object storage and sent as the
  // bot's Create with BotContext.doActivity, the framework's API for
  // activities it has no shortcut for. Each mention is {actor, href}: href
  // "url" links the actor's profile page, as the framework's own mentions do
  // (its microsyntax takes the actor's `url`), anything else the actor's IRI.
  async note(msg) {
    const { text, visibility = "public", to = [], cc = [], mentions = [] } = msg;
    const bot = botOf(msg);
    const ctx = bot._context;
    const addressing = visibility === "public" ? { to: [PUBLIC, ...to], cc: [ctx.getFollowersId(), ...cc] } : { to };
    if (mentions.length === 0) {
      const note = await ctx.sendNote(text, addressing);
      return { note: await describeSent(note), undelivered: await settle() };
    }
    const tags = [];
    let html = escapeHTML(text);
    for (const m of mentions) {
      const actor = await (await ctx.getObject(m.actor)).export();
      const name = `@${field(actor, "preferredUsername")}@${new URL(iri(actor)).host}`;
      const href = (m.href === "url" && iri(field(actor, "url"))) || iri(actor);
      tags.push({ type: "Mention", name, href });
      html = html.split(escapeHTML(name)).join(`<a href="${escapeHTML(href)}" class="mention">${escapeHTML(name)}</a>`);
    }
    const id = app.locals.formatter.format({
      username: bot.username,
      type: "note",
      nanoid: randomBytes(16).toString("base64url").slice(0, 21),
    });
    const context = ["https://www.w3.org/ns/activitystreams", "https://purl.archive.org/socialweb/thread/1.0"];
    const note = await as2.import({
      "@context": context,
      type: "Note",
      id,
      attributedTo: ctx.botActorId,
      content: `<p>${html}</p>`,
      tag: tags,
      thread: `${id}/thread`,
      context: `${id}/thread`,
      published: new Date().toISOString(),
      ...addressing,
    });
    await app.locals.objectStorage.create(note);
    const create = await ctx.doActivity({ "@context": context, type: "Create", object: note, ...addressing });
    return { sent: create.id, note: await describeSent(note), undelivered: await settle() };
  },
};

function escapeHTML(s) {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// Commands run one after the other, in the order they came.
let queue = Promise.resolve();
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  queue = queue.then(async () => {
    const msg = JSON.parse(line);
    try {
      const command = commands[msg.cmd];
      if (!command) throw new Error(`unknown command ${msg.cmd}`);
      send({ id: msg.id, ...(await command(msg)) });
    } catch (e) {
      send({ id: msg.id, error: String(e?.stack ?? e) });
    }
  });
});
// The test closes stdin when it ends.
lines.on("close", () => {
  queue.then(async () => {
    server.close();
    await app.cleanup();
    process.exit(0);
  });
});
send({ ready: origin, bots: Object.fromEntries(Object.keys(bots).map((u) => [u, bots[u]._context.botActorId])) });
