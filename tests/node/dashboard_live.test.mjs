// The dashboard's intraday view and the speed layer's reconciliation in real Chromium
// (playwright-core) against `stocklake serve`: a batch lake and a speed layer made by the
// real binary (`generate-trades`, `publish`, `stream --once`), plus trades written here
// for a batch ticker's last two days (one equal to the batch, one with a different close).
// Checks the symbol picker and the bars drawn at 1m and 5m against the API, windows
// committed while the page is open appearing without a reload (through EventSource, and
// through the fetch() reader used with a token), and the reconciliation in the
// data-quality panel. Run: STOCKLAKE_BINARY=build/stocklake node --test <this>.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
  WaitForPixels,
} from './browser_util.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const source_dir = process.env.STOCKLAKE_SOURCE_DIR ?? path.resolve(here, '../..');
const binary = process.env.STOCKLAKE_BINARY ?? path.join(source_dir, 'build/stocklake');
const chromium_path = process.env.CHROMIUM ?? '/usr/bin/chromium';
const kUp = [22, 163, 74]; // the candles' colours (web/src/intraday_view.ts)
const kDown = [220, 38, 38];
const kMinute = 60_000;

describe('dashboard intraday view against stocklake serve', { timeout: 170000 }, () => {
  let dir;
  let lake;
  let server;
  let base;
  let context;
  let page;
  let batch_ticker;
  let batch_days;
  let planted_close;
  const server_log = [];
  const page_errors = [];
  let published = 0;

  async function Api(p) {
    const response = await fetch(`${base}${p}`);
    assert.equal(response.status, 200, `${p}: ${await response.clone().text()}`);
    return response.json();
  }

  async function AllBars(symbol, interval) {
    const body = await Api(`/api/v1/tickers/${symbol}/bars?interval=${interval}&limit=5000`);
    assert.equal(body.next_cursor, null);
    return body.data;
  }

  //! Publishes `trades` (objects of spec/stream.md) and lets a stream processor commit
  //! them, as a live feed would.
  function PublishAndStream(trades) {
    const file = path.join(dir, `trades-${++published}.jsonl`);
    fs.writeFileSync(file, trades.map((t) => JSON.stringify(t)).join('\n') + '\n');
    execFileSync(binary, ['publish', '--lake', lake, '--topic', 'trades', '--input', file], { stdio: 'pipe' });
    execFileSync(binary, ['stream', '--once', '--lake', lake], { stdio: 'pipe' });
  }

  //! Trades at `start` (Unix ms) that make a window of these numbers.
  function WindowTrades(symbol, start, { open, high, low, close, volume }) {
    const ts = (i) => new Date(start + i * 1000).toISOString();
    return [
      { symbol, price: open, size: volume - 3, ts: ts(0) },
      { symbol, price: high, size: 1, ts: ts(1) },
      { symbol, price: low, size: 1, ts: ts(2) },
      { symbol, price: close, size: 1, ts: ts(3) },
    ];
  }

  async function WaitForIntraday(symbol, interval) {
    await page.waitForFunction(
      ({ symbol, interval }) => {
        const card = document.querySelector('#intraday-card');
        const chart = document.querySelector('#intraday-chart');
        const live = document.querySelector('#intraday-live');
        return (
          (card?.dataset.state === 'ready' &&
            chart?.dataset.symbol === symbol &&
            chart?.dataset.interval === interval &&
            live?.dataset.live === 'open') ||
          card?.dataset.state === 'error'
        );
      },
      { symbol, interval },
      { timeout: 15000 },
    );
    // A reload the caller set off (a new token) may start just after the wait above saw the
    // previous answer: wait for whatever load is in flight to settle too.
    await page.waitForFunction(
      () => ['ready', 'error'].includes(document.querySelector('#intraday-card')?.dataset.state),
      null,
      { timeout: 15000 },
    );
    assert.equal(await page.getAttribute('#intraday-card', 'data-state'), 'ready', await page.textContent('#errors'));
  }

  async function Chart() {
    return page.$eval('#intraday-chart', (c) => ({
      bars: Number(c.dataset.bars),
      last_start: c.dataset.lastStart,
      updates: Number(c.dataset.updates),
    }));
  }

  before(async () => {
    assert.ok(fs.existsSync(binary), `no stocklake binary at ${binary} (set STOCKLAKE_BINARY)`);
    assert.ok(fs.existsSync(chromium_path), `no chromium at ${chromium_path} (scripts/install-deps.sh)`);
    BuildWebDistIfMissing(source_dir);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocklake-live-view-'));
    lake = path.join(dir, 'lake');
    const data = path.join(dir, 'data');
    execFileSync(binary, ['generate', '--tickers', '2', '--days', '30', '--seed', '3', '--out', data], { stdio: 'pipe' });
    execFileSync(binary, ['run', '--input', data, '--lake', lake], { stdio: 'pipe' });
    // Two symbols trading for 20 minutes, one trade a second.
    const trades = path.join(dir, 'trades.jsonl');
    execFileSync(binary, ['generate-trades', '--out', trades, '--events', '1200', '--symbols', '2', '--seed', '9',
      '--rate', '1'], { stdio: 'pipe' });
    execFileSync(binary, ['publish', '--lake', lake, '--topic', 'trades', '--input', trades], { stdio: 'pipe' });
    execFileSync(binary, ['stream', '--once', '--lake', lake], { stdio: 'pipe' });
    ({ server, base } = await StartServe(binary, lake, server_log));

    // The batch ticker's last two days traded in the speed layer: the last equal to the
    // batch's bar, the one before with another close (within the day's low and high).
    const tickers = await Api('/api/v1/tickers?limit=1');
    batch_ticker = tickers.data[0].ticker;
    batch_days = (await Api(`/api/v1/tickers/${batch_ticker}/bars?limit=5000`)).data.slice(-2);
    const { close, low, high } = batch_days[0];
    planted_close = close !== low ? (close + low) / 2 : (close + high) / 2;
    const at = (day) => Date.parse(`${day.date}T14:30:00Z`);
    PublishAndStream([
      ...WindowTrades(batch_ticker, at(batch_days[0]), { ...batch_days[0], close: planted_close }),
      ...WindowTrades(batch_ticker, at(batch_days[1]), batch_days[1]),
    ]);

    context = await LaunchChromium(chromium_path, dir, { width: 1280, height: 820 });
    page = await OpenDashboard(context, base, page_errors);
    await page.click('#views button[data-view="intraday"]');
  });

  after(async () => {
    await context?.close();
    await StopServe(server);
    KeepOnlyScreenshots(dir);
  });

  it('lists the speed layer\'s symbols and draws the first one\'s 1m bars', async () => {
    const symbols = (await Api('/api/v1/stream/symbols')).data.map((s) => s.symbol);
    assert.equal(symbols.length, 3);
    await WaitForIntraday(symbols[0], '1m');
    const options = await page.$$eval('#intraday-symbol option', (o) => o.map((x) => x.value));
    assert.deepEqual(options, symbols);
    assert.ok(await page.isHidden('#chart-card'), 'the price view is hidden');
    // The picker: the first generated symbol (not the batch ticker).
    const symbol = symbols.find((s) => s !== batch_ticker);
    await page.selectOption('#intraday-symbol', symbol);
    await WaitForIntraday(symbol, '1m');
    const bars = await AllBars(symbol, '1m');
    assert.ok(bars.length >= 18, `20 minutes of trades: ${bars.length} windows`);
    const chart = await Chart();
    assert.equal(chart.bars, bars.length);
    assert.equal(chart.last_start, bars.at(-1).window_start);
    assert.equal(await page.textContent('#intraday-title'), symbol);
    await WaitForPixels(page, '#intraday-chart', kUp, 'up candles');
    await WaitForPixels(page, '#intraday-chart', kDown, 'down candles');
  });

  it('switches to 5-minute bars rolled up by the server', async () => {
    const symbol = await page.$eval('#intraday-symbol', (s) => s.value);
    await page.click('#intraday-interval button[data-interval="5m"]');
    await WaitForIntraday(symbol, '5m');
    const bars = await AllBars(symbol, '5m');
    assert.equal((await Chart()).bars, bars.length);
    assert.equal((await Chart()).last_start, bars.at(-1).window_start);
    await page.click('#intraday-interval button[data-interval="1m"]');
    await WaitForIntraday(symbol, '1m');
  });

  it('draws a window committed while the page is open, without a reload', async () => {
    const symbol = await page.$eval('#intraday-symbol', (s) => s.value);
    await page.evaluate(() => {
      window.still_the_same_page = true;
    });
    const before_bars = await Chart();
    const last = (await AllBars(symbol, '1m')).at(-1);
    const start = Math.floor(Date.parse(last.window_start) / (5 * kMinute)) * 5 * kMinute + 10 * kMinute;
    PublishAndStream(WindowTrades(symbol, start, { open: 100.5, high: 103.25, low: 99.75, close: 102, volume: 500 }));
    const iso = new Date(start).toISOString();
    await page.waitForFunction((iso) => document.querySelector('#intraday-chart').dataset.lastStart === iso, iso,
      { timeout: 15000 });
    const chart = await Chart();
    assert.equal(chart.bars, before_bars.bars + 1);
    assert.ok(chart.updates > before_bars.updates);
    assert.ok(await page.evaluate(() => window.still_the_same_page === true), 'no reload');
    assert.match(await page.textContent('#intraday-legend'), /C 102\.00/);

    // At 5m, a window inside the newest bar makes the view fetch that bar again.
    await page.click('#intraday-interval button[data-interval="5m"]');
    await WaitForIntraday(symbol, '5m');
    const five_before = await Chart();
    PublishAndStream(WindowTrades(symbol, start + kMinute, { open: 102, high: 110.5, low: 101, close: 109, volume: 40 }));
    await page.waitForFunction(() => /H 110\.50/.test(document.querySelector('#intraday-legend').textContent),
      null, { timeout: 15000 });
    const newest = (await AllBars(symbol, '5m')).at(-1);
    assert.equal(newest.window_start, iso);
    assert.equal(newest.high, 110.5);
    assert.equal(newest.volume, 540);
    assert.equal((await Chart()).bars, five_before.bars, 'the same bar, updated');
    assert.match(await page.textContent('#intraday-legend'), /Vol 540/);
    assert.ok(await page.evaluate(() => window.still_the_same_page === true), 'no reload');
    const shot = path.join(dir, 'intraday-view.png');
    await page.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
  });

  it('follows the stream with a token too (fetch() instead of EventSource)', async () => {
    const token = execFileSync(binary, ['token', 'create', '--lake', lake, '--role', 'viewer', '--name', 'live'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    // The answer shown so far is stale: the wait below must see the reload's own answer.
    await page.$eval('#intraday-card', (card) => {
      card.dataset.state = 'stale';
    });
    await page.fill('#token-input', token);
    await page.click('#token-form button[type="submit"]');
    const symbol = await page.$eval('#intraday-symbol', (s) => s.value);
    await WaitForIntraday(symbol, '5m');
    const start = Date.parse((await Chart()).last_start) + 5 * kMinute;
    PublishAndStream(WindowTrades(symbol, start, { open: 90, high: 91, low: 89, close: 90.5, volume: 10 }));
    const iso = new Date(start).toISOString();
    await page.waitForFunction((iso) => document.querySelector('#intraday-chart').dataset.lastStart === iso, iso,
      { timeout: 15000 });
    const log = server_log.join('');
    assert.doesNotMatch(log, /stream\/bars: /, 'the streams ran without errors');
    assert.deepEqual(page_errors, [], 'no uncaught page errors');
  });

  it('shows the reconciliation of speed and batch in the data-quality panel', async () => {
    await page.click('#views button[data-view="prices"]');
    await page.click('#refresh');
    await page.waitForSelector('#quality[data-state="ready"] [data-testid="reconciliation"]', { timeout: 15000 });
    const summary = await page.textContent('[data-testid="reconciliation-summary"]');
    assert.match(summary, /^2 days in both · 1 differ/);
    const rows = await page.$$eval('[data-testid="reconciliation"] tbody tr', (rows) =>
      rows.map((r) => [r.dataset.ticker, r.dataset.date, r.dataset.field, [...r.cells].map((c) => c.textContent)]));
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const [ticker, date, field, cells] = rows[0];
    assert.deepEqual([ticker, date, field], [batch_ticker, batch_days[0].date, 'close']);
    assert.equal(Number(cells[3]), Number(planted_close.toPrecision(12)));
    assert.equal(Number(cells[4]), batch_days[0].close);
    assert.deepEqual(page_errors, [], 'no uncaught page errors');
    const shot = path.join(dir, 'reconciliation.png');
    await page.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
  });
});
