// The dashboard's model view in real Chromium (playwright-core) against `stocklake serve`:
// a lake made by the real binary, ML tables committed by tests/ml_lake_fixture (the lake's
// commit path), the model view opened from the top bar. Checks the newest backtest's IC
// chart (its four lines drawn) and table, and the newest quarter's top and bottom
// predictions, against the lake's files read independently with DuckDB.
// Run: STOCKLAKE_BINARY=build/stocklake STOCKLAKE_ML_FIXTURE=build/tests/ml_lake_fixture node --test <this>.
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
const fixture = process.env.STOCKLAKE_ML_FIXTURE ?? path.join(source_dir, 'build/tests/ml_lake_fixture');
const chromium_path = process.env.CHROMIUM ?? '/usr/bin/chromium';
// The IC chart's lines (web/src/model_view.ts kIcLines).
const kLines = {
  model_ic: [37, 99, 235],
  model_rank_ic: [5, 150, 105],
  baseline_ic: [234, 88, 12],
  baseline_rank_ic: [147, 51, 234],
};

//! How the view prints every metric and prediction: four decimals, '–' for null.
function Fixed(value) {
  return value === null || value === undefined ? '–' : Number(value).toFixed(4);
}

async function Rows(page, selector) {
  return page.$$eval(`${selector} tr[data-ticker]`, (rows) => rows.map((r) => ({
    rank: r.querySelector('[data-col="rank"]').textContent,
    ticker: r.dataset.ticker,
    prediction: r.querySelector('[data-col="prediction"]').textContent,
    label: r.querySelector('[data-col="label"]').textContent,
  })));
}

describe('dashboard model view against stocklake serve', { timeout: 150000 }, () => {
  let dir;
  let lake;
  let server;
  let context;
  let page;
  const server_log = [];
  const page_errors = [];

  before(async () => {
    assert.ok(fs.existsSync(binary), `no stocklake binary at ${binary} (set STOCKLAKE_BINARY)`);
    assert.ok(fs.existsSync(fixture), `no ml_lake_fixture at ${fixture} (set STOCKLAKE_ML_FIXTURE)`);
    assert.ok(fs.existsSync(chromium_path), `no chromium at ${chromium_path} (scripts/install-deps.sh)`);
    BuildWebDistIfMissing(source_dir);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stocklake-model-view-'));
    lake = path.join(dir, 'lake');
    const data = path.join(dir, 'data');
    execFileSync(binary, ['generate', '--tickers', '25', '--days', '120', '--seed', '5', '--out', data],
      { stdio: 'pipe' });
    execFileSync(binary, ['run', '--input', data, '--lake', lake], { stdio: 'pipe' });
    execFileSync(fixture, [lake], { stdio: 'pipe' });

    let base;
    ({ server, base } = await StartServe(binary, lake, server_log));
    context = await LaunchChromium(chromium_path, dir, { width: 1280, height: 900 });
    page = await OpenDashboard(context, base, page_errors);
    await page.click('#views button[data-view="model"]');
    await page.waitForSelector('#ic-card[data-state="ready"]', { timeout: 15000 });
    await page.waitForSelector('#predictions-card[data-state="ready"]', { timeout: 15000 });
  });

  after(async () => {
    await context?.close();
    await StopServe(server);
    KeepOnlyScreenshots(dir);
  });

  it('switches to the model view and back', async () => {
    assert.ok(await page.isVisible('#model-view'));
    assert.ok(await page.isHidden('#chart-card'));
    assert.equal(await page.getAttribute('#views button[data-view="model"]', 'aria-pressed'), 'true');
  });

  it('charts and tabulates the newest backtest\'s IC and rank IC of model and baseline', async () => {
    const [{ id }] = DuckDb(`SELECT max(backtest_id) AS id FROM ${Parquet(lake, 'gold/backtest')}`);
    assert.equal(id, 'bt-20240101', 'the fixture made two backtests; the newest sorts last');
    const rows = DuckDb(`SELECT quarter, predictor, ic, rank_ic FROM ${Parquet(lake, 'gold/backtest')}
      WHERE backtest_id = '${id}' ORDER BY quarter, predictor`);
    const quarters = [...new Set(rows.map((r) => r.quarter))];
    assert.equal(await page.getAttribute('#ic-chart', 'data-backtest'), id);
    assert.equal(await page.getAttribute('#ic-chart', 'data-quarters'), String(quarters.length));
    for (const [name, rgb] of Object.entries(kLines)) await WaitForPixels(page, '#ic-chart', rgb, name);

    const shown = await page.$$eval('#ic-table tr[data-quarter]', (trs) => trs.map((tr) => {
      const cell = (key) => tr.querySelector(`[data-col="${key}"]`).textContent;
      return [tr.dataset.quarter, cell('model_ic'), cell('model_rank_ic'), cell('baseline_ic'),
        cell('baseline_rank_ic')];
    }));
    const expected = quarters.map((q) => {
      const of = (predictor) => rows.find((r) => r.quarter === q && r.predictor === predictor);
      return [q, Fixed(of('model').ic), Fixed(of('model').rank_ic), Fixed(of('baseline').ic),
        Fixed(of('baseline').rank_ic)];
    });
    assert.deepEqual(shown, expected);
    assert.ok(expected.some((r) => r.includes('–')), 'a quarter without a baseline IC is shown as such');

    const [mean] = DuckDb(`SELECT avg(ic) AS ic FROM ${Parquet(lake, 'gold/backtest')}
      WHERE backtest_id = '${id}' AND predictor = 'model'`);
    const summary = await page.textContent('#ic-table tr[data-summary="model"] [data-col="mean_ic"]');
    assert.ok(summary.startsWith(Fixed(mean.ic)), `${summary} starts with the mean IC ${Fixed(mean.ic)}`);
  });

  it('lists the newest quarter\'s top and bottom predictions by rank', async () => {
    const [{ quarter }] = DuckDb(`SELECT max(quarter) AS quarter FROM ${Parquet(lake, 'gold/predictions')}`);
    const all = DuckDb(`SELECT rank, ticker, prediction, label FROM ${Parquet(lake, 'gold/predictions')}
      WHERE quarter = '${quarter}' ORDER BY rank`)
      .map((r) => ({ rank: String(r.rank), ticker: r.ticker, prediction: Fixed(r.prediction), label: Fixed(r.label) }));
    assert.equal(all.length, 25);
    assert.equal(await page.getAttribute('#top-predictions', 'data-quarter'), quarter);
    assert.deepEqual(await Rows(page, '#top-predictions'), all.slice(0, 10));
    assert.deepEqual(await Rows(page, '#bottom-predictions'), all.slice(15));
    assert.match(await page.textContent('#predictions-meta'), new RegExp(`^${quarter} · momentum-xgb v2 · 25 tickers`));
    assert.deepEqual(page_errors, [], 'no uncaught page errors');
    const shot = path.join(dir, 'model-view.png');
    await page.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
  });
});
