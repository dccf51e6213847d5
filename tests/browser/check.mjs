// Browser checks of the static HTML report pages costwatch writes.
//
//   node tests/browser/check.mjs OUT_DIR [SCREENSHOT_DIR]
//
// Opens the pages from disk (file:// URLs) in Debian's Chromium through playwright-core,
// runs every named check (all of them, whatever fails), prints `ok   NAME` or
// `FAIL NAME: reason` for each, then `browser: N passed, M failed`, and exits 1 if M > 0.
// Every page opened gets a `clean` check: no console error, no uncaught error, no request for
// anything but local files (file:, data:, blob:, about:), no `undefined`, `NaN`, `null` or
// `[object` in its visible text or in href/src/title/alt/aria-label, and every local link
// pointing at a file that exists inside the output folder. The DOM contract the other checks
// rely on is described next to each of them.
//
// Environment: CHROMIUM_PATH (default /usr/bin/chromium).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const STAGES = ['identificación', 'preparación', 'contratación', 'ejecución', 'finalización'];
const SHEET_SECTIONS = ['etapas', 'dinero', 'contratos', 'alertas', 'divulgacion', 'documentos', 'contacto'];
const WAIT_MS = 3000; // how long a page may take to react to a click or a keystroke
const WATCHDOG_MS = 300_000; // the whole run

if (process.argv.length < 3) {
  console.error('usage: node check.mjs OUT_DIR [SCREENSHOT_DIR]');
  process.exit(2);
}
const OUT = path.resolve(process.argv[2]);
const SHOTS = path.resolve(process.argv[3] || 'target/screenshots');
fs.mkdirSync(SHOTS, { recursive: true });

// ---------------------------------------------------------------------------------------------
// Reporting

const results = [];
const started = Date.now();

function oneLine(s) {
  const t = String(s).replace(/\s+/g, ' ').trim();
  return t.length > 300 ? t.slice(0, 297) + '...' : t;
}

function record(name, problems) {
  const ok = problems.length === 0;
  results.push({ name, ok });
  if (ok) {
    console.log(`ok   ${name}`);
  } else {
    const shown = problems.slice(0, 8).map(oneLine);
    if (problems.length > shown.length) shown.push(`(${problems.length - shown.length} more)`);
    console.log(`FAIL ${name}: ${shown.join('; ')}`);
  }
  flushNotes();
}

// Notes are things worth knowing that are not failures; printed under the check they belong to.
let notes = [];
function note(text) {
  notes.push(text);
}
function flushNotes() {
  for (const n of notes) console.log(`     note: ${n}`);
  notes = [];
}

function finish() {
  flushNotes();
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`screenshots and PDFs: ${SHOTS} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`browser: ${passed} passed, ${failed} failed`);
  return failed;
}

// A named check: `fn(fail)` calls `fail(reason)` for every problem it finds and goes on;
// a thrown error is one more problem and ends the check.
async function check(name, fn) {
  const problems = [];
  try {
    await fn((reason) => problems.push(reason));
  } catch (e) {
    problems.push(e && e.message ? e.message.split('\n')[0] : String(e));
  }
  record(name, problems);
  return problems.length === 0;
}

function need(value, reason) {
  if (!value) throw new Error(reason);
  return value;
}

const watchdog = setTimeout(() => {
  record('watchdog', [`the checks did not finish within ${WATCHDOG_MS / 1000} s`]);
  finish();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

// ---------------------------------------------------------------------------------------------
// Helpers

// Lower case, no accents, single spaces: how the filter and the stage names are compared.
function norm(s) {
  return String(s ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

// Not the network: files, inline data, blobs made by the page, about:blank.
function isLocal(url) {
  return /^(file|data|blob|about):/i.test(url);
}

function fileUrl(rel) {
  return pathToFileURL(path.join(OUT, rel)).href;
}

function relOut(url) {
  try {
    return path.relative(OUT, fileURLToPath(url.split('#')[0].split('?')[0]));
  } catch {
    return url;
  }
}

async function poll(fn, ms = WAIT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function h1Text(page) {
  const h1 = page.locator('h1').first();
  return (await h1.count()) ? ((await h1.innerText()) || '').trim() : '';
}

// ---------------------------------------------------------------------------------------------
// Pages: each one is watched from before it loads until its `clean` check.

let browser;
let context;
const opened = new Map(); // Page -> { label, problems }
const stray = []; // problems of pages the checks did not open (popups)

function watch(page, tracked) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const loc = m.location();
    // A refused network request logs "Failed to load resource" too; it is reported once, below.
    if (loc && loc.url && !isLocal(loc.url) && /^Failed to load resource/.test(m.text())) return;
    const where = loc && loc.url ? ` (${relOut(loc.url)}${loc.lineNumber ? ':' + loc.lineNumber : ''})` : '';
    tracked.problems.push(`console error: ${m.text()}${where}`);
  });
  page.on('pageerror', (e) => tracked.problems.push(`uncaught error: ${e.message}`));
  page.on('request', (r) => {
    if (!isLocal(r.url())) tracked.problems.push(`page requested the network: ${r.url()}`);
  });
  page.on('websocket', (ws) => tracked.problems.push(`page requested the network (websocket): ${ws.url()}`));
}

// Opens OUT/rel in a new tab; returns the tab, or throws when the file is missing or fails to load.
async function open(rel, label) {
  const file = path.join(OUT, rel);
  need(fs.existsSync(file), `${rel} does not exist in ${OUT}`);
  const page = await context.newPage();
  const tracked = { label, problems: [] };
  opened.set(page, tracked);
  watch(page, tracked);
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return page;
}

// The page-wide checks every page gets once its own checks have run: no console error, no
// uncaught error, no network, no `undefined`/`NaN`/`null`/`[object` in its text or links, and
// every local link pointing at a file that exists inside the output folder.
async function clean(page, label) {
  return check(`${label}: clean`, async (fail) => {
    need(page, 'page did not open');
    // Let late scripts and resource loads report before judging.
    await page.waitForLoadState('load');
    await page.waitForTimeout(100);
    for (const p of opened.get(page).problems) fail(p);

    const { text, attrs } = await page.evaluate(() => {
      const attrs = [];
      for (const el of document.querySelectorAll('[href],[src],[title],[alt],[aria-label]')) {
        for (const a of ['href', 'src', 'title', 'alt', 'aria-label']) {
          const v = el.getAttribute(a);
          if (v != null) attrs.push(`${el.tagName.toLowerCase()}[${a}="${v}"]`);
        }
      }
      return { text: document.body ? document.body.innerText : '', attrs };
    });
    const junk = /\bundefined\b|\bNaN\b|\bnull\b|\[object/g;
    for (const m of text.matchAll(junk)) {
      const at = m.index;
      fail(`text shows "${m[0]}": "...${text.slice(Math.max(0, at - 40), at + 40)}..."`);
    }
    for (const a of attrs) {
      const m = a.match(/\bundefined\b|\bNaN\b|\bnull\b|\[object/);
      if (m) fail(`attribute shows "${m[0]}": ${a}`);
    }

    const links = await page.$$eval('a[href]', (as) =>
      as.map((a) => ({ raw: a.getAttribute('href'), abs: a.href })),
    );
    const ids = new Set(await page.$$eval('[id]', (els) => els.map((e) => e.id)));
    const here = page.url().split('#')[0];
    const seen = new Set();
    for (const { raw, abs } of links) {
      if (!abs.startsWith('file:')) continue; // http(s)/mailto links are fine: nothing is fetched
      const [target, frag] = abs.split('#');
      if (target === here) {
        if (frag && !ids.has(decodeURIComponent(frag))) fail(`link "${raw}" names no element on this page`);
        continue;
      }
      const file = fileURLToPath(target.split('?')[0]);
      if (seen.has(file)) continue;
      seen.add(file);
      if (file !== OUT && !file.startsWith(OUT + path.sep)) {
        fail(`link "${raw}" leaves the output folder`);
      } else if (!fs.existsSync(file) || (fs.statSync(file).isDirectory() && !fs.existsSync(path.join(file, 'index.html')))) {
        fail(`link "${raw}" points to a missing file (${path.relative(OUT, file)})`);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The league table: index.html

async function leagueChecks(state) {
  let page = null;
  const rowsSel = 'table#liga tbody tr.entidad';

  // Rows: table#liga > tbody > tr.entidad, each with data-entity and a link a[href^="entidades/"].
  await check('league (index.html): rows', async (fail) => {
    page = await open('index.html', 'league');
    await page.screenshot({ path: path.join(SHOTS, 'liga.png'), fullPage: true });
    const rows = await page.$$eval(rowsSel, (rs) =>
      rs.map((r) => ({
        entity: r.getAttribute('data-entity'),
        link: (r.querySelector('a[href^="entidades/"]') || {}).href || null,
        rawLink: (r.querySelector('a[href^="entidades/"]') || { getAttribute: () => null }).getAttribute('href'),
      })),
    );
    need(rows.length >= 1, `no rows match "${rowsSel}"`);
    rows.forEach((r, i) => {
      if (!r.entity || !r.entity.trim()) fail(`row ${i + 1} has no data-entity`);
      if (!r.link) fail(`row ${i + 1} (${r.entity}) has no link a[href^="entidades/"]`);
    });
    state.entityLink = rows[0].rawLink;
    state.rowCount = rows.length;
  });

  // Sorting: th[data-key="score"] button; one click orders rows by numeric data-score (either
  // way), a second click reverses that order. Rows without a score (entities "sin datos",
  // data-score="") stay below the scored ones in both orders.
  await check('league: sort by score', async (fail) => {
    need(page, 'index.html did not open');
    const btn = page.locator('th[data-key="score"] button');
    need((await btn.count()) >= 1, 'no header button th[data-key="score"] button');
    const raw = () =>
      page.$$eval(rowsSel, (rs) => rs.map((r) => r.getAttribute('data-score') ?? ''));
    // Scored rows as numbers; null marks an unscored row that sits after a scored one.
    const scores = async () => {
      const all = await raw();
      const firstEmpty = all.findIndex((s) => s.trim() === '');
      const tailOk = firstEmpty === -1 || all.slice(firstEmpty).every((s) => s.trim() === '');
      const nums = all.filter((s) => s.trim() !== '').map(Number);
      return tailOk ? nums : nums.concat([NaN]);
    };
    const all = await raw();
    const bad = all.filter((s) => s.trim() !== '' && !Number.isFinite(Number(s)));
    need(bad.length === 0, `${bad.length} row(s) have a data-score that is not a number (e.g. ${JSON.stringify(bad[0])})`);
    need(all.some((s) => s.trim() !== ''), 'no row has a score');
    const before = all.filter((s) => s.trim() !== '');
    const asc = (a) => a.every((v, i) => i === 0 || a[i - 1] <= v);
    const desc = (a) => a.every((v, i) => i === 0 || a[i - 1] >= v);

    await btn.first().click();
    let first = [];
    await poll(async () => {
      first = await scores();
      return first.length === before.length && (asc(first) || desc(first));
    });
    need(first.length === before.length, `rows went from ${before.length} to ${first.length} after a click`);
    need(asc(first) || desc(first), `after one click the rows are not in score order: ${first.slice(0, 10).join(', ')}`);
    if (asc(first) && desc(first)) note('every row has the same score: the sort order cannot be told apart');

    await btn.first().click();
    const want = [...first].reverse();
    let second = [];
    await poll(async () => {
      second = await scores();
      return second.length === want.length && second.every((v, i) => v === want[i]);
    });
    if (!(second.length === want.length && second.every((v, i) => v === want[i]))) {
      fail(
        `a second click did not reverse the order (${asc(first) ? 'ascending' : 'descending'} first): ` +
          `${second.slice(0, 10).join(', ')}`,
      );
    }
  });

  // Filter: typing into input#filtro hides (hidden attribute or display:none) every row whose
  // text does not contain the typed text, ignoring case; clearing it shows every row again.
  await check('league: filter', async (fail) => {
    need(page, 'index.html did not open');
    const input = page.locator('input#filtro');
    need((await input.count()) >= 1, 'no input#filtro');
    const rows = await page.$$(rowsSel);
    need(rows.length >= 1, 'no rows');
    const texts = await Promise.all(rows.map((r) => r.evaluate((e) => e.innerText)));
    const nameCell = await rows[0].$('td.nombre');
    need(nameCell, 'first row has no td.nombre');
    const name = ((await nameCell.innerText()) || '').replace(/\s+/g, ' ').trim();
    need(name, 'first row td.nombre is empty');
    const query = Array.from(name).slice(0, 4).join('');

    const clear = async () => {
      await input.click();
      await input.press('Control+a');
      await input.press('Backspace');
      if ((await input.inputValue()) !== '') await input.fill('');
    };
    // Which rows are wrong for a given filter text (none when the page got it right).
    const wrong = async (q) => {
      const out = [];
      for (let i = 0; i < rows.length; i++) {
        const visible = await rows[i].isVisible();
        const matches = norm(texts[i]).includes(norm(q));
        if (i === 0 && !visible) out.push(`the first row ("${name}") was hidden`);
        else if (!matches && visible) out.push(`row ${i + 1} ("${oneLine(texts[i]).slice(0, 60)}") stayed visible`);
      }
      return out;
    };
    const typeAndJudge = async (q) => {
      await clear();
      await input.pressSequentially(q);
      let w = [];
      await poll(async () => (w = await wrong(q)).length === 0);
      return w;
    };

    const hiddenWanted = texts.filter((t) => !norm(t).includes(norm(query))).length;
    if (hiddenWanted === 0) note(`every row contains "${query}": the filter hides nothing to check`);
    for (const w of await typeAndJudge(query)) fail(`typing "${query}": ${w}`);

    if (query.toUpperCase() !== query) {
      for (const w of await typeAndJudge(query.toUpperCase())) fail(`typing "${query.toUpperCase()}" (case ignored?): ${w}`);
    }
    const plain = query.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    if (plain !== query) {
      const w = await typeAndJudge(plain);
      note(`filter ${w.length ? 'does not ignore' : 'ignores'} accents ("${plain}" for "${query}")`);
    }

    await clear();
    let shown = 0;
    await poll(async () => {
      shown = 0;
      for (const r of rows) if (await r.isVisible()) shown++;
      return shown === rows.length;
    });
    if (shown !== rows.length) fail(`after clearing the filter only ${shown} of ${rows.length} rows are visible`);
  });

  // Change since the previous run: at least one td.cambio holds ▲, ▼ or =.
  await check('league: change marker', async (fail) => {
    need(page, 'index.html did not open');
    const marks = await page.$$eval('table#liga td.cambio', (tds) => tds.map((t) => t.textContent));
    need(marks.length >= 1, 'no td.cambio cells');
    if (!marks.some((m) => /[▲▼=]/.test(m))) {
      fail(`no td.cambio shows ▲, ▼ or = (e.g. ${JSON.stringify(oneLine(marks[0]))})`);
    }
  });

  // The gap matrix: table#brechas.
  await check('league: gap matrix', async () => {
    need(page, 'index.html did not open');
    need((await page.locator('table#brechas').count()) >= 1, 'no table#brechas');
  });

  await clean(page, 'league');
  if (page) await page.close();
}

// ---------------------------------------------------------------------------------------------
// The entity page: the first row's link

async function entityChecks(state) {
  let page = null;
  await check('entity: page', async (fail) => {
    need(state.entityLink, 'no entity link on index.html to follow');
    const target = new URL(state.entityLink, fileUrl('index.html')).href;
    const rel = relOut(target);
    state.entityRel = rel;
    page = await open(rel, 'entity');
    await page.screenshot({ path: path.join(SHOTS, 'entidad.png'), fullPage: true });
    if (!(await h1Text(page))) fail('no h1 or an empty h1');
    const svg = page.locator('svg.tendencia');
    if ((await svg.count()) < 1) fail('no svg.tendencia');
    else if (!(await svg.first().isVisible())) fail('svg.tendencia has no size on screen');
    const rows = await page.$$eval('table#proyectos tbody tr', (rs) =>
      rs.map((r) => r.querySelector('a[href^="../proyectos/"]') !== null),
    );
    need(rows.length >= 1, 'no table#proyectos tbody tr');
    rows.forEach((hasLink, i) => {
      if (!hasLink) fail(`table#proyectos row ${i + 1} has no link a[href^="../proyectos/"]`);
    });
    const links = await page.$$eval('table#proyectos a[href^="../proyectos/"], a[href^="../proyectos/"]', (as) =>
      as.map((a) => a.href),
    );
    state.sheets = [...new Set(links.map((u) => relOut(u)))].filter((r) => r.endsWith('.html'));
  });
  await clean(page, 'entity');
  if (page) await page.close();
}

// ---------------------------------------------------------------------------------------------
// Two project sheets

function pdfPages(bytes) {
  return (bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
}

async function sheetChecks(state) {
  let sheets = (state.sheets || []).slice(0, 2);
  if (sheets.length < 2) {
    const dir = path.join(OUT, 'proyectos');
    const files = fs.existsSync(dir)
      ? fs.readdirSync(dir).filter((f) => f.endsWith('.html')).sort()
      : [];
    sheets = files.slice(0, 2).map((f) => path.join('proyectos', f));
    console.log(`     note: fewer than two sheets linked from the entity page; using ${sheets.join(', ') || 'none'} from proyectos/`);
  }
  for (const i of [1, 2]) {
    const rel = sheets[i - 1];
    const label = `ficha-${i}${rel ? ` (${rel})` : ''}`;
    let page = null;

    // html[lang=es], an h1, the sections in order, the five stages with one .actual.
    await check(`${label}: structure`, async (fail) => {
      need(rel, `no project sheet number ${i} (out/proyectos/ has fewer than two .html files)`);
      page = await open(rel, label);
      await page.screenshot({ path: path.join(SHOTS, `ficha-${i}.png`), fullPage: true });
      const lang = await page.evaluate(() => document.documentElement.getAttribute('lang'));
      if (!/^es(-|$)/i.test(lang || '')) fail(`html lang is ${JSON.stringify(lang)}, not "es"`);
      if (!(await h1Text(page))) fail('no h1 or an empty h1');

      const order = await page.evaluate((ids) => {
        const els = ids.map((id) => document.getElementById(id));
        const missing = ids.filter((id, k) => !els[k]);
        const present = els.map((e, k) => [ids[k], e]).filter(([, e]) => e);
        const swapped = [];
        for (let k = 1; k < present.length; k++) {
          const [a, ea] = present[k - 1];
          const [b, eb] = present[k];
          if (!(ea.compareDocumentPosition(eb) & Node.DOCUMENT_POSITION_FOLLOWING)) swapped.push(`#${b} before #${a}`);
        }
        return { missing, swapped };
      }, SHEET_SECTIONS);
      if (order.missing.length) fail(`missing section(s) ${order.missing.map((s) => '#' + s).join(', ')}`);
      for (const s of order.swapped) fail(`sections out of order: ${s}`);

      const etapas = await page.evaluate(() => {
        const e = document.getElementById('etapas');
        if (!e) return null;
        return {
          text: e.innerText,
          actual: [...e.querySelectorAll('.actual')].map((a) => a.innerText),
        };
      });
      if (etapas) {
        const text = norm(etapas.text);
        let last = -1;
        for (const s of STAGES) {
          const at = text.indexOf(norm(s));
          if (at < 0) fail(`#etapas does not list "${s}"`);
          else if (at < last) fail(`#etapas lists "${s}" out of order`);
          else last = at;
        }
        if (etapas.actual.length !== 1) {
          fail(`#etapas marks ${etapas.actual.length} stages .actual, not exactly one`);
        } else if (STAGES.filter((s) => norm(etapas.actual[0]).includes(norm(s))).length !== 1) {
          fail(`the .actual stage ("${oneLine(etapas.actual[0])}") is not one of the five stages`);
        }
      }
    });

    // Printed: A4 with backgrounds, 1 to 4 pages.
    await check(`${label}: print to PDF, 1-4 A4 pages`, async () => {
      need(page, 'sheet did not open');
      await page.emulateMedia({ media: 'print' });
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      await page.emulateMedia({ media: null });
      fs.writeFileSync(path.join(SHOTS, `ficha-${i}.pdf`), pdf);
      const n = pdfPages(pdf);
      need(n >= 1 && n <= 4, `the PDF has ${n} pages (want 1 to 4)`);
    });

    await clean(page, label);
    if (page) await page.close();
  }
}

// ---------------------------------------------------------------------------------------------
// metodologia.html

async function methodologyChecks() {
  let page = null;
  await check('methodology (metodologia.html): page', async () => {
    page = await open('metodologia.html', 'methodology');
    need(await h1Text(page), 'no h1 or an empty h1');
  });
  await clean(page, 'methodology');
  if (page) await page.close();
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const launched = await check('chromium starts', async () => {
    need(fs.existsSync(OUT) && fs.statSync(OUT).isDirectory(), `output folder ${OUT} does not exist`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 60_000,
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    context.setDefaultNavigationTimeout(20_000);
    // Nothing leaves the machine: a request for anything but a local file is recorded by the
    // page's watcher, then refused here so the check does not wait on an unreachable host.
    await context.route((url) => !isLocal(url.href), (route) => route.abort('blockedbyclient'));
    context.on('page', (p) => {
      // Popups and window.open: pages the checks did not open themselves.
      setTimeout(() => {
        if (!opened.has(p)) {
          const tracked = { label: 'popup', problems: [] };
          opened.set(p, tracked);
          stray.push(tracked);
          watch(p, tracked);
          tracked.problems.push(`a page opened another window: ${p.url()}`);
        }
      }, 0);
    });
  });

  if (launched) {
    const state = {};
    await leagueChecks(state);
    await entityChecks(state);
    await sheetChecks(state);
    await methodologyChecks();
    if (stray.length) {
      await check('no other windows', async (fail) => {
        for (const t of stray) for (const p of t.problems) fail(p);
      });
    }
  }
  if (browser) await browser.close().catch(() => {});
  const failed = finish();
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((e) => {
  record('check.mjs', [e && e.stack ? e.stack : String(e)]);
  finish();
  process.exit(1);
});
