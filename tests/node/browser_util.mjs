// What the dashboard's browser tests share: DuckDB over a lake's files, a free port, waiting
// for `stocklake serve`, and counting the pixels a chart drew in a colour.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

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
