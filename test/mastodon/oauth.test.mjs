// OAuth 2 as Mastodon apps use it, through masto.js and a real browser.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createOAuthAPIClient, createRestAPIClient } from "masto";
import { api, env, signIn } from "./lib.mjs";

test("an app signs a member in through the consent page (loopback redirect, PKCE)", async () => {
  const { client, token, app } = await signIn({ scopes: "read write" });
  assert.equal(token.tokenType, "Bearer");
  assert.equal(token.scope, "read write");
  assert.ok(token.accessToken && token.refreshToken);
  assert.ok(token.createdAt > 1e9);
  assert.ok(client);

  const verified = await api("/api/v1/apps/verify_credentials", { token: token.accessToken });
  assert.equal(verified.status, 200);
  assert.equal(verified.body.name, app.name);
  assert.equal(verified.body.client_secret, undefined);
});

test("masto.js verifies the app's credentials", async () => {
  const { client } = await signIn({ scopes: "read" });
  const app = await client.v1.apps.verifyCredentials();
  assert.equal(app.name, "masto.js tests");
});

test("an app without a redirect reads the code on the page (out of band)", async () => {
  const { token } = await signIn({ scopes: "read", outOfBand: true });
  assert.equal((await api("/api/v1/apps/verify_credentials", { token: token.accessToken })).status, 200);
});

test("a refreshed token works and the old one does not", async () => {
  const { url } = env();
  const { token, app } = await signIn({ scopes: "read" });
  const oauth = createOAuthAPIClient({ url });
  const fresh = await oauth.token.create({
    grantType: "refresh_token",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    refreshToken: token.refreshToken,
  });
  assert.notEqual(fresh.accessToken, token.accessToken);
  assert.equal(fresh.scope, "read");
  assert.equal((await api("/api/v1/apps/verify_credentials", { token: fresh.accessToken })).status, 200);
  assert.equal((await api("/api/v1/apps/verify_credentials", { token: token.accessToken })).status, 401);

  // The refresh token is used up too.
  const again = await api("/oauth/token", {
    body: { grant_type: "refresh_token", client_id: app.clientId, client_secret: app.clientSecret, refresh_token: token.refreshToken },
  });
  assert.equal(again.status, 400);
  assert.equal(again.body.error, "invalid_grant");
});

test("a revoked token fails with 401", async () => {
  const { url } = env();
  const { token, app } = await signIn({ scopes: "read" });
  await createOAuthAPIClient({ url }).revoke({ clientId: app.clientId, clientSecret: app.clientSecret, token: token.accessToken });
  const res = await api("/api/v1/apps/verify_credentials", { token: token.accessToken });
  assert.equal(res.status, 401);
  await assert.rejects(createRestAPIClient({ url, accessToken: token.accessToken }).v1.apps.verifyCredentials(), (err) => err.statusCode === 401);
});

test("the server's metadata names the endpoints (RFC 8414)", async () => {
  const { url } = env();
  const res = await api("/.well-known/oauth-authorization-server");
  assert.equal(res.status, 200);
  assert.equal(res.body.token_endpoint, new URL("/oauth/token", url).href);
  assert.deepEqual(res.body.code_challenge_methods_supported, ["S256"]);
});
