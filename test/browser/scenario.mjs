// The browser scenario of the web interface, run against a real node by
// browser_test.go (which starts `ruche serve` and passes its address and the
// setup link from its log). Each step asserts what a person sees; axe-core
// checks every page visited, in the light and the dark theme, and the main
// pages again on a 360 px phone; no page is wider than a phone; the web app
// manifest installs. Screenshots at 1280 and 390 px wide (and 360 for the
// main pages) go to RUCHE_RESULTS.
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
  // French puts a no-break space before colons: text is compared with plain spaces.
  const body = (await page.locator("body").innerText()).replace(/[\u00a0\u202f]/g, " ");
  check(body.includes(text), `${what}: page shows “${text}”`);
}

// axe runs axe-core on the page as it is laid out, in both themes.
async function axe(page, name) {
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: "reduce" });
    await page.evaluate(axeSource); // evaluated by the debugger protocol: the page's CSP still applies to the page itself
    const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    for (const v of res.violations) {
      problems.push(`${name} (${scheme}): ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
    }
  }
  await page.emulateMedia({ colorScheme: "light", reducedMotion: "reduce" });
}

// audit checks the page in place: axe-core in both themes, no CSP violation,
// no sideways scrolling on a phone, then screenshots at both widths. A main
// page (phone: true) is checked by axe-core at 360 px too, the narrowest
// phones in common use, where the header and forms are laid out otherwise.
async function audit(page, name, { phone = false } = {}) {
  await axe(page, name);
  shot++;
  const prefix = path.join(results, `${String(shot).padStart(2, "0")}-${name}`);
  const size = page.viewportSize();
  await page.screenshot({ path: `${prefix}-1280.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `${prefix}-390.png`, fullPage: true });
  for (const width of [390, 360]) {
    if (width !== 390) await page.setViewportSize({ width, height: 800 });
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    if (scroll > inner) problems.push(`${name}: the page is ${scroll} px wide on a ${width} px screen`);
    for (const what of await page.evaluate(stickingOut)) problems.push(`${name}: at ${width} px, ${what}`);
  }
  if (phone) {
    await axe(page, `${name} at 360 px`);
    await page.screenshot({ path: `${prefix}-360.png`, fullPage: true });
  }
  await page.setViewportSize(size);
  const html = await page.content();
  if (html.length > 100_000) problems.push(`${name}: HTML is ${html.length} bytes (limit 100 KB)`);
}

// stickingOut runs in the page: it names the elements that stick out of the
// main column sideways (the outermost of each). The page may be no wider than
// the screen while a button overflows its card into the margin. What scrolls
// or is clipped in a box of its own (a wide table) is left alone, and so is
// what is hidden but for screen readers.
function stickingOut() {
  const out = [];
  const main = document.querySelector(".site-main");
  const cs = getComputedStyle(main);
  const r = main.getBoundingClientRect();
  const left = r.left + parseFloat(cs.paddingLeft), right = r.right - parseFloat(cs.paddingRight);
  const reported = new Set();
  for (const el of main.querySelectorAll("*")) {
    const e = el.getBoundingClientRect();
    if (e.width <= 1 || e.height <= 1 || (e.left >= left - 1 && e.right <= right + 1)) continue;
    if (reported.has(el.parentElement)) { reported.add(el); continue; }
    let clipped = false;
    for (let p = el.parentElement; p && p !== main; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") { clipped = true; break; }
    }
    if (clipped) continue;
    reported.add(el);
    const cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "";
    out.push(`${el.tagName.toLowerCase()}${cls} sticks out of the column (${Math.round(e.left)}–${Math.round(e.right)} px, column ${Math.round(left)}–${Math.round(right)})`);
  }
  return out;
}

// installable checks what a phone needs to put the node on its home screen:
// the page links the manifest and an iOS icon, the manifest is JSON naming
// the node, its icons are served as what it says they are, and chromium finds
// nothing that keeps it from installing the app (but the private window the
// scenario runs in). It returns the manifest.
async function installable(page) {
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  check(href === "/manifest.webmanifest", "the page links the web app manifest");
  const res = await page.request.get(new URL(href, page.url()).href);
  check(res.status() === 200, "the manifest is served");
  check(res.headers()["content-type"] === "application/manifest+json", "the manifest says what it is");
  const manifest = JSON.parse(await res.text());
  const name = (await page.locator(".brand__name").innerText()).trim();
  check(manifest.name === name && manifest.start_url === "/" && manifest.display === "standalone", "the manifest opens the node, by its name, in a window of its own");
  const icons = manifest.icons.map((i) => ({ src: i.src, type: i.type }));
  check(icons.some((i) => i.type === "image/png") && manifest.icons.some((i) => i.purpose === "maskable"), "the manifest has PNG and maskable icons");
  icons.push({ src: await page.locator('link[rel="apple-touch-icon"]').getAttribute("href"), type: "image/png" });
  for (const icon of icons) {
    const r = await page.request.get(new URL(icon.src, page.url()).href);
    check(r.status() === 200 && r.headers()["content-type"] === icon.type, `the icon ${icon.src} is served as ${icon.type}`);
  }
  const cdp = await page.context().newCDPSession(page);
  const parsed = await cdp.send("Page.getAppManifest");
  check(parsed.errors.length === 0 && new URL(parsed.url).pathname === href, "chromium reads the manifest without an error");
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  const blocking = installabilityErrors.map((e) => e.errorId).filter((id) => id !== "in-incognito");
  check(blocking.length === 0, `chromium would install the app (${blocking.join(", ") || "nothing in the way"})`);
  await cdp.detach();
  return manifest;
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

// signOut opens the account menu and signs out.
async function signOut(page, buttonText) {
  await page.locator("details.account-menu > summary").click();
  await submit(page, buttonText);
}

// checklistPDF is a small valid PDF, as a member would attach.
// avatarPNG is a 48×48 checkered image.
function avatarPNG() {
  return Buffer.from("iVBORw0KGgoAAAANSUhEUgAAADAAAAAwCAIAAADYYG7QAAAAUUlEQVR42u3XsQ0AIAgEQPexdSyH09WcwBGQxGhzydfPdUCpfYRZs4W51VOAgICAgICSoJfDTnqAgICAgICyINseCAgICMhf5vwAAgICAvoK2nClB9O3qM3DAAAAAElFTkSuQmCC", "base64");
}

function checklistPDF() {
  return Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
}

async function submit(page, buttonText) {
  await clickAndLoad(page, page.getByRole("button", { name: buttonText, exact: true }));
}

// clickAndLoad clicks and waits for the page that the click loads. The
// listener is set before the click: waiting for a load state afterwards
// would find the former page already loaded and return at once.
async function clickAndLoad(page, locator) {
  const loaded = page.waitForEvent("load");
  await locator.click();
  await loaded;
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
  await audit(a, "home-visitor", { phone: true });
  await installable(a);

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
  await expectText(a, "Vos espaces", "admin home");

  // 2. The admin creates two spaces: an open one in two languages, and one
  // that takes members on approval.
  await a.goto(base + "/spaces");
  await expectText(a, "Il n’y a encore aucun espace", "empty directory");
  await clickAndLoad(a, a.getByRole("link", { name: "Créer un espace" }).first());
  await audit(a, "space-new");
  await a.getByLabel("Nom", { exact: true }).fill("Restauration scolaire");
  await a.getByLabel("Adresse", { exact: true }).fill("cantines");
  await a.getByLabel("Description", { exact: true }).fill("Les cuisiniers et gestionnaires des cantines des collèges et lycées échangent leurs pratiques : allergies, menus, gaspillage, approvisionnement local.");
  await a.getByLabel("Règles", { exact: true }).fill("1. Bienveillance.\n2. Pas de données personnelles d’élèves.\n3. Citez vos sources.");
  await a.getByLabel("Thèmes", { exact: true }).fill("restauration, santé, circuits-courts");
  await a.getByLabel("Anglais", { exact: true }).check();
  await submit(a, "Créer l’espace");
  await expectText(a, "Votre espace est prêt", "space created");
  check(a.url().endsWith("/spaces/cantines"), "the new space's page");
  await a.getByLabel("Votre message").fill("Bienvenue dans l’espace **Restauration scolaire** ! Présentez-vous en commentaire : votre établissement, votre rôle, un sujet qui vous tient à cœur.");
  await expectText(a, "Tout le monde peut le lire", "the composer says who will read the post");
  await submit(a, "Publier");
  await expectText(a, "Publié.", "the welcome post is published");
  await expectText(a, "Présentez-vous en commentaire", "the post is in the space's feed");
  await a.goto(base + "/spaces/new");
  await a.getByLabel("Nom", { exact: true }).fill("DSI des collectivités");
  await a.getByLabel("Adresse", { exact: true }).fill("dsi");
  await a.getByLabel("Description", { exact: true }).fill("Directeurs et directrices des systèmes d’information des villes, intercommunalités, départements et régions.");
  await a.getByLabel("Thèmes", { exact: true }).fill("numérique, souveraineté");
  await a.getByLabel(/Sur validation/).check();
  await submit(a, "Créer l’espace");
  await expectText(a, "Votre espace est prêt", "second space created");

  // 3. The admin invites a member.
  await a.goto(base + "/admin/invitations");
  await a.getByLabel("Pour qui").fill("Yann, service numérique");
  await submit(a, "Créer le lien d’invitation");
  await expectText(a, "Lien d’invitation créé", "invitation created");
  const inviteLink = (await a.locator("#invite-link").innerText()).trim();
  check(inviteLink.startsWith(base + "/register?invite="), "the invitation link is shown once");
  await audit(a, "admin-invitations");

  // 4. The member registers with the link, in French (their browser's language).
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

  // 5. Onboarding: profile, language, suggested spaces (joins the open one), address.
  await audit(m, "onboarding-profile");
  await m.getByLabel("Présentation").fill("Chef de cuisine au collège Jean-Moulin, Ville A.");
  await submit(m, "Continuer");
  check(m.url().endsWith("/onboarding/language"), "second step: language");
  await audit(m, "onboarding-language");
  await submit(m, "Continuer");
  check(m.url().endsWith("/onboarding/spaces"), "third step: suggested spaces");
  await expectText(m, "Rejoignez vos premiers espaces", "suggested spaces step");
  await expectText(m, "Restauration scolaire", "the open space is suggested");
  await expectText(m, "DSI des collectivités", "the approval space is suggested");
  await audit(m, "onboarding-spaces");
  await submit(m, "Rejoindre Restauration scolaire");
  await expectText(m, "Vous avez rejoint", "joined from the onboarding");
  check(m.url().endsWith("/onboarding/spaces"), "back on the suggestions after joining");
  await submit(m, "Continuer");
  check(m.url().endsWith("/onboarding/follow"), "fourth step: following from Mastodon");
  await expectText(m, "@yann@", "the member's fediverse address");
  await audit(m, "onboarding-follow");
  await submit(m, "Terminer");
  await expectText(m, "Tout est prêt", "onboarding done");
  await expectText(m, "Présentez-vous en commentaire", "the home feed shows the joined space's posts");
  await audit(m, "home-member", { phone: true });

  // 6. The member asks to join the approval space from the directory.
  await m.goto(base + "/spaces");
  await audit(m, "spaces-directory", { phone: true });
  await submit(m, "Demander à rejoindre DSI des collectivités");
  await expectText(m, "Votre demande est envoyée", "request sent");
  await expectText(m, "Demande envoyée", "the space shows the pending request");

  // 7. The moderator sees the request in the header count, and accepts it.
  await a.goto(base + "/");
  check((await a.locator(".nav-notifications .count").innerText()).trim() === "1", "the admin has one unread notification");
  await a.goto(base + "/notifications");
  await expectText(a, "Yann Le Goff demande à rejoindre DSI des collectivités", "the request's notification");
  await audit(a, "notifications", { phone: true });
  await clickAndLoad(a, a.getByRole("link", { name: "Yann Le Goff demande à rejoindre DSI des collectivités" }));
  await audit(a, "space-requests");
  await submit(a, "Accepter Yann Le Goff");
  await expectText(a, "La demande est acceptée", "request accepted");
  await m.goto(base + "/notifications");
  await expectText(m, "Vous êtes désormais membre de DSI des collectivités", "the member is told");

  // 8. The member writes a bilingual article with a PDF attachment.
  await m.goto(base + "/spaces/cantines");
  await audit(m, "space", { phone: true });
  await clickAndLoad(m, m.getByRole("link", { name: "Rédiger un article" }).first());
  await expectText(m, "Nouvel article de bonnes pratiques", "article composer");
  check(await m.getByRole("tab", { name: "Français" }).getAttribute("aria-selected") === "true", "the main language's tab is open");
  await m.locator("#f-title_fr").fill("Gérer les allergies alimentaires à la cantine");
  await m.locator("#f-summary_fr").fill("Une méthode en quatre étapes, testée dans douze collèges, pour accueillir les élèves allergiques sans stress.");
  await m.locator("#f-body_fr").fill("## Pourquoi\n\nUn élève sur vingt a une **allergie alimentaire**. Voici ce qui a marché chez nous.\n\n## Les étapes\n\n1. Recenser les PAI avec l’infirmière\n2. Étiqueter chaque plat\n3. Former l’équipe\n4. Prévenir les familles\n\nLa liste de contrôle est jointe. #allergies");
  await m.locator("#preview-fr strong").first().waitFor();
  check((await m.locator("#preview-fr").innerText()).includes("allergie alimentaire"), "the live preview shows the text rendered");
  await m.getByRole("tab", { name: "Anglais" }).click();
  await m.locator("#f-title_en").fill("Handling food allergies in the canteen");
  await m.locator("#f-summary_en").fill("A four-step method, tried in twelve schools, to welcome allergic pupils calmly.");
  await m.locator("#f-body_en").fill("## Why\n\nOne pupil in twenty has a **food allergy**. Here is what worked for us.\n\n1. List the care plans with the nurse\n2. Label every dish\n3. Train the team\n4. Tell the families");
  await m.getByLabel("Thèmes", { exact: true }).fill("restauration, santé");
  await m.getByLabel("S’applique à (facultatif)").fill("collèges et lycées");
  await m.getByLabel("Fichiers à joindre").setInputFiles({ name: "checklist-allergies.pdf", mimeType: "application/pdf", buffer: checklistPDF() });
  await audit(m, "compose-article", { phone: true });
  let uploads = 0;
  m.on("request", (req) => { if (req.resourceType() === "xhr" && req.url().endsWith("/compose")) uploads++; });
  await m.getByRole("button", { name: "Publier", exact: true }).click();
  await m.getByText("Publié.").waitFor();
  check(uploads === 1, "the article and its file went through the upload with a progress bar");
  check(/\/posts\/[0-9A-Z]{26}$/.test(m.url()), "the article's own page");
  const articleURL = m.url();
  await expectText(m, "Gérer les allergies alimentaires à la cantine", "the article in French, the author's language");
  await expectText(m, "checklist-allergies.pdf", "the attachment is listed");
  await expectText(m, "S’applique à : collèges et lycées", "to whom it applies");
  await audit(m, "article", { phone: true });
  const pdfLink = m.getByRole("link", { name: /checklist-allergies\.pdf/ });
  const res = await m.request.get(new URL(await pdfLink.getAttribute("href"), base).href);
  check(res.ok() && (await res.body()).subarray(0, 5).toString() === "%PDF-", "the PDF downloads");

  // 9. Another member (the admin) likes and comments; reads it in English.
  await a.goto(articleURL);
  await submit(a, "J’aime");
  check(await a.getByRole("button", { name: /J’aime/ }).first().getAttribute("aria-pressed") === "true", "the like is shown");
  await a.getByLabel("Votre commentaire").fill("Merci Yann, très utile ! Nous faisons pareil avec des plateaux de couleur.");
  await submit(a, "Commenter");
  await expectText(a, "Votre commentaire est publié", "comment published");
  await expectText(a, "plateaux de couleur", "the comment is shown");
  await clickAndLoad(a, a.getByRole("link", { name: "Anglais" }));
  await expectText(a, "Handling food allergies in the canteen", "the reader switched the article to English");
  check((await a.locator(".post__body--full").getAttribute("lang")) === "en", "the text says it is English");
  await audit(a, "article-english");

  // Pictures for the README (docs/): the member's home, the space, the article.
  for (const [name, where] of [["home", "/"], ["space", "/spaces/cantines"], ["article", new URL(articleURL).pathname]]) {
    await m.goto(base + where);
    await m.screenshot({ path: path.join(results, `readme-${name}.png`), fullPage: true });
  }

  // 9b. The member announces a workshop from the web form, in the space's
  // time zone, registers, and finds it in the space's events tab and in
  // their agenda, where they make their private calendar address.
  await m.goto(base + "/spaces/cantines/events");
  await expectText(m, "Aucun événement à venir", "the events tab, empty");
  await clickAndLoad(m, m.getByRole("link", { name: "Nouvel événement" }).first());
  await expectText(m, "Nouvel événement", "event composer");
  await m.locator("#f-title_fr").fill("Atelier allergies");
  await m.locator("#f-body_fr").fill("Retours d’expérience sur les **PAI** et l’étiquetage des plats. Apportez vos fiches !");
  const day = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  await m.getByLabel("Début", { exact: true }).fill(`${day}T14:00`);
  await m.getByLabel("Fin", { exact: true }).fill(`${day}T12:00`);
  check(await m.getByLabel("Fuseau horaire").inputValue() === "Europe/Paris", "a French member's event starts in Paris time");
  await m.getByLabel("Lieu", { exact: true }).fill("Collège Jean-Moulin, salle polyvalente");
  await m.getByLabel("Adresse", { exact: true }).fill("12 rue des Écoles\n69000 Lyon");
  await m.getByLabel("Places", { exact: true }).fill("20");
  await audit(m, "compose-event", { phone: true });
  await m.getByRole("button", { name: "Publier", exact: true }).click();
  await m.locator(".error-summary").waitFor();
  await expectText(m, "Un événement se termine après son début", "an end before the start is refused on its field");
  check(await m.locator("#f-ends_at").getAttribute("aria-invalid") === "true", "the end field says it is wrong");
  await audit(m, "compose-event-error");
  await m.getByLabel("Fin", { exact: true }).fill(`${day}T16:00`);
  await m.getByRole("button", { name: "Publier", exact: true }).click();
  await m.getByText("Publié.").waitFor();
  await expectText(m, "14:00 – 16:00 (Europe/Paris)", "the event's time in its own zone");
  await clickAndLoad(m, m.getByRole("button", { name: /^S’inscrire/ }).first());
  await expectText(m, "Vous êtes inscrit", "registered");
  await expectText(m, "Vous participez", "the event says the member goes");
  await expectText(m, "1 participant · 19 places restantes", "the places left");
  await audit(m, "event", { phone: true });
  await m.goto(base + "/spaces/cantines/events");
  await expectText(m, "Atelier allergies", "the events tab lists the workshop");
  check(await m.getByRole("link", { name: "Événements" }).first().getAttribute("aria-current") === "page", "the events tab is the current one");
  await expectText(m, base + "/spaces/cantines/calendar.ics", "the space's calendar address");
  await audit(m, "space-events");
  await clickAndLoad(m, m.getByRole("link", { name: "Agenda", exact: true }));
  await expectText(m, "Mon agenda", "the agenda page");
  await expectText(m, "Atelier allergies", "the agenda lists the workshop");
  await expectText(m, "gardez-la pour vous", "the agenda says the address is private");
  await audit(m, "agenda");
  await submit(m, "Créer mon adresse privée");
  check((await m.getByLabel("Votre adresse privée").inputValue()).startsWith(base + "/calendar/"), "the private calendar address, shown once");
  await audit(m, "agenda-calendar");
  await m.goto(base + "/spaces/cantines/events");
  await m.screenshot({ path: path.join(results, "readme-events.png"), fullPage: true });

  // 9b'. The member proposes a question for the space's FAQ; the admin, who
  // created the space, answers it from the proposals; the FAQ shows it.
  await m.goto(base + "/spaces/cantines/faq");
  await expectText(m, "Elle n’a pas encore de question", "the FAQ, empty, says what it is for");
  const question = "Comment signaler une allergie découverte en cours d’année ?";
  await m.getByLabel("Votre question").fill(question);
  await submit(m, "Proposer");
  await expectText(m, "Question envoyée aux modérateurs", "the question is sent");
  await expectText(m, "en attente de réponse", "the member sees it waiting");
  await a.goto(base + "/spaces/cantines/faq");
  await expectText(a, question, "the admin sees the proposal");
  await clickAndLoad(a, a.getByRole("link", { name: /^Répondre/ }).first());
  await expectText(a, "Répondre à une question", "the entry form answers the proposal");
  check(await a.locator("#f-title_fr").inputValue() === question, "the question fills the form");
  await a.locator("#f-body_fr").fill("Prévenez la cuisine **le jour même** avec la fiche PAI ; l’infirmière la met à jour.");
  await a.getByLabel("Catégorie", { exact: true }).fill("Allergies");
  await audit(a, "compose-faq");
  await a.getByRole("button", { name: "Publier", exact: true }).click();
  await a.getByText("Publié.").waitFor();
  check(new URL(a.url()).pathname === "/spaces/cantines/faq", "back on the FAQ");
  await expectText(a, "Aucune question n’attend de réponse", "the proposal is closed");
  await audit(a, "space-faq-moderator");
  await m.goto(base + "/notifications");
  await expectText(m, "Votre question a reçu une réponse dans la FAQ de Restauration scolaire", "the member is told");
  await m.goto(base + "/spaces/cantines/faq");
  check(await m.getByRole("link", { name: "FAQ" }).first().getAttribute("aria-current") === "page", "the FAQ tab is the current one");
  await expectText(m, "Allergies", "the FAQ shows the category");
  await m.locator("summary", { hasText: question }).click();
  await expectText(m, "le jour même", "the member reads the answer");
  await expectText(m, "répondue : lire la réponse", "their question says it was answered");
  await audit(m, "space-faq");
  await m.screenshot({ path: path.join(results, "readme-faq.png"), fullPage: true });

  // 9b''. The member files the minutes in a new folder of the space's
  // documents, then a corrected version under the same name; the document's
  // page lists both versions, and the first can still be downloaded.
  await m.goto(base + "/spaces/cantines/documents");
  await expectText(m, "Ce dossier est vide", "the documents tab, empty");
  await audit(m, "space-documents-empty");
  await m.getByLabel("Nom du dossier").fill("Comptes rendus");
  await submit(m, "Créer le dossier");
  await expectText(m, "Le dossier est créé", "the folder is made");
  check(new URL(m.url()).searchParams.get("folder") === "Comptes rendus", "the new folder is open");
  const minutes = (text) => Buffer.from("%PDF-1.4\n% " + text + "\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
    "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");
  await m.getByLabel("Fichier", { exact: true }).setInputFiles({ name: "reunion-mars.pdf", mimeType: "application/pdf", buffer: minutes("v1") });
  await m.getByLabel("Description (facultative)").fill("Le compte rendu de la réunion de **mars**.");
  let documentUploads = 0;
  const countUploads = (req) => { if (req.resourceType() === "xhr" && req.url().endsWith("/spaces/cantines/documents")) documentUploads++; };
  m.on("request", countUploads);
  await m.getByRole("button", { name: "Déposer", exact: true }).click();
  await m.getByText("Le fichier est déposé.").waitFor();
  m.off("request", countUploads);
  check(documentUploads === 1, "the file went up with its progress shown (XMLHttpRequest)");
  await expectText(m, "Version 1", "the document's first version");
  await m.goto(base + "/spaces/cantines/documents?folder=" + encodeURIComponent("Comptes rendus"));
  await m.getByLabel("Fichier", { exact: true }).setInputFiles({ name: "reunion-mars.pdf", mimeType: "application/pdf", buffer: minutes("v2, corrected") });
  await m.getByRole("button", { name: "Déposer", exact: true }).click();
  await m.getByText("Le fichier est déposé.").waitFor();
  await expectText(m, "Version 2", "the same name made a second version");
  const documentURL = m.url();
  check(await m.locator("#versions tbody tr").count() === 2, "the document lists its two versions");
  await expectText(m, "actuelle", "the current version is marked");
  const first = await m.request.get(documentURL.replace(/#.*$/, "") + "/versions/1");
  check(first.ok() && (await first.text()).includes("% v1"), "the first version still downloads");
  await audit(m, "space-document");
  await m.goto(base + "/spaces/cantines/documents?folder=" + encodeURIComponent("Comptes rendus"));
  await expectText(m, "reunion-mars.pdf", "the folder lists the document");
  check(await m.getByRole("link", { name: "Documents", exact: true }).first().getAttribute("aria-current") === "page", "the documents tab is the current one");
  await audit(m, "space-documents");
  await m.screenshot({ path: path.join(results, "readme-documents.png"), fullPage: true });
  // 9b-wiki. The member starts the space's wiki: a page linking to one not
  // written yet, which the link marks and leads to its editor; an edit with
  // its summary; the history and what changed.
  await m.goto(base + "/spaces/cantines/wiki");
  await expectText(m, "Il n’a encore aucune page", "the wiki, empty, says what it is for");
  await audit(m, "space-wiki-empty");
  await m.getByLabel("Nom de la page").fill("Protocole allergies");
  await submit(m, "Créer");
  await expectText(m, "Nouvelle page du wiki", "the editor of a new page");
  check(await m.locator("#f-title").inputValue() === "Protocole allergies", "the name fills the editor");
  await m.locator("#f-body").fill("Voir aussi la [[Fiche PAI]].\n\nPrévenir la cuisine **le jour même**.");
  await audit(m, "wiki-new");
  await submit(m, "Enregistrer la page");
  await expectText(m, "Page enregistrée", "the page is saved");
  check(await m.locator("a.wiki-missing").count() === 1, "the link to a page not written yet is marked");
  await clickAndLoad(m, m.locator("a.wiki-missing"));
  await expectText(m, "Cette page n’existe pas encore", "the missing page says so");
  await audit(m, "wiki-missing");
  await clickAndLoad(m, m.getByRole("link", { name: "Écrire cette page" }));
  await m.locator("#f-title").fill("Fiche PAI");
  await m.locator("#f-body").fill("La fiche est signée par le médecin scolaire.");
  await m.locator("#f-parent").selectOption("protocole-allergies");
  await submit(m, "Enregistrer la page");
  await expectText(m, "Protocole allergies", "the new page is placed under the first");
  await m.goto(base + "/spaces/cantines/wiki/protocole-allergies");
  check(await m.locator("a.wiki-missing").count() === 0, "the link now leads to a page");
  await clickAndLoad(m, m.getByRole("link", { name: "Modifier", exact: true }));
  await expectText(m, "Modifier la page", "the editor of the page");
  await m.locator("#f-body").fill("Voir aussi la [[Fiche PAI]].\n\nPrévenir la cuisine **le jour même**, par téléphone.");
  await m.locator("#f-summary").fill("par téléphone");
  await audit(m, "wiki-edit");
  await submit(m, "Enregistrer la page");
  await expectText(m, "Révision 2 par", "the page is at its second revision");
  await clickAndLoad(m, m.getByRole("link", { name: "Historique", exact: true }));
  await expectText(m, "par téléphone", "the history shows the summary");
  await audit(m, "wiki-history");
  await clickAndLoad(m, m.getByRole("link", { name: /^Modifications/ }).first());
  await expectText(m, "Lignes ajoutées : 1. Lignes supprimées : 1.", "the comparison counts the lines");
  check(await m.locator("ins", { hasText: "par téléphone" }).count() === 1, "the comparison shows the added line");
  await audit(m, "wiki-diff");
  await m.goto(base + "/spaces/cantines/wiki");
  await expectText(m, "Fiche PAI", "the tree shows the child page");
  await m.goto(base + "/spaces/cantines/wiki/protocole-allergies");
  check(await m.getByRole("link", { name: "Wiki" }).first().getAttribute("aria-current") === "page", "the wiki tab is the current one");
  await audit(m, "space-wiki");
  await m.screenshot({ path: path.join(results, "readme-wiki.png"), fullPage: true });

  // 9c. The member asks the space a question with a poll; the admin votes
  // and sees the results with their bars.
  await m.goto(base + "/spaces/cantines");
  await m.getByLabel("Votre message").fill("Quel jour pour la prochaine visio ?");
  await m.locator("summary", { hasText: "Ajouter un sondage" }).click();
  await m.getByLabel("Réponse 1", { exact: true }).fill("Mardi");
  await m.getByLabel("Réponse 2", { exact: true }).fill("Jeudi");
  await audit(m, "compose-poll", { phone: true });
  await submit(m, "Publier");
  await expectText(m, "Publié.", "the poll is published");
  await a.goto(base + "/spaces/cantines");
  await a.getByRole("radio", { name: "Jeudi" }).first().check();
  await clickAndLoad(a, a.getByRole("button", { name: "Voter" }).first());
  await expectText(a, "votre choix", "the vote is shown");
  await expectText(a, "1 personne a voté", "the count of voters");
  check(await a.locator("progress").count() >= 2, "the results have their bars");
  await audit(a, "poll-results");

  // 10. The member switches the interface to German; the article stays in French.
  await m.goto(base + "/");
  await submit(m, "Deutsch");
  await expectText(m, "Ihre Räume", "home page in German");
  check((await m.locator("html").getAttribute("lang")) === "de", "the page says it is German");
  await m.goto(base + "/notifications");
  await expectText(m, "Claire Martin hat Ihren Beitrag kommentiert", "the author is told of the comment, in German");
  await expectText(m, "Claire Martin gefällt Ihr Beitrag", "and of the like");
  await m.goto(articleURL);
  await expectText(m, "Lesen auf", "the language switcher in German");
  await expectText(m, "Gérer les allergies alimentaires à la cantine", "no German version: the main language");
  await audit(m, "article-german-ui");
  await m.goto(base + "/search?q=allergies");
  await expectText(m, "Gérer les allergies alimentaires à la cantine", "search finds the article");
  await audit(m, "search");
  await m.goto(base + "/@yann");
  await expectText(m, "Chef de cuisine au collège Jean-Moulin", "public profile shows the bio");
  await audit(m, "profile");
  await m.goto(base + "/settings/notifications");
  await audit(m, "settings-notifications");
  await m.goto(base + "/settings");
  await m.getByLabel("Profilbild").setInputFiles({ name: "yann.png", mimeType: "image/png", buffer: avatarPNG() });
  await submit(m, "Speichern");
  await expectText(m, "Ihre Änderungen sind gespeichert", "the profile picture is saved");
  check(await m.locator('.account-menu img[src^="/media/"]').count() === 1, "the account menu shows the picture");
  await audit(m, "settings-profile", { phone: true });

  // 10b. A Mastodon app without a redirect asks for access: the consent page,
  // the code to copy, and the app among the member's sessions.
  const oob = "urn:ietf:wg:oauth:2.0:oob";
  const tusky = await (await fetch(base + "/api/v1/apps", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ client_name: "Tusky", redirect_uris: oob, scopes: "read write follow", website: "https://tusky.app" }),
  })).json();
  await m.goto(base + "/oauth/authorize?" + new URLSearchParams({ response_type: "code", client_id: tusky.client_id, redirect_uri: oob, scope: "read write follow" }));
  await expectText(m, "Tusky Zugriff auf Ihr Konto erlauben?", "the consent page, in German");
  await audit(m, "oauth-consent");
  await submit(m, "Erlauben");
  await expectText(m, "Ihr Autorisierungscode", "the code to copy");
  await audit(m, "oauth-code");
  const code = (await m.textContent("#oauth-code")).trim();
  const token = await (await fetch(base + "/oauth/token", {
    method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: oob, client_id: tusky.client_id, client_secret: tusky.client_secret }),
  })).json();
  check(typeof token.access_token === "string", "the code makes a token");
  await m.goto(base + "/settings/sessions");
  await expectText(m, "Apps mit Zugriff auf Ihr Konto", "the sessions page lists the apps");
  await expectText(m, "Tusky", "the app is listed");
  await audit(m, "settings-sessions");

  // 11. Password change, then signing out and in again.
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
  await signOut(m, "Abmelden");
  await expectText(m, "Sie sind abgemeldet", "signed out; the language stays German");
  await audit(m, "login");
  await m.getByLabel("Benutzername oder E-Mail-Adresse").fill(member.username);
  await m.getByLabel("Passwort", { exact: true }).fill(member.newPassword);
  await submit(m, "Anmelden");
  await expectText(m, "Ihre Räume", "signed in with the new password");
  await signOut(m, "Abmelden");

  // 12. The admin's pages, and the admin suspends the member.
  await a.goto(base + "/admin/spaces");
  await expectText(a, "DSI des collectivités", "the admin's list of spaces");
  await audit(a, "admin-spaces");
  await a.goto(base + "/spaces/dsi/settings");
  await audit(a, "space-settings", { phone: true });
  await a.goto(base + "/admin/members");
  await expectText(a, "Yann Le Goff", "members list");
  await audit(a, "admin-members");
  await clickAndLoad(a, a.getByRole("link", { name: "Yann Le Goff" }));
  await audit(a, "admin-member");
  await submit(a, "Suspendre ce membre");
  await expectText(a, "Le membre est suspendu", "member suspended");
  await m.getByLabel("Benutzername oder E-Mail-Adresse").fill(member.username);
  await m.getByLabel("Passwort", { exact: true }).fill(member.newPassword);
  await submit(m, "Anmelden");
  await expectText(m, "Dieses Konto ist gesperrt", "a suspended member cannot sign in");

  // 12b. The admin's federation pages and the node's settings.
  await a.goto(base + "/admin/federation");
  await expectText(a, "Envois vers les autres serveurs", "federation status");
  await audit(a, "admin-federation");
  await a.goto(base + "/admin/federation/blocks");
  await a.getByLabel("Domaine", { exact: true }).fill("https://spam.example/x");
  await submit(a, "Bloquer ce domaine");
  await expectText(a, "Ce n’est pas un nom de domaine", "a bad domain is refused with a message");
  await audit(a, "admin-blocks-error");
  await a.getByLabel("Domaine", { exact: true }).fill("spam.example");
  await a.getByLabel("Motif (facultatif)").fill("Publicité");
  await submit(a, "Bloquer ce domaine");
  await expectText(a, "Le domaine est bloqué.", "a domain is blocked");
  await a.getByLabel("Serveur partenaire", { exact: true }).fill("ville-b.example");
  await submit(a, "Ajouter à la liste");
  await expectText(a, "Le serveur est dans la liste.", "a partner server is added");
  await audit(a, "admin-blocks");
  await a.goto(base + "/admin/settings");
  await audit(a, "admin-settings");
  await a.getByLabel("Description", { exact: true }).fill("Le réseau des agents de la ville");
  await submit(a, "Enregistrer les réglages");
  await expectText(a, "Les réglages sont enregistrés.", "the node's settings are saved");
  check((await installable(a)).description === "Le réseau des agents de la ville", "the installed app takes the node's new description");

  // 13. Pages anyone may reach.
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
