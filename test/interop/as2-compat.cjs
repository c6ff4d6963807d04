// activitypub-bot 0.51 asks for activitystrea.ms ^4.0.0, which the npm
// registry this project installs from does not serve: the newest it has is
// 3.1.0, which package.json pins with an override. 3.1.0 lacks four things
// that activitystrea.ms added in 3.2 and 3.3 and that activitypub-bot uses;
// this module adds them to 3.1.0, and must be loaded before activitypub-bot:
//
//   - AS2.registerContext(url, document): activitypub-bot preloads the
//     JSON-LD contexts it meets (security, FEP-5711, thread, ...) with it,
//     so that nothing is fetched from the network;
//   - every context loader reads from the registry registerContext fills
//     (3.1.0 gave compaction a loader of its own, which knew only the
//     ActivityStreams and security contexts);
//   - export({ useOriginalContext: true }) compacts with the document's own
//     @context (3.1.0 read a property the environment does not have, and
//     compacted everything to the bare ActivityStreams context: an actor's
//     publicKey came out as a full IRI, which no server reads);
//   - isActivity(): whether an object is an activity — of an Activity type,
//     or of types outside ActivityStreams and with an actor.
//
// Dates still come back as moment values (4.0 returns Date); activitypub-bot
// reads a date of a received activity only in its follow-back bot, which
// the interop peer does not use.
"use strict";

const { createRequire } = require("node:module");

// The copy activitypub-bot itself imports.
const fromBot = createRequire(require.resolve("@evanp/activitypub-bot"));
const fromAS2 = (path) => fromBot("activitystrea.ms/" + path);
const Loader = fromAS2("src/contextloader.js");
const Environment = fromAS2("src/environment.js");

// Before activitystrea.ms builds its own loaders (when it first loads).
if (require.cache[fromBot.resolve("activitystrea.ms/src/jsonld.js")]) {
  throw new Error("as2-compat.cjs must be loaded before activitystrea.ms");
}
const makeDocLoader = Loader.prototype.makeDocLoader;
Loader.prototype.makeDocLoader = function () {
  return makeDocLoader.call(Loader.defaultInstance);
};

if (!Object.getOwnPropertyDescriptor(Environment.prototype, "origContext")) {
  Object.defineProperty(Environment.prototype, "origContext", {
    get() {
      return this.originalContext;
    },
  });
}

const AS2 = fromAS2("src/activitystreams.js");
const Base = fromAS2("src/models/_base.js");
const reasoner = fromAS2("src/reasoner.js");
const vocab = createRequire(fromBot.resolve("activitystrea.ms"))("vocabs-as");

if (typeof AS2.registerContext !== "function") {
  AS2.registerContext = (url, document) => {
    Loader.defaultInstance.register(url, document);
  };
}

// Not enumerable, as a method of a class is: models embedded in a document
// the framework builds are copied property by property.
if (typeof Base.prototype.isActivity !== "function") {
  Object.defineProperty(Base.prototype, "isActivity", {
    configurable: true,
    writable: true,
    value: function isActivity() {
      const types = [].concat(this.type ?? []);
      if (types.some((t) => reasoner.node(t).is(vocab.Activity))) return true;
      if (types.some((t) => t.startsWith(vocab.ns))) return false; // a known kind of object
      return Boolean(this.has("actor"));
    },
  });
}
