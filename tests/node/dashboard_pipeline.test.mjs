// The dashboard's pipeline view in real Chromium (playwright-core) against `stocklake serve`:
// a lake made by the real binary, two pipeline runs made by `stocklake pipeline run` (one
// whose task fails both attempts, one that succeeds), the view opened from the top bar.
// Checks the runs table against `pipeline history --json`, the failed run's timeline (one
// bar per attempt, in order, coloured by outcome) and its failed attempts' reason and log,
// and a run an admin starts with POST /api/v1/pipeline/runs (serve --pipeline) showing up.
// Run: STOCKLAKE_BINARY=build/stocklake node --test <this>.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BuildWebDistIfMissing,
  KeepOnlyScreenshots,
  LaunchChromium,
  OpenDashboard,
  StartServe,
  StopServe,
} from './browser_util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const source_dir = process.env.STOCKLAKE_SOURCE_DIR ?? path.resolve(here, '../..');
const binary = process.env.STOCKLAKE_BINARY ?? path.join(source_dir, 'build/stocklake');
const chromium_path = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The bar colours by outcome (web/src/pipeline_view.ts kOutcomeColors), as computed styles.
const kBarColors = { succeeded: 'rgb(22, 163, 74)', failed: 'rgb(220, 38, 38)' };

function History(config) {
  const out = execFileSync(binary, ['pipeline', 'history', '--json', '--config', config], { encoding: 'utf8' });
  return JSON.parse(out);
}

describe('dashboard pipeline view against stocklake serve', { timeout: 150000 }, () => {
  let dir;
  let config;
  let server;
  let context;
  let page;
  let runs;
  let base;
  let admin;
  const server_log = [];
  const page_errors = [];

  before(async () => {
    assert.ok(fs.existsSync(binary), `no stocklake binary at ${binary} (set STOCKLAKE_BINARY)`);
    assert.ok(fs.existsSync(chromium_path), `no chromium at ${chromium_path} (scripts/install-deps.sh)`);
    BuildWebDistIfMissing(source_dir);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocklake-pipeline-view-'));
    const lake = path.join(dir, 'lake');
    const data = path.join(dir, 'data');
    execFileSync(binary, ['generate', '--tickers', '2', '--days', '30', '--seed', '3', '--out', data], { stdio: 'pipe' });
    execFileSync(binary, ['run', '--input', data, '--lake', lake], { stdio: 'pipe' });
    // `load` fails unless the file `fixed` exists: the first run fails it twice, the second
    // (with the file) succeeds.
    const fixed = path.join(dir, 'fixed');
    config = path.join(dir, 'quarterly.yaml');
    fs.writeFileSync(config, [
      'name: quarterly',
      `lake: ${lake}`,
      'tasks:',
      "  extract: {exec: [sh, -c, 'echo extracting {quarter}; sleep 0.2']}",
      `  load: {exec: [sh, -c, 'echo loading; test -e ${fixed} || { echo "load: table locked by writer" >&2; exit 4; }'], ` +
        'after: [extract], retries: 1, retry_delay: 300ms}',
      "  report: {exec: ['true'], after: [load]}",
      '',
    ].join('\n'));
    const first = spawnSync(binary, ['pipeline', 'run', '--quiet', '--config', config, '--quarter', '2017Q2']);
    assert.equal(first.status, 1, `the first run fails: ${first.stderr}`);
    fs.writeFileSync(fixed, '');
    const second = spawnSync(binary, ['pipeline', 'run', '--quiet', '--config', config, '--quarter', '2017Q3']);
    assert.equal(second.status, 0, `the second run succeeds: ${second.stderr}`);
    runs = History(config);
    assert.deepEqual(runs.map((r) => r.state), ['succeeded', 'failed']);

    admin = execFileSync(binary, ['token', 'create', '--lake', lake, '--role', 'admin', '--name', 'ops'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    ({ server, base } = await StartServe(binary, lake, server_log, ['--pipeline', config]));
    context = await LaunchChromium(chromium_path, dir, { width: 1280, height: 860 });
    page = await OpenDashboard(context, base, page_errors);
    await page.click('#views button[data-view="pipelines"]');
    await page.waitForSelector('#pipeline-runs-card[data-state="ready"]', { timeout: 15000 });
    await page.waitForSelector('#pipeline-run-card[data-state="ready"]', { timeout: 15000 });
  });

  after(async () => {
    await context?.close();
    await StopServe(server);
    KeepOnlyScreenshots(dir);
  });

  it('lists the runs of `pipeline history`, newest first, and shows the newest', async () => {
    assert.ok(await page.isVisible('#pipeline-view'));
    assert.ok(await page.isHidden('#chart-card'));
    const shown = await page.$$eval('#pipeline-runs tr[data-run-id]', (rows) => rows.map((r) => {
      const cell = (key) => r.querySelector(`[data-col="${key}"]`).textContent;
      return [r.dataset.runId, cell('pipeline'), cell('trigger'), cell('quarter'), cell('state')];
    }));
    assert.deepEqual(shown, runs.map((r) => [r.run_id, 'quarterly', 'manual', r.quarter, r.state]));
    assert.equal(await page.getAttribute('#pipeline-run-card', 'data-run-id'), runs[0].run_id);
    assert.match(await page.textContent('#pipeline-runs tr.selected [data-col="duration"]'), /\d (ms|s)$/);
  });

  it('shows a failed run\'s failed attempts with their reason and log', async () => {
    const failed = runs[1];
    await page.click(`#pipeline-runs tr[data-run-id="${failed.run_id}"]`);
    await page.waitForFunction((id) => {
      const card = document.querySelector('#pipeline-run-card');
      return card.dataset.state === 'ready' && card.dataset.runId === id;
    }, failed.run_id, { timeout: 15000 });
    const load = failed.tasks.find((t) => t.task === 'load');
    assert.equal(load.state, 'failed');
    assert.equal(load.attempts.length, 2);
    for (const attempt of load.attempts) {
      const item = `#pipeline-failures .failure[data-task="load"][data-attempt="${attempt.attempt}"]`;
      assert.equal(await page.textContent(`${item} .reason`), attempt.reason);
      assert.equal(attempt.reason, 'exit status 4');
      assert.equal(await page.textContent(`${item} pre.log`), 'loading\nload: table locked by writer\n');
    }
    assert.equal(await page.locator('#pipeline-failures .failure').count(), 2, 'only the failed attempts');
    const states = await page.$$eval('#pipeline-tasks tr[data-task]', (rows) =>
      rows.map((r) => [r.dataset.task, r.querySelector('[data-col="state"]').textContent]));
    assert.deepEqual(states, [['extract', 'succeeded'], ['load', 'failed'], ['report', 'upstream failed']]);
  });

  it('draws one timeline bar per attempt, in time order, coloured by outcome', async () => {
    const failed = runs[1];
    const bars = await page.$$eval('#pipeline-timeline .tl-row', (rows) => rows.map((row) => ({
      task: row.dataset.task,
      bars: [...row.querySelectorAll('.tl-bar')].map((b) => ({
        attempt: Number(b.dataset.attempt),
        outcome: b.dataset.outcome,
        color: getComputedStyle(b).backgroundColor,
        left: b.getBoundingClientRect().left,
        right: b.getBoundingClientRect().right,
      })),
    })));
    assert.deepEqual(bars.map((r) => [r.task, r.bars.length]),
      failed.tasks.map((t) => [t.task, t.attempts.length]));
    const total = failed.tasks.reduce((n, t) => n + t.attempts.length, 0);
    assert.equal(await page.getAttribute('#pipeline-timeline', 'data-bars'), String(total));
    const [extract, load] = bars;
    assert.deepEqual(extract.bars.map((b) => [b.outcome, b.color]), [['succeeded', kBarColors.succeeded]]);
    assert.deepEqual(load.bars.map((b) => [b.attempt, b.outcome, b.color]),
      [[1, 'failed', kBarColors.failed], [2, 'failed', kBarColors.failed]]);
    // Placed by time: extract (0.2 s) ends before load starts; the retry comes 300 ms later.
    assert.ok(extract.bars[0].right <= load.bars[0].left + 1, JSON.stringify(bars));
    assert.ok(load.bars[0].right < load.bars[1].left, JSON.stringify(load.bars));
    assert.ok(extract.bars[0].right - extract.bars[0].left > 20, 'a 0.2 s attempt is visibly long');
    assert.deepEqual(page_errors, [], 'no uncaught page errors');
    const shot = path.join(dir, 'pipeline-view.png');
    await page.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
  });

  it('lists a run an admin started through the API once Refresh is pressed', async () => {
    const response = await fetch(`${base}/api/v1/pipeline/runs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ quarter: '2017Q4' }),
    });
    assert.equal(response.status, 202, await response.clone().text());
    const { run_id: id } = await response.json();
    const deadline = Date.now() + 30000;
    let run;
    while (Date.now() < deadline) {
      run = History(config).find((r) => r.run_id === id);
      if (run && run.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(run?.state, 'succeeded', `run ${id} in the history: ${JSON.stringify(run)}`);
    await page.click('#pipeline-refresh');
    await page.waitForSelector(`#pipeline-runs tr[data-run-id="${id}"]`, { timeout: 15000 });
    assert.equal(await page.getAttribute('#pipeline-runs tbody tr:first-child', 'data-run-id'), id,
      'the newest run is listed first');
    assert.equal(await page.textContent(`#pipeline-runs tr[data-run-id="${id}"] [data-col="quarter"]`), '2017Q4');
    assert.deepEqual(page_errors, [], 'no uncaught page errors');
  });
});
