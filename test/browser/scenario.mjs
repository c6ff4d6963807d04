// The browser scenario of the web interface, run against a real node by
// browser_test.go (which starts `ruche serve` and passes its address and the
// setup link from its log). Each step asserts what a person sees; axe-core
// checks every page visited, in the light and the dark theme; screenshots at
// 1280 and 390 px wide go to RUCHE_RESULTS.
//
//   RUCHE_URL=http://127.0.0.1:PORT RUCHE_SETUP_URL=… RUCHE_RESULTS=dir node scenario.mjs

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const base = mustEnv("RUCHE_URL");
const setupURL = mustEnv("RUCHE_SETUP_URL");
const results = mustEnv("RUCHE_RESULTS");
mkdirSync(results, { recursive: true });

const admin = { username: "claire", email: "claire@ville-a.example", password: "une phrase de passe solide", name: "Claire Martin" };
const member = { username: "yann", email: "yann@ville-a.example", password: "correct horse battery", newPassword: "another long passphrase", name: "Yann Le Goff" };

function mustEnv(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

let shot = 0;
const problems = [];

function check(cond, what) {
  if (!cond) throw new Error("assertion failed: " + what);
  console.log("ok -", what);
}

async function expectText(page, text, what) {
  const body = await page.locator("body").innerText();
  check(body.includes(text), `${what}: page shows “${text}”`);
}

// visit checks the page in place: axe-core in both themes, no CSP violation,
// then screenshots at both widths.
async function audit(page, name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    await page.evaluate(axeSource); // evaluated by the debugger protocol: the page's CSP still applies to the page itself
    const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    for (const v of res.violations) {
      problems.push(`${name} (${scheme}): ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    }
  }
  await page.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });
  shot++;
  const prefix = path.join(results, `${String(shot).padStart(2, "0")}-${name}`);
  const size = page.viewportSize();
  await page.screenshot({ path: `${prefix}-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${prefix}-390.png`, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  if (overflow) problems.push(`${name}: the page is wider than a 390 px screen`);
  await page.setViewportSize(size);
  const html = await page.content();
  if (html.length > 100_000) problems.push(`${name}: HTML is ${html.length} bytes (limit 100 KB)`);
}

async function newPage(browser, locale) {
  // Reduced motion: no transition is half-way when axe measures colours.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale, reducedMotion: "reduce" });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    // An error page's own status is logged as a failed load: that is expected.
    if (msg.text().startsWith("Failed to load resource") && msg.location().url === page.url()) return;
    problems.push(`console error on ${page.url()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`script error on ${page.url()}: ${err.message}`));
  page.on("dialog", (d) => d.accept());
  return page;
}

async function submit(page, buttonText) {
  await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: buttonText, exact: true }).click()]);
}

const browser = await chromium.launch({
  executablePath: process.env.RUCHE_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});

try {
  // 1. First run: the admin opens the link the node printed in its log.
  const a = await newPage(browser, "fr-FR");
  await a.goto(base + "/");
  await expectText(a, "Se connecter", "home page for visitors in French");
  await audit(a, "home-visitor");

  await a.goto(setupURL);
  await expectText(a, "Configurer votre nœud", "setup page");
  await audit(a, "setup");
  await a.getByLabel("Nom", { exact: true }).fill(admin.name);
  await a.getByLabel("Nom d’utilisateur").fill(admin.username);
  await a.getByLabel("Adresse e-mail").fill(admin.email);
  await a.getByLabel("Mot de passe").fill("court");
  await submit(a, "Créer le compte administrateur");
  await expectText(a, "Le mot de passe doit compter au moins 10 caractères", "setup refuses a short password");
  check(await a.evaluate(() => document.activeElement?.classList.contains("error-summary")), "the error summary has the focus");
  await audit(a, "setup-error");
  await a.getByLabel("Mot de passe").fill(admin.password);
  await submit(a, "Créer le compte administrateur");
  check(a.url().endsWith("/onboarding/profile"), "the new admin lands on the onboarding");
  await submit(a, "Passer l’introduction");
  await expectText(a, "Bienvenue, Claire Martin", "admin home");
  await audit(a, "home-admin");

  // 2. The admin invites a member.
  await a.goto(base + "/admin/invitations");
  await a.getByLabel("Pour qui").fill("Yann, service numérique");
  await submit(a, "Créer le lien d’invitation");
  await expectText(a, "Lien d’invitation créé", "invitation created");
  const inviteLink = (await a.locator("#invite-link").innerText()).trim();
  check(inviteLink.startsWith(base + "/register?invite="), "the invitation link is shown once");
  await audit(a, "admin-invitations");

  // 3. The member registers with the link, in French (their browser's language).
  const m = await newPage(browser, "fr-FR");
  await m.goto(inviteLink);
  await expectText(m, "Créer votre compte", "registration page");
  await audit(m, "register");
  await m.getByLabel("Nom", { exact: true }).fill(member.name);
  await m.getByLabel("Nom d’utilisateur").fill(member.username);
  await m.getByLabel("Adresse e-mail").fill(member.email);
  await m.getByLabel("Mot de passe").fill(member.password);
  await submit(m, "Créer mon compte");
  check(m.url().endsWith("/onboarding/profile"), "the new member starts the onboarding");

  // 4. Onboarding: profile, language (German), how to be followed.
  await audit(m, "onboarding-profile");
  await m.getByLabel("Présentation").fill("Chef de projet numérique, Ville A.");
  await submit(m, "Continuer");
  check(m.url().endsWith("/onboarding/language"), "second step: language");
  await audit(m, "onboarding-language");
  await m.getByLabel("Deutsch").check();
  await submit(m, "Continuer");
  check(m.url().endsWith("/onboarding/follow"), "third step: following from Mastodon");
  await expectText(m, "Aus Mastodon gefolgt werden", "the onboarding continues in German");
  await expectText(m, "@yann@", "the member's fediverse address");
  await audit(m, "onboarding-follow");
  await submit(m, "Fertig");
  await expectText(m, "Willkommen, Yann Le Goff", "home page in German");
  await expectText(m, "Alles bereit", "onboarding done");
  check((await m.locator("html").getAttribute("lang")) === "de", "the page says it is German");
  await audit(m, "home-member");

  // 5. Profile and settings pages.
  await m.goto(base + "/@yann");
  await expectText(m, "Chef de projet numérique, Ville A.", "public profile shows the bio");
  await audit(m, "profile");
  await m.goto(base + "/settings");
  await audit(m, "settings-profile");
  await m.goto(base + "/settings/sessions");
  await expectText(m, "Dieses Gerät", "sessions list marks this device");
  await audit(m, "settings-sessions");

  // 6. Password change.
  await m.goto(base + "/settings/password");
  await m.getByLabel("Aktuelles Passwort").fill("not my password");
  await m.getByLabel("Neues Passwort").fill(member.newPassword);
  await submit(m, "Passwort ändern");
  await expectText(m, "Das aktuelle Passwort ist falsch", "a wrong current password is refused, in German");
  await audit(m, "settings-password-error");
  await m.getByLabel("Aktuelles Passwort").fill(member.password);
  await m.getByLabel("Neues Passwort").fill(member.newPassword);
  await submit(m, "Passwort ändern");
  await expectText(m, "Ihr Passwort ist geändert", "password changed");

  // 7. Sign out, then in again with the new password.
  await submit(m, "Abmelden");
  await expectText(m, "Sie sind abgemeldet", "signed out; the language stays German");
  await audit(m, "login");
  await m.getByLabel("Benutzername oder E-Mail-Adresse").fill(member.username);
  await m.getByLabel("Passwort", { exact: true }).fill(member.password);
  await submit(m, "Anmelden");
  await expectText(m, "Benutzername oder Passwort ist falsch", "the old password no longer works");
  await m.getByLabel("Passwort", { exact: true }).fill(member.newPassword);
  await submit(m, "Anmelden");
  await expectText(m, "Willkommen, Yann Le Goff", "signed in with the new password");
  await submit(m, "Abmelden");

  // 8. The admin suspends the member, who can no longer sign in.
  await a.goto(base + "/admin/members");
  await expectText(a, "Yann Le Goff", "members list");
  await audit(a, "admin-members");
  await a.getByRole("link", { name: "Yann Le Goff" }).click();
  await a.waitForLoadState("load");
  await audit(a, "admin-member");
  await submit(a, "Suspendre ce membre");
  await expectText(a, "Le membre est suspendu", "member suspended");
  await m.getByLabel("Benutzername oder E-Mail-Adresse").fill(member.username);
  await m.getByLabel("Passwort", { exact: true }).fill(member.newPassword);
  await submit(m, "Anmelden");
  await expectText(m, "Dieses Konto ist gesperrt", "a suspended member cannot sign in");

  // 9. Pages anyone may reach.
  await m.goto(base + "/password/forgot");
  await audit(m, "forgot");
  await m.goto(base + "/no/such/page");
  await expectText(m, "Seite nicht gefunden", "404 page, translated");
  await audit(m, "not-found");
  await submit(m, "English");
  await expectText(m, "Page not found", "the language switcher works for visitors");
} finally {
  await browser.close();
}

if (problems.length) {
  console.error(`\n${problems.length} problem(s):\n` + problems.map((p) => "  - " + p).join("\n"));
  process.exit(1);
}
console.log(`\nscenario passed: ${shot} pages checked with axe-core, screenshots in ${results}`);
