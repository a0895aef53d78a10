// The intraday view: the speed layer's bars of one symbol (picked from the symbols it has
// windows of) at 1m, 5m or 1h, as candles with volume, kept live from the server-sent
// event stream: a window at the interval's width is drawn as it arrives; a window that a
// wider bar rolls up makes the view fetch that bar again from the server, the one place
// bars are rolled up. Times are UTC.
import { createChart, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import {
  DescribeError,
  GetIntradayBars,
  GetStreamSymbols,
  OpenBarStream,
  kIntradayMillis,
  type BarStream,
  type IntradayBar,
  type IntradayInterval,
  type StreamState,
} from './api';
import { AddCandlesWithVolume, BaseOptions, VolumeColor } from './chart';
import { El } from './dom';

export const kIntradayIntervals: IntradayInterval[] = ['1m', '5m', '1h'];
//! Windows of rolled-up bars are gathered this long before the bars are fetched again.
const kRefetchMillis = 300;

//! The parts of the page the view fills.
export interface IntradayViewElements {
  card: HTMLElement;
  title: HTMLElement;
  symbols: HTMLSelectElement;
  intervals: HTMLElement;
  live: HTMLElement;
  meta: HTMLElement;
  legend: HTMLElement;
  chart: HTMLElement;
}

function Millis(time: string): number {
  return Date.parse(time);
}

function Seconds(ms: number): UTCTimestamp {
  return (ms / 1000) as UTCTimestamp;
}

//! "2025-01-02 14:30" of an RFC 3339 UTC time.
function Minute(time: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(time);
  return m ? `${m[1]} ${m[2]}` : time;
}

export class IntradayView {
  private chart: IChartApi | undefined;
  private candles: ISeriesApi<'Candlestick'> | undefined;
  private volume: ISeriesApi<'Histogram'> | undefined;
  private symbol = '';
  private interval: IntradayInterval = '1m';
  //! The bars shown, by start (Unix ms).
  private bars = new Map<number, IntradayBar>();
  //! The newest updated_at of the bars loaded: older events are already in them.
  private loaded_through = 0;
  private stream: BarStream | undefined;
  private refetch_from: number | undefined;
  private refetch: ReturnType<typeof setTimeout> | undefined;
  private loads = 0; // a newer load makes an older one's answer stale
  private updates = 0;
  private shown = false;

  constructor(
    private readonly el: IntradayViewElements,
    //! Shows (or, with null, clears) an error of `source` in the page's error bar.
    private readonly report: (source: string, message: string | null) => void,
  ) {
    for (const interval of kIntradayIntervals) {
      const button = El('button', interval);
      button.type = 'button';
      button.dataset.interval = interval;
      button.setAttribute('aria-pressed', String(interval === this.interval));
      button.addEventListener('click', () => void this.Select(this.symbol, interval));
      el.intervals.append(button);
    }
    el.symbols.addEventListener('change', () => void this.Select(el.symbols.value, this.interval));
  }

  //! Lists the symbols, shows the one picked (the first at first) and follows it live
  //! until Hide().
  async Show(): Promise<void> {
    this.shown = true;
    this.chart ??= this.CreateChart();
    let symbols: string[];
    try {
      symbols = (await GetStreamSymbols()).map((s) => s.symbol);
      this.report('intraday-symbols', null);
    } catch (e) {
      this.el.card.dataset.state = 'error';
      this.report('intraday-symbols', `Speed layer symbols: ${DescribeError(e)}`);
      return;
    }
    if (!this.shown) return;
    this.el.symbols.replaceChildren(...symbols.map((s) => El('option', s)));
    if (symbols.length === 0) {
      this.el.meta.textContent = 'the speed layer has no windows yet';
      this.el.card.dataset.state = 'ready';
      return;
    }
    await this.Select(symbols.includes(this.symbol) ? this.symbol : symbols[0], this.interval);
  }

  Hide(): void {
    this.shown = false;
    this.stream?.Close();
    this.stream = undefined;
    clearTimeout(this.refetch);
  }

  //! Shows `symbol` at `interval` and subscribes to its windows.
  async Select(symbol: string, interval: IntradayInterval): Promise<void> {
    if (symbol === '') return;
    const load = ++this.loads;
    this.symbol = symbol;
    this.interval = interval;
    this.el.symbols.value = symbol;
    this.el.title.textContent = symbol;
    this.el.intervals
      .querySelectorAll<HTMLButtonElement>('button')
      .forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.interval === interval)));
    this.stream?.Close();
    this.stream = undefined;
    clearTimeout(this.refetch);
    this.refetch_from = undefined;
    this.el.card.dataset.state = 'loading';
    let bars: IntradayBar[];
    try {
      bars = await GetIntradayBars(symbol, interval);
    } catch (e) {
      if (load !== this.loads) return;
      this.bars.clear();
      this.Draw();
      this.el.card.dataset.state = 'error';
      this.el.meta.textContent = '';
      this.report('intraday', `Intraday bars of ${symbol} (${interval}): ${DescribeError(e)}`);
      return;
    }
    if (load !== this.loads || !this.shown) return;
    this.report('intraday', null);
    this.bars = new Map(bars.map((b) => [Millis(b.window_start), b]));
    this.loaded_through = bars.reduce((m, b) => Math.max(m, Millis(b.updated_at)), 0);
    this.Draw();
    this.chart?.timeScale().fitContent();
    this.el.card.dataset.state = 'ready';
    this.stream = OpenBarStream(
      [symbol],
      (bar) => this.OnWindow(bar),
      (state) => this.ShowLive(state),
    );
  }

  private CreateChart(): IChartApi {
    const chart = createChart(this.el.chart, BaseOptions(true));
    chart.applyOptions({ timeScale: { timeVisible: true, secondsVisible: false } });
    ({ candles: this.candles, volume: this.volume } = AddCandlesWithVolume(chart));
    return chart;
  }

  //! A window the stream sent.
  private OnWindow(window: IntradayBar): void {
    if (window.symbol !== this.symbol || Millis(window.updated_at) <= this.loaded_through) return;
    const width = kIntradayMillis[this.interval];
    const start = Millis(window.window_start);
    if (Millis(window.window_end) - start === width) {
      this.Put({ ...window, windows: 1 });
      return;
    }
    // A part of a wider bar: fetch the bars from it again (together with others soon).
    const bar_start = Math.floor(start / width) * width;
    this.refetch_from = Math.min(this.refetch_from ?? bar_start, bar_start);
    if (this.refetch === undefined) this.refetch = setTimeout(() => void this.Refetch(), kRefetchMillis);
  }

  private async Refetch(): Promise<void> {
    this.refetch = undefined;
    const from = this.refetch_from;
    this.refetch_from = undefined;
    if (from === undefined) return;
    const load = this.loads;
    try {
      const bars = await GetIntradayBars(this.symbol, this.interval, new Date(from).toISOString());
      if (load !== this.loads) return;
      for (const bar of bars) this.Put(bar);
      this.report('intraday', null);
    } catch (e) {
      if (load !== this.loads) return;
      this.report('intraday', `Intraday bars of ${this.symbol}: ${DescribeError(e)}`);
    }
  }

  //! Adds or replaces one bar: appended in place when it is the newest, else redrawn.
  private Put(bar: IntradayBar): void {
    const start = Millis(bar.window_start);
    let newest = -Infinity;
    for (const key of this.bars.keys()) newest = Math.max(newest, key);
    this.bars.set(start, bar);
    ++this.updates;
    if (start >= newest && this.candles !== undefined && this.volume !== undefined) {
      this.candles.update(this.Candle(bar));
      this.volume.update(this.VolumeBar(bar));
      this.ShowMeta();
    } else {
      this.Draw();
    }
  }

  private Candle(bar: IntradayBar) {
    const time = Seconds(Millis(bar.window_start));
    return { time, open: bar.open, high: bar.high, low: bar.low, close: bar.close };
  }

  private VolumeBar(bar: IntradayBar) {
    return {
      time: Seconds(Millis(bar.window_start)),
      value: bar.volume,
      color: VolumeColor(bar.open, bar.close),
    };
  }

  private Draw(): void {
    const sorted = [...this.bars.values()].sort((a, b) => Millis(a.window_start) - Millis(b.window_start));
    this.candles?.setData(sorted.map((b) => this.Candle(b)));
    this.volume?.setData(sorted.map((b) => this.VolumeBar(b)));
    this.ShowMeta();
  }

  //! The counts and the newest bar, in the page and in data attributes tests read.
  private ShowMeta(): void {
    const host = this.el.chart;
    host.dataset.symbol = this.symbol;
    host.dataset.interval = this.interval;
    host.dataset.bars = String(this.bars.size);
    host.dataset.updates = String(this.updates);
    let newest: IntradayBar | undefined;
    for (const bar of this.bars.values()) {
      if (newest === undefined || Millis(bar.window_start) > Millis(newest.window_start)) newest = bar;
    }
    host.dataset.lastStart = newest?.window_start ?? '';
    this.el.meta.textContent =
      newest === undefined
        ? 'no bars'
        : `${this.bars.size.toLocaleString('en-US')} bars of ${this.interval}` +
          ` · newest ${Minute(newest.window_start)} UTC`;
    this.el.legend.replaceChildren();
    if (newest !== undefined) {
      const change = newest.close - newest.open;
      const parts: [string, string, string?][] = [
        ['O', newest.open.toFixed(2)],
        ['H', newest.high.toFixed(2)],
        ['L', newest.low.toFixed(2)],
        ['C', newest.close.toFixed(2), change >= 0 ? 'up' : 'down'],
        ['Vol', newest.volume.toLocaleString('en-US')],
        ['VWAP', newest.vwap === null ? '–' : newest.vwap.toFixed(2)],
      ];
      this.el.legend.append(El('span', Minute(newest.window_start), 'legend-date'));
      for (const [label, value, cls] of parts) {
        this.el.legend.append(El('span', undefined, 'sep'), `${label} `, El('b', value, cls));
      }
      const state = El('span', newest.final ? 'final' : 'open', 'muted');
      this.el.legend.append(El('span', undefined, 'sep'), state);
    }
  }

  private ShowLive(state: StreamState): void {
    this.el.live.dataset.live = state;
    const labels: Record<StreamState, string> = {
      open: 'live',
      connecting: 'connecting…',
      retrying: 'reconnecting…',
    };
    this.el.live.textContent = labels[state];
  }
}
