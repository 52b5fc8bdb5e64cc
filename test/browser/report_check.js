#!/usr/bin/env node
// Opens ptopt's HTML reports in headless Chromium over the DevTools protocol (a pipe, no network, no npm
// package) and checks what a reader sees.  Usage: report_check.js DIR (with run.html, compare.html,
// expect.json from reports.sql).  Prints TAP lines; exits 1 when any check fails.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const CHROMIUM = process.env.PTOPT_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT_MS = 90000;

const dir = path.resolve(process.argv[2] || '.');
const expect = JSON.parse(fs.readFileSync(path.join(dir, 'expect.json'), 'utf8'));
let count = 0;
let failed = 0;

// Print one TAP line.
function check(ok, what, detail) {
  count++;
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${count} - ${what}`);
  if (!ok && detail !== undefined) console.log(`#   ${String(detail).split('\n').join('\n#   ')}`);
}

// A DevTools protocol client over Chromium's --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON).
class Cdp {
  constructor(child) {
    this.child = child;
    this.next = 1;
    this.pending = new Map();
    this.listeners = [];
    let buf = '';
    child.stdio[4].on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let at;
      while ((at = buf.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buf.slice(0, at));
        buf = buf.slice(at + 1);
        if (msg.id && this.pending.has(msg.id)) {
          const { resolve, reject } = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.error) reject(new Error(`${msg.error.message} (${msg.error.code})`));
          else resolve(msg.result);
        } else if (msg.method) {
          for (const l of this.listeners) l(msg);
        }
      }
    });
  }

  // Send a command (to a session when sessionId is given) and wait for its result.
  send(method, params = {}, sessionId = undefined) {
    const id = this.next++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdio[3].write(JSON.stringify(msg) + '\0');
    });
  }

  // Wait for an event of a session.
  waitFor(method, sessionId) {
    return new Promise((resolve) => {
      const l = (msg) => {
        if (msg.method === method && msg.sessionId === sessionId) {
          this.listeners.splice(this.listeners.indexOf(l), 1);
          resolve(msg.params);
        }
      };
      this.listeners.push(l);
    });
  }
}

// Open a page in a new tab; returns its session with the problems it reported (console errors, dialogs).
async function openPage(cdp, url) {
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const page = { sessionId, targetId, errors: [], dialogs: [], console: [] };
  cdp.listeners.push((msg) => {
    if (msg.sessionId !== sessionId) return;
    if (msg.method === 'Runtime.consoleAPICalled') {
      page.console.push(msg.params.type);
      if (msg.params.type === 'error') page.errors.push(`console.error: ${JSON.stringify(msg.params.args)}`);
    } else if (msg.method === 'Runtime.exceptionThrown') {
      page.errors.push(`exception: ${msg.params.exceptionDetails.text}`);
    } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
      page.errors.push(`log: ${msg.params.entry.text} ${msg.params.entry.url || ''}`);
    } else if (msg.method === 'Page.javascriptDialogOpening') {
      page.dialogs.push(msg.params.message);
      cdp.send('Page.handleJavaScriptDialog', { accept: true }, sessionId).catch(() => {});
    }
  });
  await cdp.send('Page.enable', {}, sessionId);
  await cdp.send('Runtime.enable', {}, sessionId);
  await cdp.send('Log.enable', {}, sessionId);
  await cdp.send('Emulation.setDeviceMetricsOverride',
    { width: 1200, height: 900, deviceScaleFactor: 1, mobile: false }, sessionId);
  const loaded = cdp.waitFor('Page.loadEventFired', sessionId);
  const nav = await cdp.send('Page.navigate', { url }, sessionId);
  if (nav.errorText) throw new Error(`navigation to ${url} failed: ${nav.errorText}`);
  await loaded;
  return page;
}

// Evaluate an expression in a page and return its value.
async function evaluate(cdp, page, expression) {
  const r = await cdp.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true },
    page.sessionId);
  if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
  return r.result.value;
}

// Screenshot a page (the full page) and measure it in a blank tab: how many distinct colours, how much ink.
async function screenshot(cdp, page, file) {
  const metrics = await cdp.send('Page.getLayoutMetrics', {}, page.sessionId);
  const size = metrics.cssContentSize || metrics.contentSize;
  const shot = await cdp.send('Page.captureScreenshot', {
    format: 'png', captureBeyondViewport: true,
    clip: { x: 0, y: 0, width: Math.min(size.width, 1200), height: Math.min(size.height, 3000), scale: 1 },
  }, page.sessionId);
  fs.writeFileSync(file, Buffer.from(shot.data, 'base64'));
  const blank = await openPage(cdp, 'about:blank');
  const stats = await evaluate(cdp, blank, `new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set();
      let ink = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) ink++;
        if (colours.size < 5000) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
      resolve({ width: c.width, height: c.height, colours: colours.size, ink: ink / (d.length / 4) });
    };
    img.onerror = () => reject(new Error('screenshot does not decode'));
    img.src = 'data:image/png;base64,${shot.data}';
  })`);
  await cdp.send('Target.closeTarget', { targetId: blank.targetId });
  return stats;
}

// The run report.
async function checkRun(cdp) {
  const page = await openPage(cdp, 'file://' + path.join(dir, 'run.html'));
  const v = await evaluate(cdp, page, `({
    title: document.title,
    points: document.querySelectorAll('#score-chart circle.pt').length,
    bestLine: document.querySelectorAll('#score-chart path.best-line').length,
    best: document.getElementById('best-score').textContent,
    rows: document.querySelectorAll('#trajectory-table tbody tr.it, #trajectory-table tbody tr.best').length,
    bestRows: document.querySelectorAll('#trajectory-table tr.best').length,
    reasonings: Array.from(document.querySelectorAll('td.reasoning')).map((td) => td.textContent),
    scripts: document.scripts.length,
    imgs: document.images.length,
    h1: document.querySelector('h1').textContent,
    bars: document.querySelectorAll('#importance-chart rect.bar').length,
    slices: document.querySelectorAll('svg.slice').length,
    chartWidth: document.getElementById('score-chart').getBoundingClientRect().width,
    injected: typeof window.__ptoptInjected,
  })`);
  check(page.errors.length === 0, 'run report: loads with no console error', page.errors.join('\n'));
  check(v.points === expect.iterations, `run report: the chart has one point per iteration (${v.points} of ${expect.iterations})`);
  check(v.bestLine === 1, 'run report: the chart has one best-so-far line');
  check(Number(v.best) === expect.best_score,
    `run report: the best score shown (${v.best}) equals runs.best_score (${expect.best_score})`);
  check(v.rows === expect.iterations && v.bestRows === 1,
    `run report: the table has a row per iteration (${v.rows}) and one best row (${v.bestRows})`);
  check(v.reasonings.includes(expect.hostile), 'run report: the <script> reasoning is shown as text',
    JSON.stringify(v.reasonings.slice(0, 4)));
  check(v.reasonings.includes(expect.hostile_img), 'run report: the <img onerror> reasoning is shown as text');
  check(v.scripts === 0 && v.imgs === 0, `run report: no script or img element exists (${v.scripts}, ${v.imgs})`);
  check(page.dialogs.length === 0, 'run report: no alert ran', page.dialogs.join(', '));
  check(v.h1.includes('browser <b>test</b>'), `run report: a label with markup shows as text (${v.h1})`);
  check(v.bars === 3 && v.slices >= 1, `run report: importance bars (${v.bars}) and slice plots (${v.slices})`);
  check(v.chartWidth > 300, `run report: the chart is laid out (${Math.round(v.chartWidth)} px wide)`);
  const s = await screenshot(cdp, page, path.join(dir, 'run.png'));
  check(s.colours > 20 && s.ink > 0.01 && s.height > 500,
    `run report: the screenshot is not blank (${s.width}x${s.height}, ${s.colours} colours, ${(s.ink * 100).toFixed(1)}% ink)`);
  await cdp.send('Target.closeTarget', { targetId: page.targetId });
}

// The comparison report.
async function checkCompare(cdp) {
  const page = await openPage(cdp, 'file://' + path.join(dir, 'compare.html'));
  const v = await evaluate(cdp, page, `({
    medians: document.querySelectorAll('#compare-chart path.median').length,
    bands: document.querySelectorAll('#compare-chart path.band').length,
    summary: document.querySelectorAll('#summary-table tbody tr').length,
    runs: document.querySelectorAll('#runs-table tbody tr').length,
    scripts: document.scripts.length,
    medianLength: Array.from(document.querySelectorAll('#compare-chart path.median')).map((p) => p.getTotalLength()),
  })`);
  check(page.errors.length === 0, 'comparison report: loads with no console error', page.errors.join('\n'));
  check(v.medians === expect.strategies && v.bands === expect.strategies,
    `comparison report: a median line and a band per strategy (${v.medians}, ${v.bands})`);
  check(v.medianLength.every((l) => l > 100), `comparison report: the lines are drawn (${v.medianLength.map(Math.round)})`);
  check(v.summary === expect.strategies && v.runs === expect.compare_runs,
    `comparison report: summary rows (${v.summary}) and run rows (${v.runs})`);
  check(v.scripts === 0 && page.dialogs.length === 0, 'comparison report: no script, no dialog');
  const s = await screenshot(cdp, page, path.join(dir, 'compare.png'));
  check(s.colours > 20 && s.ink > 0.01,
    `comparison report: the screenshot is not blank (${s.width}x${s.height}, ${s.colours} colours)`);
  await cdp.send('Target.closeTarget', { targetId: page.targetId });
}

// Remove the browser's profile; Chromium's helper processes may still be writing to it for a
// moment after the browser is gone, so retry, and leave it (with a note) rather than fail the checks.
function removeProfile(profile) {
  try {
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (e) {
    console.log(`# left the browser profile ${profile}: ${e.code}`);
  }
}

// Start Chromium, run the checks, stop it.
async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ptopt-chromium-'));
  const child = spawn(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-extensions',
    '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => {
    check(false, `the browser checks finished within ${TIMEOUT_MS / 1000} s`, stderr.slice(-2000));
    child.kill('SIGKILL');
    process.exit(1);
  }, TIMEOUT_MS);
  const cdp = new Cdp(child);
  try {
    const version = await cdp.send('Browser.getVersion');
    console.log(`# ${version.product}`);
    await checkRun(cdp);
    await checkCompare(cdp);
  } catch (e) {
    check(false, 'the browser checks ran to the end', `${e.stack}\n${stderr.slice(-2000)}`);
  }
  clearTimeout(timer);
  try { await Promise.race([cdp.send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]); } catch (e) { /* gone */ }
  const exited = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve() : new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
  removeProfile(profile);
  console.log(`1..${count}`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
