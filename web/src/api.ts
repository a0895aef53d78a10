// The client for stocklake's HTTP API (/api/v1): typed rows, the bearer token, pagination
// and the API's JSON error bodies turned into exceptions the page can show.

//! One trading day of a ticker (the bars endpoint with interval=day).
export interface DayBar {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  adj_close: number | null;
  volume: number;
  //! Only on the speed layer's bar of a day the batch does not have yet (always true).
  provisional?: boolean;
}

//! One week, month or quarter of a ticker (the bars endpoint with another interval).
export interface PeriodBar {
  period_start: string;
  period_end: string;
  open: number;
  high: number;
  low: number;
  close: number;
  adj_close: number | null;
  volume: number;
  trading_days: number;
  return: number | null;
}

//! The daily indicators of a ticker; null where not yet defined.
export interface IndicatorRow {
  date: string;
  close: number;
  return_1d: number | null;
  log_return_1d: number | null;
  sma_20: number | null;
  sma_50: number | null;
  sma_200: number | null;
  ema_12: number | null;
  ema_26: number | null;
  macd: number | null;
  macd_signal: number | null;
  macd_hist: number | null;
  rsi_14: number | null;
  bb_middle: number | null;
  bb_upper: number | null;
  bb_lower: number | null;
  atr_14: number | null;
  volatility_20: number | null;
  obv: number | null;
}

export interface TickerInfo {
  ticker: string;
  first_date: string;
  last_date: string;
  days: number;
}

//! One committed run; the server may add fields beyond these.
export interface RunInfo {
  snapshot_id: number;
  committed_at: string;
  rows_read: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  [extra: string]: unknown;
}

//! One field of a day the speed layer and the batch disagree on.
export interface FieldDifference {
  field: 'open' | 'high' | 'low' | 'close' | 'volume';
  speed: number;
  batch: number;
  relative_difference: number;
}

//! The speed layer's days against the batch's bars of the same ticker and date.
export interface Reconciliation {
  days_compared: number;
  days_differing: number;
  price_tolerance: number;
  differences: { ticker: string; date: string; fields: FieldDifference[] }[];
}

export interface QualitySummary {
  snapshot_id: number;
  rows_read: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  rejected_by_reason: Record<string, number>;
  tickers: number;
  first_date: string | null;
  last_date: string | null;
  reconciliation?: Reconciliation;
}

export type Interval = 'day' | 'week' | 'month' | 'quarter';

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

//! A failed API call: the HTTP status and the API's error code and message.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  //! A one-line description for the page.
  describe(): string {
    const status = this.status > 0 ? `HTTP ${this.status}` : 'network';
    return `${this.path}: ${status} ${this.code}: ${this.message}`;
  }
}

//! A one-line description of any error a call may throw, for the page.
export function DescribeError(e: unknown): string {
  if (e instanceof ApiError) return e.describe();
  return e instanceof Error ? e.message : String(e);
}

const kTokenKey = 'stocklake.token';
// Follows next_cursor at most this many pages: 20 x 5000 rows is 80 years of daily bars.
const kMaxPages = 20;
const kPageLimit = 5000;

export function LoadToken(): string {
  try {
    return localStorage.getItem(kTokenKey) ?? '';
  } catch {
    return '';
  }
}

//! Stores the token (empty clears it): it is sent as `Authorization: Bearer` when set.
export function SaveToken(token: string): void {
  try {
    if (token === '') localStorage.removeItem(kTokenKey);
    else localStorage.setItem(kTokenKey, token);
  } catch {
    // Private windows may refuse storage; the token then lasts for this page only.
  }
  current_token = token;
}

let current_token = LoadToken();

//! GETs `path` (relative to the origin) and returns its JSON body, or throws ApiError.
export async function GetJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (current_token !== '') headers['Authorization'] = `Bearer ${current_token}`;
  let response: Response;
  try {
    response = await fetch(path, { headers, signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e), path);
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page, say): reported below with the raw text.
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? (text.slice(0, 200) || response.statusText),
      path,
    );
  }
  if (body === undefined) {
    throw new ApiError(response.status, 'bad_response', 'the response is not JSON', path);
  }
  return body as T;
}

function WithQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

async function GetAllPages<T>(
  path: string,
  query: Record<string, string | number | undefined>,
  signal?: AbortSignal,
): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | undefined = undefined;
  for (let page = 0; page < kMaxPages; ++page) {
    const body: Page<T> = await GetJson<Page<T>>(
      WithQuery(path, { ...query, limit: kPageLimit, cursor }),
      signal,
    );
    rows.push(...body.data);
    if (body.next_cursor === null || body.next_cursor === undefined) break;
    cursor = body.next_cursor;
  }
  return rows;
}

function TickerPath(ticker: string): string {
  return `/api/v1/tickers/${encodeURIComponent(ticker)}`;
}

export async function SearchTickers(
  prefix: string,
  limit: number,
  signal?: AbortSignal,
): Promise<TickerInfo[]> {
  const body = await GetJson<Page<TickerInfo>>(
    WithQuery('/api/v1/tickers', { prefix, limit }),
    signal,
  );
  return body.data;
}

export function GetDayBars(ticker: string, signal?: AbortSignal): Promise<DayBar[]> {
  return GetAllPages<DayBar>(`${TickerPath(ticker)}/bars`, { interval: 'day' }, signal);
}

export function GetPeriodBars(
  ticker: string,
  interval: Exclude<Interval, 'day'>,
  signal?: AbortSignal,
): Promise<PeriodBar[]> {
  return GetAllPages<PeriodBar>(`${TickerPath(ticker)}/bars`, { interval }, signal);
}

export function GetIndicators(ticker: string, signal?: AbortSignal): Promise<IndicatorRow[]> {
  return GetAllPages<IndicatorRow>(`${TickerPath(ticker)}/indicators`, {}, signal);
}

export async function GetRuns(signal?: AbortSignal): Promise<RunInfo[]> {
  const body = await GetJson<{ data: RunInfo[] }>('/api/v1/runs', signal);
  return body.data;
}

export function GetQuality(signal?: AbortSignal): Promise<QualitySummary> {
  return GetJson<QualitySummary>('/api/v1/quality', signal);
}

//! One row of gold/predictions (ml.md): rank 1 is the highest prediction of the quarter.
export interface Prediction {
  ticker: string;
  quarter: string;
  as_of_date: string;
  model: string;
  model_version: number;
  prediction: number;
  rank: number;
  label: number | null;
}

//! Per-quarter metrics of one predictor in a backtest (null where undefined).
export interface BacktestMetrics {
  ic: number | null;
  rank_ic: number | null;
  hit_rate: number | null;
  top_bottom_spread: number | null;
  rmse: number | null;
  count: number;
}

export interface PredictorSummary {
  quarters: number;
  rows: number;
  mean_ic: number | null;
  icir: number | null;
  mean_rank_ic: number | null;
  rank_icir: number | null;
  mean_hit_rate: number | null;
  mean_top_bottom_spread: number | null;
  mean_rmse: number | null;
}

export interface BacktestInfo {
  backtest_id: string;
  first_quarter: string;
  last_quarter: string;
  quarters: number;
  summary: Record<string, PredictorSummary>;
}

export interface BacktestDetail extends BacktestInfo {
  by_quarter: { quarter: string; model: BacktestMetrics | null; baseline: BacktestMetrics | null }[];
}

export interface ModelInfo {
  name: string;
  latest: number | null;
  versions: { version: number; quarter: string; created_at: string }[];
  aliases: Record<string, number>;
}

//! One registered model version, as the registry records it (version.json).
export interface ModelCard {
  name: string;
  version: number;
  created_at: string;
  quarter: string;
  train_first_quarter?: string;
  train_last_quarter?: string;
  train_rows?: number;
  feature_names?: string[];
  xgboost_version?: string;
  params?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  snapshot_id?: number;
  feature_files?: string[];
  model_file?: string;
  model_sha256?: string;
  [extra: string]: unknown;
}

export interface ModelDetail {
  name: string;
  latest: number | null;
  aliases: Record<string, number>;
  alias_history: { alias: string; version: number | null; at: string; reason: string }[];
  versions: ModelCard[];
}

//! Every prediction of one quarter and model (the newest quarter and its first model
//! when not given), in rank order.
export function GetPredictions(
  quarter?: string,
  model?: string,
  signal?: AbortSignal,
): Promise<Prediction[]> {
  return GetAllPages<Prediction>('/api/v1/predictions', { quarter, model }, signal);
}

export async function GetBacktests(signal?: AbortSignal): Promise<BacktestInfo[]> {
  const body = await GetJson<{ data: BacktestInfo[] }>('/api/v1/backtests', signal);
  return body.data;
}

export function GetBacktest(id: string, signal?: AbortSignal): Promise<BacktestDetail> {
  return GetJson<BacktestDetail>(`/api/v1/backtests/${encodeURIComponent(id)}`, signal);
}

export async function GetModels(signal?: AbortSignal): Promise<ModelInfo[]> {
  const body = await GetJson<{ data: ModelInfo[] }>('/api/v1/models', signal);
  return body.data;
}

export function GetModel(name: string, signal?: AbortSignal): Promise<ModelDetail> {
  return GetJson<ModelDetail>(`/api/v1/models/${encodeURIComponent(name)}`, signal);
}

//! One attempt of a pipeline task (pipeline.md; times RFC 3339 UTC and Unix ms).
export interface PipelineAttempt {
  attempt: number;
  started: string | null;
  ended: string | null;
  exit_status: number | null;
  reason: string | null;
  started_ms: number | null;
  ended_ms: number | null;
  log_path: string;
  //! Only in GET /api/v1/pipeline/runs/{id}: the log's last 4 kB and its whole size.
  log_tail?: string;
  log_size?: number;
}

export type PipelineTaskState =
  | 'pending'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'up_for_retry'
  | 'upstream_failed'
  | 'skipped';

export interface PipelineTask {
  task: string;
  state: PipelineTaskState;
  retry_at_ms?: number;
  attempts: PipelineAttempt[];
}

//! One pipeline run, as `stocklake pipeline history --json` prints it.
export interface PipelineRun {
  run_id: string;
  pipeline: string;
  trigger: 'schedule' | 'manual' | 'backfill' | 'resume';
  quarter: string;
  state: 'running' | 'succeeded' | 'failed' | 'skipped';
  started: string | null;
  ended: string | null;
  started_ms: number | null;
  ended_ms: number | null;
  fire_time: string | null;
  reason?: string;
  resumed_from?: string;
  tasks: PipelineTask[];
}

//! The lake's pipeline runs, newest first.
export async function GetPipelineRuns(limit: number, signal?: AbortSignal): Promise<PipelineRun[]> {
  const body = await GetJson<{ data: PipelineRun[] }>(WithQuery('/api/v1/pipeline/runs', { limit }), signal);
  return body.data;
}

//! One run with the tail of each attempt's log.
export function GetPipelineRun(run_id: string, signal?: AbortSignal): Promise<PipelineRun> {
  return GetJson<PipelineRun>(`/api/v1/pipeline/runs/${encodeURIComponent(run_id)}`, signal);
}

//! One bar of the speed layer (the bars endpoint with interval 1m, 5m or 1h), or one
//! window of the event stream (with its symbol). Times are RFC 3339 UTC.
export interface IntradayBar {
  symbol?: string;
  window_start: string;
  window_end: string;
  open: number;
  high: number;
  low: number;
  close: number;
  vwap: number | null;
  volume: number;
  trades: number;
  final: boolean;
  updated_at: string;
  //! Stored windows rolled up into the bar (bars endpoint only).
  windows?: number;
}

export type IntradayInterval = '1m' | '5m' | '1h';

export const kIntradayMillis: Record<IntradayInterval, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '1h': 3_600_000,
};

//! A symbol the speed layer has windows of.
export interface StreamSymbol {
  symbol: string;
  windows: number;
  first_window_start: string;
  last_window_start: string;
  updated_at: string;
  window_seconds: number;
}

//! The speed layer's bars of `ticker` at `interval`, from the bar holding `from` (RFC 3339)
//! when given.
export function GetIntradayBars(
  ticker: string,
  interval: IntradayInterval,
  from?: string,
  signal?: AbortSignal,
): Promise<IntradayBar[]> {
  return GetAllPages<IntradayBar>(`${TickerPath(ticker)}/bars`, { interval, from }, signal);
}

export async function GetStreamSymbols(signal?: AbortSignal): Promise<StreamSymbol[]> {
  const body = await GetJson<{ data: StreamSymbol[] }>('/api/v1/stream/symbols', signal);
  return body.data;
}

export type StreamState = 'connecting' | 'open' | 'retrying';

//! A live subscription to GET /api/v1/stream/bars; Close() ends it.
export interface BarStream {
  Close(): void;
}

//! How long a refused or failed stream waits before trying again.
const kStreamRetryMillis = 3000;

//! Subscribes to the windows of `tickers` as the speed layer commits them: the browser's
//! EventSource, or, with a token (EventSource cannot send an Authorization header), the
//! same protocol read from fetch(), resuming with Last-Event-ID. Reconnects until Close().
export function OpenBarStream(
  tickers: string[],
  on_bar: (bar: IntradayBar) => void,
  on_state: (state: StreamState) => void,
): BarStream {
  const url = WithQuery('/api/v1/stream/bars', { tickers: tickers.join(',') });
  return current_token === ''
    ? new EventSourceStream(url, on_bar, on_state)
    : new FetchedEventStream(url, current_token, on_bar, on_state);
}

class EventSourceStream implements BarStream {
  private source: EventSource | undefined;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly on_bar: (bar: IntradayBar) => void,
    private readonly on_state: (state: StreamState) => void,
  ) {
    this.Open();
  }

  Close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.source?.close();
  }

  private Open(): void {
    this.on_state('connecting');
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener('open', () => this.on_state('open'));
    source.addEventListener('bar', (e) => {
      this.on_bar(JSON.parse((e as MessageEvent<string>).data) as IntradayBar);
    });
    source.addEventListener('error', () => {
      if (this.closed) return;
      // EventSource reconnects by itself after a dropped stream; a refusal (503, 401)
      // closes it for good, so it is opened again here.
      if (source.readyState !== EventSource.CLOSED) {
        this.on_state('connecting');
        return;
      }
      this.on_state('retrying');
      this.retry = setTimeout(() => this.Open(), kStreamRetryMillis);
    });
  }
}

class FetchedEventStream implements BarStream {
  private readonly controller = new AbortController();
  private last_id = '';

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly on_bar: (bar: IntradayBar) => void,
    private readonly on_state: (state: StreamState) => void,
  ) {
    void this.Run();
  }

  Close(): void {
    this.controller.abort();
  }

  private async Run(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      this.on_state('connecting');
      try {
        const headers: Record<string, string> = {
          Accept: 'text/event-stream',
          Authorization: `Bearer ${this.token}`,
        };
        if (this.last_id !== '') headers['Last-Event-ID'] = this.last_id;
        const response = await fetch(this.url, { headers, signal });
        if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
        this.on_state('open');
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.Dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // Dropped or refused: tried again below.
      }
      if (signal.aborted) return;
      this.on_state('retrying');
      await new Promise((r) => setTimeout(r, kStreamRetryMillis));
    }
  }

  //! One event block of the stream (text/event-stream framing).
  private Dispatch(block: string): void {
    let type = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data += (data === '' ? '' : '\n') + value;
      else if (field === 'id') this.last_id = value;
    }
    if (type === 'bar' && data !== '') this.on_bar(JSON.parse(data) as IntradayBar);
  }
}
