// The dashboard's browser test (issue #5): builds a small lake with the real binary, starts
// `stocklake serve` on loopback with anonymous access, and drives Debian's chromium through
// playwright-core: ticker search, chart drawn, interval switch, RSI/MACD panes, run history
// and quality panels, an API error shown in the page. Expected values come from the lake
// read independently with DuckDB. Run: STOCKLAKE_BINARY=build/stocklake node --test <this>.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BuildWebDistIfMissing,
  DuckDb,
  KeepOnlyScreenshots,
  LaunchChromium,
  OpenDashboard,
  Parquet,
  StartServe,
  StopServe,
  WaitForPixels,
} from './browser_util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const source_dir = process.env.STOCKLAKE_SOURCE_DIR ?? path.resolve(here, '../..');
const binary = process.env.STOCKLAKE_BINARY ?? path.join(source_dir, 'build/stocklake');
const chromium_path = process.env.CHROMIUM ?? '/usr/bin/chromium';
const kUp = [22, 163, 74]; // the candles' up colour (web/src/chart.ts)
const kDown = [220, 38, 38];
const kRsi = [124, 58, 237];
const kMacd = [37, 99, 235];

async function WaitForChart(page, ticker, interval) {
  await page.waitForFunction(
    ({ ticker, interval }) => {
      const card = document.querySelector('#chart-card');
      const chart = document.querySelector('#price-chart');
      return (
        card?.dataset.state !== 'loading' &&
        chart?.dataset.ticker === ticker &&
        chart?.dataset.interval === interval
      ) || card?.dataset.state === 'error';
    },
    { ticker, interval },
    { timeout: 15000 },
  );
  const state = await page.getAttribute('#chart-card', 'data-state');
  const errors = await page.textContent('#errors');
  assert.equal(state, 'ready', `chart failed to load: ${errors}`);
}

describe('dashboard against stocklake serve', { timeout: 120000 }, () => {
  let dir;
  let lake;
  let server;
  let context;
  let page;
  let base;
  const server_log = [];
  const page_errors = [];
  let tickers;

  before(async () => {
    assert.ok(fs.existsSync(binary), `no stocklake binary at ${binary} (set STOCKLAKE_BINARY)`);
    assert.ok(fs.existsSync(chromium_path), `no chromium at ${chromium_path} (scripts/install-deps.sh)`);
    BuildWebDistIfMissing(source_dir);

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocklake-dashboard-'));
    lake = path.join(dir, 'lake');
    const data = path.join(dir, 'data');
    execFileSync(binary, ['generate', '--tickers', '6', '--days', '320', '--seed', '11',
      '--bad-rows', '0.02', '--out', data], { stdio: 'pipe' });
    execFileSync(binary, ['run', '--input', data, '--lake', lake], { stdio: 'pipe' });
    tickers = DuckDb(`SELECT DISTINCT ticker FROM ${Parquet(lake, 'silver/bars')} ORDER BY ticker`)
      .map((r) => r.ticker);
    assert.ok(tickers.length >= 2, 'the generated lake has tickers');

    ({ server, base } = await StartServe(binary, lake, server_log));
    context = await LaunchChromium(chromium_path, dir, { width: 1280, height: 800 });
    page = await OpenDashboard(context, base, page_errors);
  });

  after(async () => {
    await context?.close();
    await StopServe(server);
    KeepOnlyScreenshots(dir);
  });

  it('serves the built dashboard at /', async () => {
    assert.equal(await page.title(), 'stocklake');
    assert.ok(await page.isVisible('#ticker-input'));
  });

  it('searches by prefix, picks a ticker by click and draws its daily chart', async () => {
    const prefix = tickers[tickers.length - 1].slice(0, 1);
    const expected = tickers.filter((t) => t.startsWith(prefix)).slice(0, 20);
    const target = expected[expected.length - 1];

    await page.fill('#ticker-input', '');
    await page.type('#ticker-input', prefix, { delay: 30 });
    await page.waitForFunction(
      (n) => document.querySelectorAll('#ticker-list li[data-ticker]').length === n &&
        !document.querySelector('#ticker-list').hidden,
      expected.length,
      { timeout: 10000 },
    );
    const shown = await page.$$eval('#ticker-list li[data-ticker]', (lis) => lis.map((li) => li.dataset.ticker));
    assert.deepEqual([...shown].sort(), [...expected].sort(), 'suggestions are the tickers with the prefix');

    await page.click(`#ticker-list li[data-ticker="${target}"]`);
    await WaitForChart(page, target, 'day');

    const [{ n: days }] = DuckDb(
      `SELECT count(*) AS n FROM ${Parquet(lake, 'silver/bars')} WHERE ticker = '${target}'`);
    assert.equal(await page.getAttribute('#price-chart', 'data-bars'), String(days));
    assert.equal(await page.textContent('#ticker-title'), target);

    const up = await WaitForPixels(page, '#price-chart', kUp, 'up candles');
    const down = await WaitForPixels(page, '#price-chart', kDown, 'down candles');
    assert.ok(up + down > 500, `candles cover ${up + down} pixels`);

    // RSI and MACD panes: as many points as the lake's non-null values, and drawn.
    const [ind] = DuckDb(`SELECT count(rsi_14) AS rsi, count(macd) AS macd FROM
      ${Parquet(lake, 'gold/indicators')} WHERE ticker = '${target}'`);
    assert.equal(await page.getAttribute('#rsi-chart', 'data-points'), String(ind.rsi));
    assert.equal(await page.getAttribute('#macd-chart', 'data-points'), String(ind.macd));
    assert.ok(Number(ind.rsi) > 0 && Number(ind.macd) > 0);
    await WaitForPixels(page, '#rsi-chart', kRsi, 'RSI line');
    await WaitForPixels(page, '#macd-chart', kMacd, 'MACD line');
    const shot = path.join(dir, 'dashboard-day.png');
    await page.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
  });

  it('picks a ticker with the keyboard', async () => {
    const prefix = tickers[0].slice(0, 1);
    const expected = tickers.filter((t) => t.startsWith(prefix)).slice(0, 20);
    await page.fill('#ticker-input', '');
    await page.type('#ticker-input', prefix, { delay: 30 });
    await page.waitForFunction(
      (n) => document.querySelectorAll('#ticker-list li[data-ticker]').length === n &&
        !document.querySelector('#ticker-list').hidden,
      expected.length,
      { timeout: 10000 },
    );
    const shown = await page.$$eval('#ticker-list li[data-ticker]', (lis) => lis.map((li) => li.dataset.ticker));
    // The first option is active; one ArrowDown moves to the next (wrapping round).
    const target = shown[1 % shown.length];
    await page.press('#ticker-input', 'ArrowDown');
    await page.press('#ticker-input', 'Enter');
    await WaitForChart(page, target, 'day');
    assert.equal(await page.textContent('#ticker-title'), target);
  });

  it('switches the interval to week and keeps the RSI and MACD panes', async () => {
    const ticker = await page.getAttribute('#price-chart', 'data-ticker');
    await page.click('#interval button[data-interval="week"]');
    await WaitForChart(page, ticker, 'week');
    const [{ n: weeks }] = DuckDb(
      `SELECT count(*) AS n FROM ${Parquet(lake, 'gold/bars_weekly')} WHERE ticker = '${ticker}'`);
    assert.equal(await page.getAttribute('#price-chart', 'data-bars'), String(weeks));
    assert.equal(await page.getAttribute('#interval button[data-interval="week"]', 'aria-pressed'), 'true');
    await WaitForPixels(page, '#price-chart', kUp, 'weekly candles');
    for (const pane of ['#rsi-chart', '#macd-chart']) {
      assert.ok(await page.isVisible(pane), `${pane} is shown`);
      const box = await page.locator(pane).boundingBox();
      assert.ok(box && box.height > 60 && box.width > 300, `${pane} has room: ${JSON.stringify(box)}`);
      assert.ok((await page.locator(`${pane} canvas`).count()) > 0, `${pane} has a canvas`);
    }
  });

  it('shows the run history with its reject count and the quality summary', async () => {
    const [counts] = DuckDb(`SELECT
        count(*) FILTER (WHERE reason <> 'duplicate') AS rejected,
        count(*) FILTER (WHERE reason = 'duplicate') AS duplicates
      FROM ${Parquet(lake, 'rejects')}`);
    const [{ n: accepted }] = DuckDb(`SELECT count(*) AS n FROM ${Parquet(lake, 'silver/bars')}`);
    assert.ok(Number(counts.rejected) > 0, 'the generated data has bad rows');

    await page.waitForSelector('#runs[data-state="ready"] tr[data-snapshot]', { timeout: 10000 });
    const runs = await page.$$eval('#runs tr[data-snapshot]', (rows) => rows.map((r) => ({
      snapshot: r.dataset.snapshot,
      rejected: r.querySelector('[data-col="rejected"]').textContent,
    })));
    assert.equal(runs.length, 1, 'one run');
    assert.equal(runs[0].rejected.replace(/,/g, ''), String(counts.rejected));

    await page.waitForSelector('#quality[data-state="ready"]', { timeout: 10000 });
    const stat = (key) => page.textContent(`#quality [data-stat="${key}"] dd`).then((t) => t.replace(/,/g, ''));
    assert.equal(await stat('rejected'), String(counts.rejected));
    assert.equal(await stat('duplicates'), String(counts.duplicates));
    assert.equal(await stat('accepted'), String(accepted));
    assert.equal(await stat('rows_read'),
      String(Number(accepted) + Number(counts.rejected) + Number(counts.duplicates)));

    const by_reason = DuckDb(`SELECT reason, count(*) AS n FROM ${Parquet(lake, 'rejects')}
      WHERE reason <> 'duplicate' GROUP BY reason ORDER BY reason`);
    const shown = await page.$$eval('#quality tr[data-reason]', (rows) =>
      rows.map((r) => ({ reason: r.dataset.reason, n: r.querySelector('.num').textContent.replace(/,/g, '') })));
    for (const { reason, n } of by_reason) {
      assert.deepEqual(shown.find((s) => s.reason === reason), { reason, n: String(n) }, reason);
    }

    assert.ok(await page.isHidden('#errors'), `no API errors: ${await page.textContent('#errors')}`);
    assert.deepEqual(page_errors, [], 'no uncaught page errors');
    const shot = path.join(dir, 'dashboard-week.png');
    await page.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
  });

  it('sends the stored token as a bearer token and shows the API refusing a bad one', async () => {
    const sent = [];
    const watch = (request) => {
      if (request.url().includes('/api/v1/')) sent.push(request.headers()['authorization'] ?? null);
    };
    page.on('request', watch);
    await page.fill('#token-input', 'not-a-real-token');
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('#errors .error[data-source="runs"]', { timeout: 10000 });
    const message = await page.textContent('#errors .error[data-source="runs"]');
    assert.match(message, /HTTP 401 unauthorized/);
    assert.equal(await page.getAttribute('#runs', 'data-state'), 'error');
    assert.equal(await page.evaluate(() => localStorage.getItem('stocklake.token')), 'not-a-real-token');
    assert.ok(sent.length > 0 && sent.every((h) => h === 'Bearer not-a-real-token'), JSON.stringify(sent));

    // Clearing the token goes back to anonymous access and the errors go away.
    sent.length = 0;
    await page.fill('#token-input', '');
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector('#runs[data-state="ready"]', { timeout: 10000 });
    await page.waitForSelector('#chart-card[data-state="ready"]', { timeout: 10000 });
    assert.ok(await page.isHidden('#errors'), `errors cleared: ${await page.textContent('#errors')}`);
    assert.ok(sent.length > 0 && sent.every((h) => h === null), JSON.stringify(sent));
    page.off('request', watch);
  });
});
