// What the dashboard's browser tests share: DuckDB over a lake's files, a free port, waiting
// for `stocklake serve`, and counting the pixels a chart drew in a colour.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

//! Builds web/dist with vite unless it is there (`make web` keeps it fresh).
export function BuildWebDistIfMissing(source_dir) {
  if (fs.existsSync(path.join(source_dir, 'web/dist/index.html'))) return;
  execFileSync('npx', ['--no-install', 'vite', 'build', '--logLevel', 'warn'], {
    cwd: path.join(source_dir, 'web'),
    stdio: 'inherit',
  });
}

//! Removes everything under `dir` but the screenshots, whose paths the tests print.
export function KeepOnlyScreenshots(dir) {
  if (!dir) return;
  for (const entry of fs.readdirSync(dir)) {
    if (!entry.endsWith('.png')) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}

export function DuckDb(sql) {
  const out = execFileSync('node', [path.join(here, 'duckdb_query.mjs'), sql], { encoding: 'utf8' });
  return JSON.parse(out);
}

export function Parquet(lake, table) {
  return `read_parquet('${path.join(lake, table)}/**/*.parquet')`;
}

export async function FreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

//! Starts `stocklake serve --lake LAKE ... --allow-anonymous` on a free loopback port and
//! waits until it answers; its output goes to `server_log`. Returns { server, base }.
export async function StartServe(binary, lake, server_log, extra_args = []) {
  const port = await FreePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(binary, ['serve', '--lake', lake, '--listen', `127.0.0.1:${port}`, '--allow-anonymous',
    ...extra_args], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => server_log.push(String(d)));
  server.stderr.on('data', (d) => server_log.push(String(d)));
  await WaitForHealth(base, server_log, server);
  return { server, base };
}

//! SIGTERM, then SIGKILL after 5 s.
export async function StopServe(server) {
  if (!server || server.exitCode !== null) return;
  server.kill('SIGTERM');
  await new Promise((r) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      r();
    }, 5000);
    server.once('exit', () => {
      clearTimeout(timer);
      r();
    });
  });
}

//! Headless Chromium (Debian's, at `executable`) with a fresh profile under `dir`.
export function LaunchChromium(executable, dir, viewport) {
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(dir, 'chromium-profile-')), {
    executablePath: executable,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

//! The dashboard at `base`/ in `context`'s page, its uncaught errors collected in `page_errors`.
export async function OpenDashboard(context, base, page_errors) {
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => page_errors.push(e.message));
  await page.goto(`${base}/`, { waitUntil: 'load' });
  return page;
}

export async function WaitForHealth(base, server_log, child) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`stocklake serve exited with ${child.exitCode}: ${server_log.join('')}`);
    }
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`stocklake serve did not answer /healthz within 20 s: ${server_log.join('')}`);
}

// Counts, over every canvas under `selector`, the opaque pixels close to `rgb`: the chart
// library draws on canvases only, so this is how the test sees what was drawn.
export function CountPixels(page, selector, rgb) {
  return page.evaluate(
    ({ selector, rgb }) => {
      let n = 0;
      for (const canvas of document.querySelectorAll(`${selector} canvas`)) {
        if (canvas.width === 0 || canvas.height === 0) continue;
        const ctx = canvas.getContext('2d');
        if (!ctx) continue;
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < data.length; i += 4) {
          if (
            data[i + 3] > 200 &&
            Math.abs(data[i] - rgb[0]) < 10 &&
            Math.abs(data[i + 1] - rgb[1]) < 10 &&
            Math.abs(data[i + 2] - rgb[2]) < 10
          ) {
            ++n;
          }
        }
      }
      return n;
    },
    { selector, rgb },
  );
}

export async function WaitForPixels(page, selector, rgb, what) {
  const deadline = Date.now() + 10000;
  let n = 0;
  while (Date.now() < deadline) {
    n = await CountPixels(page, selector, rgb);
    if (n > 20) return n;
    await page.waitForTimeout(100);
  }
  assert.fail(`${what}: only ${n} pixels of rgb(${rgb}) drawn under ${selector}`);
}
