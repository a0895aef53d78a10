// The pipeline view: the lake's pipeline runs (id, pipeline, trigger, quarter, state,
// start, duration) and, for the run picked (the newest at first), its tasks as a timeline
// with one bar per attempt placed by its start and end and coloured by its outcome, each
// task's state and time, and every failed attempt's reason and the end of its log.
// Built with DOM nodes, never HTML strings from API data.
import {
  DescribeError,
  GetPipelineRun,
  GetPipelineRuns,
  type PipelineAttempt,
  type PipelineRun,
  type PipelineTask,
} from './api';
import { El, Table } from './dom';

//! The bar colour of an attempt by its outcome.
export const kOutcomeColors = { succeeded: '#16a34a', failed: '#dc2626', running: '#2563eb' } as const;
export type Outcome = keyof typeof kOutcomeColors;

const kRunsShown = 200;
//! While a run is going, the view reloads this often.
const kRefreshMillis = 5000;

export function OutcomeOf(a: PipelineAttempt): Outcome {
  if (a.ended_ms === null) return 'running';
  return a.exit_status === 0 && a.reason === null ? 'succeeded' : 'failed';
}

//! "850 ms", "12.3 s", "4 m 05 s", "2 h 03 m"; '–' when unknown.
export function Duration(ms: number | null | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} m`;
}

//! "YYYY-MM-DD HH:MM:SS" of an RFC 3339 UTC time.
function When(time: string | null): string {
  if (time === null) return '–';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(time);
  return m ? `${m[1]} ${m[2]}` : time;
}

//! How long a run or attempt took, or has taken so far.
function Elapsed(started_ms: number | null, ended_ms: number | null): number | null {
  if (started_ms === null) return null;
  return (ended_ms ?? Date.now()) - started_ms;
}

function Bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`;
}

function StateBadge(state: string): HTMLSpanElement {
  const badge = El('span', state.replace(/_/g, ' '), 'state');
  badge.dataset.state = state;
  return badge;
}

function Cell(content: string | Node, key: string, cls?: string): HTMLTableCellElement {
  const td = El('td', undefined, cls);
  td.append(content);
  td.dataset.col = key;
  return td;
}

//! The parts of the page the view fills.
export interface PipelineViewElements {
  runs_card: HTMLElement;
  runs: HTMLElement;
  runs_meta: HTMLElement;
  run_card: HTMLElement;
  run_meta: HTMLElement;
  timeline: HTMLElement;
  tasks: HTMLElement;
  failures: HTMLElement;
}

export class PipelineView {
  private selected = '';
  private loads = 0; // a newer load makes an older one's answer stale
  private refresh: ReturnType<typeof setTimeout> | undefined;
  private shown = false;

  constructor(
    private readonly el: PipelineViewElements,
    //! Shows (or, with null, clears) an error of `source` in the page's error bar.
    private readonly report: (source: string, message: string | null) => void,
  ) {}

  //! Loads the runs and the one picked; reloads while a run is going until Hide().
  async Show(): Promise<void> {
    this.shown = true;
    await this.Load();
  }

  Hide(): void {
    this.shown = false;
    clearTimeout(this.refresh);
  }

  private async Load(): Promise<void> {
    clearTimeout(this.refresh);
    const load = ++this.loads;
    this.el.runs_card.dataset.state = 'loading';
    let runs: PipelineRun[];
    try {
      runs = await GetPipelineRuns(kRunsShown);
    } catch (e) {
      if (load !== this.loads) return;
      this.el.runs_card.dataset.state = 'error';
      this.report('pipeline-runs', `Pipeline runs: ${DescribeError(e)}`);
      return;
    }
    if (load !== this.loads) return;
    this.report('pipeline-runs', null);
    if (!runs.some((r) => r.run_id === this.selected)) this.selected = runs[0]?.run_id ?? '';
    this.ShowRuns(runs);
    this.el.runs_card.dataset.state = 'ready';
    await this.Select(this.selected);
    if (this.shown && runs.some((r) => r.state === 'running')) {
      this.refresh = setTimeout(() => void this.Load(), kRefreshMillis);
    }
  }

  //! Shows the run `run_id` ("" none) with its timeline, tasks and failures.
  async Select(run_id: string): Promise<void> {
    this.selected = run_id;
    this.el.runs.querySelectorAll<HTMLTableRowElement>('tr[data-run-id]').forEach((row) => {
      const on = row.dataset.runId === run_id;
      row.classList.toggle('selected', on);
      row.setAttribute('aria-selected', String(on));
    });
    const card = this.el.run_card;
    if (run_id === '') {
      this.ShowRun(null);
      card.dataset.state = 'ready';
      return;
    }
    const load = ++this.loads;
    card.dataset.state = 'loading';
    try {
      const run = await GetPipelineRun(run_id);
      if (load !== this.loads) return;
      this.ShowRun(run);
      card.dataset.state = 'ready';
      this.report('pipeline-run', null);
    } catch (e) {
      if (load !== this.loads) return;
      card.dataset.state = 'error';
      this.report('pipeline-run', `Pipeline run ${run_id}: ${DescribeError(e)}`);
    }
  }

  private ShowRuns(runs: PipelineRun[]): void {
    const rows = runs.map((run) => {
      const row = El('tr');
      row.dataset.runId = run.run_id;
      row.dataset.state = run.state;
      row.tabIndex = 0;
      row.append(
        Cell(run.run_id, 'run_id', 'run-id'),
        Cell(run.pipeline, 'pipeline'),
        Cell(run.trigger, 'trigger'),
        Cell(run.quarter, 'quarter'),
        Cell(StateBadge(run.state), 'state'),
        Cell(When(run.started ?? run.fire_time), 'started', 'when'),
        Cell(Duration(Elapsed(run.started_ms, run.ended_ms)), 'duration', 'num'),
      );
      row.addEventListener('click', () => void this.Select(run.run_id));
      row.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          void this.Select(run.run_id);
        }
      });
      return row;
    });
    const headers: [string, string?][] = [
      ['Run'],
      ['Pipeline'],
      ['Trigger'],
      ['Quarter'],
      ['State'],
      ['Started (UTC)'],
      ['Duration', 'num'],
    ];
    this.el.runs.replaceChildren(Table(headers, rows, 'No pipeline runs yet'));
    const failed = runs.filter((r) => r.state === 'failed').length;
    this.el.runs_meta.textContent = `${runs.length} runs${failed > 0 ? ` · ${failed} failed` : ''}`;
  }

  private ShowRun(run: PipelineRun | null): void {
    this.el.run_card.dataset.runId = run?.run_id ?? '';
    if (run === null) {
      this.el.run_meta.textContent = 'no run picked';
      this.el.timeline.replaceChildren();
      this.el.timeline.dataset.bars = '0';
      this.el.tasks.replaceChildren();
      this.el.failures.replaceChildren();
      return;
    }
    const parts = [run.pipeline, run.run_id, `${run.trigger} · ${run.quarter}`, run.state];
    if (run.started_ms !== null) parts.push(Duration(Elapsed(run.started_ms, run.ended_ms)));
    if (run.resumed_from) parts.push(`resumes ${run.resumed_from}`);
    if (run.reason) parts.push(run.reason);
    this.el.run_meta.textContent = parts.join(' · ');
    this.ShowTimeline(run);
    this.ShowTasks(run.tasks);
    this.ShowFailures(run.tasks);
  }

  //! One row per task, one bar per attempt, on the run's time axis.
  private ShowTimeline(run: PipelineRun): void {
    const attempts = run.tasks.flatMap((t) => t.attempts);
    const starts = attempts.map((a) => a.started_ms).filter((t): t is number => t !== null);
    const ends = attempts.map((a) => a.ended_ms ?? Date.now());
    const from = Math.min(run.started_ms ?? Infinity, ...starts);
    const to = Math.max(run.ended_ms ?? -Infinity, ...ends, from + 1);
    const span = to - from;
    const rows: HTMLElement[] = [];
    let bars = 0;
    for (const task of run.tasks) {
      const row = El('div', undefined, 'tl-row');
      row.dataset.task = task.task;
      const track = El('div', undefined, 'tl-track');
      for (const a of task.attempts) {
        if (a.started_ms === null || !Number.isFinite(span)) continue;
        const outcome = OutcomeOf(a);
        const end = a.ended_ms ?? Date.now();
        const bar = El('span', undefined, 'tl-bar');
        bar.dataset.attempt = String(a.attempt);
        bar.dataset.outcome = outcome;
        bar.style.left = `${(100 * (a.started_ms - from)) / span}%`;
        bar.style.width = `${(100 * (end - a.started_ms)) / span}%`;
        bar.style.background = kOutcomeColors[outcome];
        bar.title =
          `${task.task} attempt ${a.attempt}: ${outcome} after ${Duration(end - a.started_ms)}` +
          (a.reason ? ` (${a.reason})` : '');
        track.append(bar);
        ++bars;
      }
      if (task.attempts.length === 0) track.append(El('span', task.state.replace(/_/g, ' '), 'tl-none'));
      row.append(El('span', task.task, 'tl-label'), track);
      rows.push(row);
    }
    const axis = El('div', undefined, 'tl-axis');
    axis.append(
      El('span', Number.isFinite(from) ? When(new Date(from).toISOString()) : ''),
      El('span', Number.isFinite(span) ? `+${Duration(span)}` : ''),
    );
    const keys = El('div', undefined, 'tl-keys');
    for (const [outcome, color] of Object.entries(kOutcomeColors)) {
      const key = El('span', outcome, 'chip');
      key.style.setProperty('--chip-color', color);
      key.prepend(El('span', undefined, 'swatch'));
      keys.append(key);
    }
    this.el.timeline.replaceChildren(keys, ...rows, axis);
    this.el.timeline.dataset.bars = String(bars);
    this.el.timeline.dataset.runId = run.run_id;
  }

  private ShowTasks(tasks: PipelineTask[]): void {
    const rows = tasks.map((task) => {
      const row = El('tr');
      row.dataset.task = task.task;
      const spent = task.attempts.reduce((sum, a) => sum + (Elapsed(a.started_ms, a.ended_ms) ?? 0), 0);
      const last = task.attempts[task.attempts.length - 1];
      row.append(
        Cell(task.task, 'task', 'symbol'),
        Cell(StateBadge(task.state), 'state'),
        Cell(String(task.attempts.length), 'attempts', 'num'),
        Cell(task.attempts.length > 0 ? Duration(spent) : '–', 'duration', 'num'),
        Cell(last?.exit_status === null || last === undefined ? '–' : String(last.exit_status), 'exit_status', 'num'),
      );
      return row;
    });
    const headers: [string, string?][] = [['Task'], ['State'], ['Attempts', 'num'], ['Time', 'num'], ['Exit', 'num']];
    this.el.tasks.replaceChildren(Table(headers, rows, 'No tasks (a skipped fire time)'));
  }

  //! Every failed attempt: its reason, then the end of its log.
  private ShowFailures(tasks: PipelineTask[]): void {
    const items: HTMLElement[] = [];
    for (const task of tasks) {
      for (const a of task.attempts) {
        if (OutcomeOf(a) !== 'failed') continue;
        const item = El('section', undefined, 'failure');
        item.dataset.task = task.task;
        item.dataset.attempt = String(a.attempt);
        const head = El('div', undefined, 'failure-head');
        head.append(
          El('b', task.task),
          document.createTextNode(` attempt ${a.attempt} · `),
          El('span', a.reason ?? `exit status ${a.exit_status}`, 'reason'),
          document.createTextNode(` · ${When(a.ended)}`),
        );
        item.append(head);
        if (a.log_tail === undefined) {
          item.append(El('p', `no log at ${a.log_path}`, 'meta'));
        } else {
          item.append(El('pre', a.log_tail === '' ? '(empty log)' : a.log_tail, 'log'));
          const size = a.log_size ?? a.log_tail.length;
          const shown = size > a.log_tail.length ? `last ${Bytes(a.log_tail.length)} of ${Bytes(size)}` : Bytes(size);
          item.append(El('p', `${shown} · ${a.log_path}`, 'meta'));
        }
        items.push(item);
      }
    }
    if (items.length === 0) items.push(El('p', 'No failed attempts', 'meta'));
    this.el.failures.replaceChildren(...items);
  }
}
