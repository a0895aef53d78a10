// The price view: candlesticks with volume and indicator overlays, plus RSI and MACD panes,
// three lightweight-charts instances whose time axes scroll and zoom together.
import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  LineStyle,
  createChart,
  type CandlestickData,
  type DeepPartial,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type LineData,
  type LogicalRange,
  type ChartOptions,
  type MouseEventParams,
  type Time,
  type WhitespaceData,
} from 'lightweight-charts';
import type { DayBar, IndicatorRow, Interval, PeriodBar } from './api';

//! The overlays a user can switch on and off over the candles.
export type OverlayKey = 'sma_20' | 'sma_50' | 'sma_200' | 'ema_12' | 'ema_26' | 'bollinger';

export const kOverlays: { key: OverlayKey; label: string; color: string }[] = [
  { key: 'sma_20', label: 'SMA 20', color: '#f59e0b' },
  { key: 'sma_50', label: 'SMA 50', color: '#8b5cf6' },
  { key: 'sma_200', label: 'SMA 200', color: '#0ea5e9' },
  { key: 'ema_12', label: 'EMA 12', color: '#ec4899' },
  { key: 'ema_26', label: 'EMA 26', color: '#14b8a6' },
  { key: 'bollinger', label: 'Bollinger', color: '#64748b' },
];

export const kUp = '#16a34a';
export const kDown = '#dc2626';
// Every pane reserves the same price-scale width so their time axes line up exactly.
const kScaleWidth = 72;

//! What the price view draws: one ticker at one interval, with daily indicators when the
//! interval is day (they are defined on daily rows only).
export interface ChartData {
  ticker: string;
  interval: Interval;
  days?: DayBar[];
  periods?: PeriodBar[];
  indicators?: IndicatorRow[];
}

type Candle = CandlestickData<Time> | WhitespaceData<Time>;
type Line = LineData<Time> | WhitespaceData<Time>;
type Bar = HistogramData<Time> | WhitespaceData<Time>;

//! The look every chart of the dashboard shares.
export function BaseOptions(attribution: boolean): DeepPartial<ChartOptions> {
  return {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: '#ffffff' },
      textColor: '#334155',
      fontSize: 11,
      fontFamily: 'Inter, "Segoe UI", system-ui, -apple-system, sans-serif',
      attributionLogo: attribution,
    },
    grid: {
      vertLines: { color: '#f1f5f9' },
      horzLines: { color: '#f1f5f9' },
    },
    crosshair: { mode: CrosshairMode.Normal },
    rightPriceScale: { borderColor: '#e2e8f0', minimumWidth: kScaleWidth },
    timeScale: { borderColor: '#e2e8f0', rightOffset: 4 },
  };
}

function LinePoints(times: Time[], values: (number | null)[]): Line[] {
  return times.map((time, i) => {
    const value = values[i];
    return value === null || value === undefined || !Number.isFinite(value)
      ? { time }
      : { time, value };
  });
}

function FormatNumber(value: number, digits = 2): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function Escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function FormatVolume(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)}B`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}K`;
  return String(value);
}

//! Up and down candles on `chart`, with volume bars in the bottom fifth.
export function AddCandlesWithVolume(chart: IChartApi): {
  candles: ISeriesApi<'Candlestick'>;
  volume: ISeriesApi<'Histogram'>;
} {
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: kUp,
    downColor: kDown,
    borderUpColor: kUp,
    borderDownColor: kDown,
    wickUpColor: kUp,
    wickDownColor: kDown,
    priceLineVisible: false,
  });
  candles.priceScale().applyOptions({ scaleMargins: { top: 0.06, bottom: 0.24 } });
  const volume = chart.addSeries(HistogramSeries, {
    priceScaleId: 'volume',
    priceFormat: { type: 'volume' },
    lastValueVisible: false,
    priceLineVisible: false,
  });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  return { candles, volume };
}

//! The colour of a volume bar: the candle's direction, faded.
export function VolumeColor(open: number, close: number): string {
  return close >= open ? 'rgba(22,163,74,0.35)' : 'rgba(220,38,38,0.35)';
}

//! The price chart and its two indicator panes inside `root`.
export class PriceView {
  private readonly price: IChartApi;
  private readonly rsi: IChartApi;
  private readonly macd: IChartApi;
  private readonly candles: ISeriesApi<'Candlestick'>;
  private readonly volume: ISeriesApi<'Histogram'>;
  private readonly overlays = new Map<OverlayKey, ISeriesApi<'Line'>[]>();
  private readonly rsi_line: ISeriesApi<'Line'>;
  private readonly macd_line: ISeriesApi<'Line'>;
  private readonly macd_signal: ISeriesApi<'Line'>;
  private readonly macd_hist: ISeriesApi<'Histogram'>;
  private readonly visible = new Map<OverlayKey, boolean>();
  private readonly legend: HTMLElement;
  private readonly price_host: HTMLElement;
  private readonly rsi_host: HTMLElement;
  private readonly macd_host: HTMLElement;
  private syncing = false;
  private days: DayBar[] = [];
  private periods: PeriodBar[] = [];
  private interval: Interval = 'day';

  constructor(
    price_host: HTMLElement,
    rsi_host: HTMLElement,
    macd_host: HTMLElement,
    legend: HTMLElement,
  ) {
    this.price_host = price_host;
    this.rsi_host = rsi_host;
    this.macd_host = macd_host;
    this.legend = legend;
    // TradingView's attribution once, on the main chart, not on every pane.
    this.price = createChart(price_host, BaseOptions(true));
    this.rsi = createChart(rsi_host, BaseOptions(false));
    this.macd = createChart(macd_host, BaseOptions(false));
    // Only the bottom pane shows dates: the three read as one chart.
    this.price.applyOptions({ timeScale: { visible: false } });
    this.rsi.applyOptions({ timeScale: { visible: false } });

    ({ candles: this.candles, volume: this.volume } = AddCandlesWithVolume(this.price));

    for (const overlay of kOverlays) {
      const common = {
        color: overlay.color,
        lineWidth: 1 as const,
        lastValueVisible: false,
        priceLineVisible: false,
        crosshairMarkerVisible: false,
      };
      const series =
        overlay.key === 'bollinger'
          ? [
              this.price.addSeries(LineSeries, { ...common, lineStyle: LineStyle.Dashed }),
              this.price.addSeries(LineSeries, { ...common }),
              this.price.addSeries(LineSeries, { ...common, lineStyle: LineStyle.Dashed }),
            ]
          : [this.price.addSeries(LineSeries, { ...common, lineWidth: 2 as const })];
      this.overlays.set(overlay.key, series);
      this.visible.set(overlay.key, overlay.key === 'sma_20' || overlay.key === 'sma_50');
    }

    this.rsi_line = this.rsi.addSeries(LineSeries, {
      color: '#7c3aed',
      lineWidth: 2,
      priceLineVisible: false,
      autoscaleInfoProvider: () => ({ priceRange: { minValue: 0, maxValue: 100 } }),
    });
    this.rsi_line.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.08 } });
    for (const level of [70, 30]) {
      this.rsi_line.createPriceLine({
        price: level,
        color: '#94a3b8',
        lineWidth: 1,
        lineStyle: LineStyle.Dashed,
        axisLabelVisible: true,
        title: '',
      });
    }

    this.macd_hist = this.macd.addSeries(HistogramSeries, {
      priceLineVisible: false,
      lastValueVisible: false,
    });
    this.macd_line = this.macd.addSeries(LineSeries, {
      color: '#2563eb',
      lineWidth: 2,
      priceLineVisible: false,
    });
    this.macd_signal = this.macd.addSeries(LineSeries, {
      color: '#f97316',
      lineWidth: 1,
      priceLineVisible: false,
    });

    const charts = [this.price, this.rsi, this.macd];
    for (const chart of charts) {
      chart.timeScale().subscribeVisibleLogicalRangeChange((range) => this.Sync(chart, range));
    }
    this.price.subscribeCrosshairMove((param) => this.ShowLegend(param));
  }

  //! Replaces what is drawn; the time axis is fitted to the data.
  Show(data: ChartData): void {
    this.interval = data.interval;
    this.days = data.days ?? [];
    this.periods = data.periods ?? [];
    const is_day = data.interval === 'day';
    const rows = is_day
      ? this.days.map((d) => ({ time: d.date as Time, bar: d }))
      : this.periods.map((p) => ({ time: p.period_start as Time, bar: p }));
    const times = rows.map((r) => r.time);

    this.candles.setData(
      rows.map(
        (r): Candle => ({
          time: r.time,
          open: r.bar.open,
          high: r.bar.high,
          low: r.bar.low,
          close: r.bar.close,
        }),
      ),
    );
    this.volume.setData(
      rows.map(
        (r): Bar => ({
          time: r.time,
          value: r.bar.volume,
          color: VolumeColor(r.bar.open, r.bar.close),
        }),
      ),
    );

    // Indicators are aligned to the bars' dates (whitespace where a day has none) so that
    // every pane has the same logical indices and the panes scroll in step.
    const by_date = new Map<string, IndicatorRow>();
    if (is_day) for (const row of data.indicators ?? []) by_date.set(row.date, row);
    const ind = (key: keyof IndicatorRow): (number | null)[] =>
      this.days.map((d) => {
        const row = by_date.get(d.date);
        const value = row?.[key];
        return typeof value === 'number' ? value : null;
      });
    const empty: Line[] = [];
    const line = (key: keyof IndicatorRow): Line[] => (is_day ? LinePoints(times, ind(key)) : empty);

    this.overlays.get('sma_20')![0].setData(line('sma_20'));
    this.overlays.get('sma_50')![0].setData(line('sma_50'));
    this.overlays.get('sma_200')![0].setData(line('sma_200'));
    this.overlays.get('ema_12')![0].setData(line('ema_12'));
    this.overlays.get('ema_26')![0].setData(line('ema_26'));
    const bands = this.overlays.get('bollinger')!;
    bands[0].setData(line('bb_upper'));
    bands[1].setData(line('bb_middle'));
    bands[2].setData(line('bb_lower'));
    this.ApplyOverlayVisibility();

    // The panes keep the bars' time points (as whitespace) for other intervals so that
    // they stay aligned with the price chart.
    const blank: Line[] = times.map((time) => ({ time }));
    this.rsi_line.setData(is_day ? line('rsi_14') : blank);
    this.macd_line.setData(is_day ? line('macd') : blank);
    this.macd_signal.setData(is_day ? line('macd_signal') : blank);
    const hist = is_day ? ind('macd_hist') : [];
    this.macd_hist.setData(
      is_day
        ? times.map((time, i): Bar => {
            const value = hist[i];
            return value === null
              ? { time }
              : { time, value, color: value >= 0 ? 'rgba(22,163,74,0.6)' : 'rgba(220,38,38,0.6)' };
          })
        : blank,
    );

    const rsi_points = is_day ? ind('rsi_14').filter((v) => v !== null).length : 0;
    const macd_points = is_day ? ind('macd').filter((v) => v !== null).length : 0;
    this.price_host.dataset.ticker = data.ticker;
    this.price_host.dataset.interval = data.interval;
    this.price_host.dataset.bars = String(rows.length);
    this.rsi_host.dataset.points = String(rsi_points);
    this.macd_host.dataset.points = String(macd_points);

    this.price.timeScale().fitContent();
    this.ShowLegend(undefined);
  }

  //! Empties every pane (no ticker selected, or its data failed to load).
  Clear(): void {
    this.Show({ ticker: '', interval: this.interval, days: [], periods: [], indicators: [] });
    delete this.price_host.dataset.ticker;
  }

  SetOverlay(key: OverlayKey, on: boolean): void {
    this.visible.set(key, on);
    this.ApplyOverlayVisibility();
  }

  IsOverlayOn(key: OverlayKey): boolean {
    return this.visible.get(key) ?? false;
  }

  private ApplyOverlayVisibility(): void {
    const is_day = this.interval === 'day';
    for (const [key, series] of this.overlays) {
      const on = is_day && (this.visible.get(key) ?? false);
      for (const s of series) s.applyOptions({ visible: on });
    }
  }

  private Sync(source: IChartApi, range: LogicalRange | null): void {
    if (this.syncing || range === null) return;
    this.syncing = true;
    try {
      for (const chart of [this.price, this.rsi, this.macd]) {
        if (chart !== source) chart.timeScale().setVisibleLogicalRange(range);
      }
    } finally {
      this.syncing = false;
    }
  }

  private ShowLegend(param: MouseEventParams<Time> | undefined): void {
    const is_day = this.interval === 'day';
    const count = is_day ? this.days.length : this.periods.length;
    if (count === 0) {
      this.legend.textContent = '';
      return;
    }
    let index = count - 1;
    if (param?.logical !== undefined && param.logical !== null) {
      index = Math.min(Math.max(Math.round(param.logical), 0), count - 1);
    }
    const bar = is_day ? this.days[index] : this.periods[index];
    const when = is_day
      ? (bar as DayBar).date
      : `${(bar as PeriodBar).period_start} – ${(bar as PeriodBar).period_end}`;
    const change = bar.close - bar.open;
    const parts = [
      `<span class="legend-date">${Escape(when)}</span>`,
      `O <b>${FormatNumber(bar.open)}</b>`,
      `H <b>${FormatNumber(bar.high)}</b>`,
      `L <b>${FormatNumber(bar.low)}</b>`,
      `C <b class="${change >= 0 ? 'up' : 'down'}">${FormatNumber(bar.close)}</b>`,
      `Vol <b>${FormatVolume(bar.volume)}</b>`,
    ];
    if (!is_day) {
      const period = bar as PeriodBar;
      parts.push(`Days <b>${period.trading_days}</b>`);
      if (period.return !== null) {
        const pct = period.return * 100;
        parts.push(`Ret <b class="${pct >= 0 ? 'up' : 'down'}">${pct.toFixed(2)}%</b>`);
      }
    }
    this.legend.innerHTML = parts.join('<span class="sep"></span>');
  }
}
