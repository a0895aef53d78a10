// The side panels: the data-quality summary of the current snapshot (with the speed
// layer's reconciliation against the batch) and the run history with each run's reject
// counts. Built with DOM nodes (no HTML strings from API data).
import type { QualitySummary, Reconciliation, RunInfo } from './api';
import { El, Table } from './dom';

function Count(value: number | null | undefined): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : '–';
}

function Percent(part: number, whole: number): string {
  if (!(whole > 0)) return '–';
  const pct = (100 * part) / whole;
  return `${pct < 0.01 && pct > 0 ? '<0.01' : pct.toFixed(2)}%`;
}

//! Shortens an ISO-8601 timestamp to "YYYY-MM-DD HH:MM" (UTC as stored).
function When(timestamp: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(timestamp);
  return m ? `${m[1]} ${m[2]}` : timestamp;
}

//! Fills `root` with the quality summary: headline counts and rejects by reason.
export function RenderQuality(root: HTMLElement, q: QualitySummary): void {
  root.replaceChildren();
  const stats = El('dl', undefined, 'stats');
  const stat = (label: string, value: string, note?: string, key?: string) => {
    const box = El('div', undefined, 'stat');
    if (key) box.dataset.stat = key;
    box.append(El('dt', label), El('dd', value));
    if (note) box.append(El('span', note, 'note'));
    stats.append(box);
  };
  stat('Rows read', Count(q.rows_read), undefined, 'rows_read');
  stat('Accepted', Count(q.accepted), Percent(q.accepted, q.rows_read), 'accepted');
  stat('Rejected', Count(q.rejected), Percent(q.rejected, q.rows_read), 'rejected');
  stat('Duplicates', Count(q.duplicates), Percent(q.duplicates, q.rows_read), 'duplicates');
  root.append(stats);

  const meta = El('p', undefined, 'meta');
  const range = q.first_date && q.last_date ? `${q.first_date} → ${q.last_date}` : 'no dates';
  meta.textContent = `Snapshot ${q.snapshot_id} · ${Count(q.tickers)} tickers · ${range}`;
  root.append(meta);

  const reasons = Object.entries(q.rejected_by_reason ?? {}).sort((a, b) => b[1] - a[1]);
  const total = reasons.reduce((sum, [, n]) => sum + n, 0);
  const table = El('table', undefined, 'reasons');
  table.dataset.testid = 'rejects-by-reason';
  const head = El('thead');
  const head_row = El('tr');
  head_row.append(El('th', 'Reject reason'), El('th', 'Rows', 'num'), El('th', '', 'bar-col'));
  head.append(head_row);
  const body = El('tbody');
  if (reasons.length === 0) {
    const row = El('tr');
    const cell = El('td', 'No rejected rows', 'empty');
    cell.colSpan = 3;
    row.append(cell);
    body.append(row);
  }
  for (const [reason, n] of reasons) {
    const row = El('tr');
    row.dataset.reason = reason;
    if (n === 0) row.classList.add('zero');
    const bar_cell = El('td', undefined, 'bar-col');
    const bar = El('span', undefined, 'bar');
    bar.style.width = total > 0 ? `${(100 * n) / total}%` : '0';
    bar_cell.append(bar);
    row.append(El('td', reason.replace(/_/g, ' '), 'reason'), El('td', Count(n), 'num'), bar_cell);
    body.append(row);
  }
  table.append(head, body);
  root.append(table);
  if (q.reconciliation) root.append(...ReconciliationNodes(q.reconciliation));
}

//! A field's value as the batch and the speed layer hold it: prices to the 1e-9 they are
//! compared at, volumes whole.
function Value(field: string, value: number): string {
  return field === 'volume' ? Count(value) : String(Number(value.toPrecision(12)));
}

//! The speed layer against the batch: how many days both have, how many differ, and the
//! differing fields of the newest of them.
function ReconciliationNodes(r: Reconciliation): HTMLElement[] {
  const head = El('h3', 'Speed layer vs batch', 'subhead');
  const summary = El('p', undefined, 'meta');
  summary.dataset.testid = 'reconciliation-summary';
  summary.textContent =
    r.days_compared === 0
      ? 'No day is in both the speed layer and the batch yet'
      : `${Count(r.days_compared)} days in both · ${Count(r.days_differing)} differ` +
        ` (prices beyond ${r.price_tolerance} relative, volume exactly)`;
  const rows: HTMLTableRowElement[] = [];
  for (const day of r.differences) {
    for (const f of day.fields) {
      const row = El('tr');
      row.dataset.ticker = day.ticker;
      row.dataset.date = day.date;
      row.dataset.field = f.field;
      const pct = f.relative_difference * 100;
      row.append(
        El('td', day.ticker),
        El('td', day.date, 'when'),
        El('td', f.field),
        El('td', Value(f.field, f.speed), 'num'),
        El('td', Value(f.field, f.batch), 'num'),
        El('td', pct < 0.001 ? pct.toExponential(1) + '%' : pct.toFixed(3) + '%', 'num warn'),
      );
      rows.push(row);
    }
  }
  const nodes: HTMLElement[] = [head, summary];
  if (r.days_compared > 0) {
    const table = Table(
      [['Ticker'], ['Date'], ['Field'], ['Speed', 'num'], ['Batch', 'num'], ['Diff', 'num']],
      rows,
      'Every day agrees',
    );
    table.classList.add('reconciliation');
    table.dataset.testid = 'reconciliation';
    nodes.push(table);
  }
  return nodes;
}

//! Fills `root` with the run history table, newest first.
export function RenderRuns(root: HTMLElement, runs: RunInfo[]): void {
  root.replaceChildren();
  const table = El('table', undefined, 'runs');
  const head = El('thead');
  const head_row = El('tr');
  for (const [label, cls] of [
    ['Run', 'num'],
    ['Committed (UTC)', ''],
    ['Read', 'num'],
    ['Accepted', 'num'],
    ['Rejected', 'num'],
    ['Dupes', 'num'],
  ]) {
    head_row.append(El('th', label, cls || undefined));
  }
  head.append(head_row);
  const body = El('tbody');
  const sorted = [...runs].sort((a, b) => b.snapshot_id - a.snapshot_id);
  if (sorted.length === 0) {
    const row = El('tr');
    const cell = El('td', 'No runs yet', 'empty');
    cell.colSpan = 6;
    row.append(cell);
    body.append(row);
  }
  for (const run of sorted) {
    const row = El('tr');
    row.dataset.snapshot = String(run.snapshot_id);
    const rejected = El('td', Count(run.rejected), 'num');
    rejected.dataset.col = 'rejected';
    if (run.rejected > 0) rejected.classList.add('warn');
    row.append(
      El('td', String(run.snapshot_id), 'num'),
      El('td', When(String(run.committed_at ?? '')), 'when'),
      El('td', Count(run.rows_read), 'num'),
      El('td', Count(run.accepted), 'num'),
      rejected,
      El('td', Count(run.duplicates), 'num'),
    );
    body.append(row);
  }
  table.append(head, body);
  root.append(table);
}
