// Helpers of the Mastodon client API tests: an app signs a member in the way
// a real Mastodon app does — it registers with masto.js, sends the member's
// browser (Debian's chromium, driven by playwright-core) through the node's
// own sign-in and consent pages with PKCE S256, catches the code at its
// loopback redirect (or reads it on the page, out of band) and trades it for
// a token at /oauth/token.
//
// The Go test (mastodon_test.go) starts the nodes and passes them in the
// environment: RUCHE_URL, RUCHE_USERNAME, RUCHE_PASSWORD, RUCHE_CHROMIUM;
// RUCHE_USERNAME_2 (a second member of the same node), RUCHE_SPACE (a space
// of the first member); RUCHE_URL_B and RUCHE_USERNAME_B (a member of
// another node). Every member has the password RUCHE_PASSWORD.

import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { createOAuthAPIClient, createRestAPIClient } from "masto";
import { chromium } from "playwright-core";

export const OUT_OF_BAND = "urn:ietf:wg:oauth:2.0:oob";

// masto.js 8's streaming client calls Promise.withResolvers (Node 22); the
// suite runs on Node 20, which has everything else it needs.
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

/** The node and the member the Go test made, from the environment. */
export function env() {
  const need = (name) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run these tests through go test ./test/mastodon`);
    return v;
  };
  return {
    url: need("RUCHE_URL"),
    username: need("RUCHE_USERNAME"),
    password: need("RUCHE_PASSWORD"),
    chromium: process.env.RUCHE_CHROMIUM || "/usr/bin/chromium",
    username2: process.env.RUCHE_USERNAME_2,
    space: process.env.RUCHE_SPACE,
    urlB: process.env.RUCHE_URL_B,
    usernameB: process.env.RUCHE_USERNAME_B,
  };
}

const base64url = (buf) => buf.toString("base64url");

/** A PKCE pair (RFC 7636, S256). */
export function pkce() {
  const verifier = base64url(randomBytes(48));
  const challenge = base64url(createHash("sha256").update(verifier).digest());
  return { verifier, challenge };
}

/**
 * A loopback listener for the redirect, as desktop apps use: resolves
 * `code` with the query of the first request to /callback.
 */
async function loopback() {
  let resolve;
  const query = new Promise((r) => (resolve = r));
  const server = createServer((req, res) => {
    const u = new URL(req.url, "http://127.0.0.1");
    if (u.pathname !== "/callback") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain" }).end("You may close this window.");
    resolve(u.searchParams);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return { uri: `http://127.0.0.1:${port}/callback`, query, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Sign a member in as a Mastodon app does, and return a masto.js client with
 * the member's token.
 *
 * @param {object} o
 * @param {string} [o.url] the node (default: RUCHE_URL)
 * @param {string} [o.username] default: RUCHE_USERNAME
 * @param {string} [o.password] default: RUCHE_PASSWORD
 * @param {string} [o.scopes] asked at the consent page (default "read write follow push")
 * @param {boolean} [o.outOfBand] read the code on the page instead of a redirect
 * @param {string} [o.appScopes] registered with the app (default: scopes)
 * @returns {Promise<{client: import("masto").mastodon.rest.Client, token: object, app: object}>}
 *   token is the /oauth/token answer (accessToken, refreshToken, scope,
 *   createdAt); app the registered app (clientId, clientSecret, ...).
 */
export async function signIn(o = {}) {
  const e = { ...env(), ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
  const scopes = o.scopes ?? "read write follow push";
  const listener = o.outOfBand ? null : await loopback();
  const redirectUri = listener ? listener.uri : OUT_OF_BAND;
  const browser = await chromium.launch({
    executablePath: e.chromium,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const app = await createRestAPIClient({ url: e.url }).v1.apps.create({
      clientName: "masto.js tests",
      redirectUris: [redirectUri],
      scopes: o.appScopes ?? scopes,
      website: "https://example.org/masto-tests",
    });
    const { verifier, challenge } = pkce();
    const state = base64url(randomBytes(12));
    const authorize = new URL("/oauth/authorize", e.url);
    authorize.search = new URLSearchParams({
      response_type: "code", client_id: app.clientId, redirect_uri: redirectUri, scope: scopes,
      state, code_challenge: challenge, code_challenge_method: "S256",
    }).toString();

    const page = await (await browser.newContext()).newPage();
    await page.goto(authorize.href);
    // The node's own sign-in page, which brings the member back.
    if (new URL(page.url()).pathname === "/login") {
      await page.fill('input[name="login"]', e.username);
      await page.fill('input[name="password"]', e.password);
      await Promise.all([page.waitForURL((u) => u.pathname === "/oauth/authorize"), page.click('form[action="/login"] button[type="submit"]')]);
    }
    const consent = page.locator('button[name="decision"][value="authorize"]');
    if ((await consent.count()) !== 1) {
      throw new Error(`no consent page at ${page.url()}:\n${(await page.content()).slice(0, 2000)}`);
    }
    let code;
    if (listener) {
      await consent.click();
      const q = await withTimeout(listener.query, 15000, "the redirect to the app");
      if (q.get("state") !== state) throw new Error(`state ${q.get("state")}, want ${state}`);
      code = q.get("code");
    } else {
      await Promise.all([page.waitForSelector("#oauth-code"), consent.click()]);
      code = (await page.textContent("#oauth-code")).trim();
    }
    if (!code) throw new Error("the node gave no code");

    const token = await createOAuthAPIClient({ url: e.url }).token.create({
      grantType: "authorization_code",
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUri,
      code,
      codeVerifier: verifier,
    });
    return { client: createRestAPIClient({ url: e.url, accessToken: token.accessToken }), token, app };
  } finally {
    await browser.close();
    await listener?.close();
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A raw request to the node with a bearer token, for what masto.js does not
 * cover: returns {status, headers, body} with body parsed as JSON when it is.
 *
 * @param {string} path e.g. "/api/v1/apps/verify_credentials"
 * @param {object} [o] {token, method, body (object: sent as JSON, or URLSearchParams), url}
 */
export async function api(path, o = {}) {
  const headers = {};
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  let body = o.body;
  if (body && !(body instanceof URLSearchParams) && typeof body === "object") {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const res = await fetch(new URL(path, o.url ?? env().url), { method: o.method ?? (body ? "POST" : "GET"), headers, body });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/**
 * Wait until check() returns a truthy value (federation is asynchronous:
 * deliveries go through the nodes' queues), and return it.
 */
export async function eventually(what, check, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
