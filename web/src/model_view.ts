// The model view: the newest backtest's per-quarter IC and rank IC of the model and the
// baseline (chart and table), the current quarter's top and bottom predictions, and the
// model card of the champion (or newest) version. Built with DOM nodes, never HTML
// strings from API data.
import { ColorType, LineSeries, createChart, type IChartApi, type ISeriesApi, type LineData, type Time } from 'lightweight-charts';
import {
  GetBacktest,
  GetBacktests,
  GetModel,
  GetModels,
  GetPredictions,
  type BacktestDetail,
  type BacktestMetrics,
  type ModelCard,
  type ModelDetail,
  type Prediction,
} from './api';
import { El, Table } from './dom';

//! The four lines of the IC chart: predictor, metric, colour.
export const kIcLines: { predictor: 'model' | 'baseline'; metric: 'ic' | 'rank_ic'; label: string; color: string }[] =
  [
    { predictor: 'model', metric: 'ic', label: 'Model IC', color: '#2563eb' },
    { predictor: 'model', metric: 'rank_ic', label: 'Model rank IC', color: '#059669' },
    { predictor: 'baseline', metric: 'ic', label: 'Baseline IC', color: '#ea580c' },
    { predictor: 'baseline', metric: 'rank_ic', label: 'Baseline rank IC', color: '#9333ea' },
  ];

//! Rows shown in each of the top and bottom tables.
const kShown = 10;

//! Four decimals, '–' for a missing value: how every metric and prediction is shown.
export function Fixed(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(4) : '–';
}

//! "YYYYQn" of a time on the chart's axis (a quarter's last day).
function QuarterOf(time: Time): string {
  const [year, month] =
    typeof time === 'string'
      ? [Number(time.slice(0, 4)), Number(time.slice(5, 7))]
      : typeof time === 'number'
        ? [new Date(time * 1000).getUTCFullYear(), new Date(time * 1000).getUTCMonth() + 1]
        : [time.year, time.month];
  return `${year}Q${Math.ceil(month / 3)}`;
}

//! The last day of quarter "YYYYQn", the time axis position of its point.
function QuarterEnd(quarter: string): string {
  const m = /^(\d{4})Q([1-4])$/.exec(quarter);
  if (!m) return '1970-01-01';
  return `${m[1]}-${['03-31', '06-30', '09-30', '12-31'][Number(m[2]) - 1]}`;
}

function Cell(text: string, key: string, cls = 'num'): HTMLTableCellElement {
  const td = El('td', text, cls);
  td.dataset.col = key;
  return td;
}

//! What the view shows, each part loaded on its own so one failure leaves the others.
export interface ModelViewParts {
  backtest: BacktestDetail | null;
  predictions: Prediction[];
  model: ModelDetail | null;
}

export class ModelView {
  private readonly chart: IChartApi;
  private readonly lines: ISeriesApi<'Line'>[];

  constructor(
    private readonly chart_host: HTMLElement,
    private readonly ic_table: HTMLElement,
    private readonly backtest_meta: HTMLElement,
    private readonly top: HTMLElement,
    private readonly bottom: HTMLElement,
    private readonly predictions_meta: HTMLElement,
    private readonly card: HTMLElement,
  ) {
    this.chart = createChart(chart_host, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: '#ffffff' },
        textColor: '#334155',
        fontSize: 11,
        attributionLogo: false,
      },
      grid: { vertLines: { color: '#f1f5f9' }, horzLines: { color: '#f1f5f9' } },
      rightPriceScale: { borderColor: '#e2e8f0' },
      timeScale: { borderColor: '#e2e8f0', tickMarkFormatter: (time: Time) => QuarterOf(time) },
      localization: { timeFormatter: (time: Time) => QuarterOf(time) },
    });
    this.lines = kIcLines.map((line) =>
      this.chart.addSeries(LineSeries, {
        color: line.color,
        lineWidth: 2,
        pointMarkersVisible: true,
        priceLineVisible: false,
        lastValueVisible: false,
        title: line.label,
      }),
    );
  }

  //! The newest backtest (null when there is none).
  static async LoadBacktest(signal?: AbortSignal): Promise<BacktestDetail | null> {
    const list = await GetBacktests(signal);
    return list.length === 0 ? null : GetBacktest(list[0].backtest_id, signal);
  }

  //! The model of `name` (or the first registered one); null when the registry is empty.
  static async LoadModel(name: string | undefined, signal?: AbortSignal): Promise<ModelDetail | null> {
    const models = await GetModels(signal);
    const chosen = models.find((m) => m.name === name) ?? models[0];
    return chosen === undefined ? null : GetModel(chosen.name, signal);
  }

  static LoadPredictions(signal?: AbortSignal): Promise<Prediction[]> {
    return GetPredictions(undefined, undefined, signal);
  }

  ShowBacktest(backtest: BacktestDetail | null): void {
    const quarters = backtest?.by_quarter ?? [];
    kIcLines.forEach((line, i) => {
      const points: LineData<Time>[] = [];
      for (const q of quarters) {
        const value = q[line.predictor]?.[line.metric];
        if (typeof value === 'number') points.push({ time: QuarterEnd(q.quarter) as Time, value });
      }
      this.lines[i].setData(points);
    });
    this.chart.timeScale().fitContent();
    this.chart_host.dataset.quarters = String(quarters.length);
    this.chart_host.dataset.backtest = backtest?.backtest_id ?? '';
    this.backtest_meta.textContent = backtest
      ? `${backtest.backtest_id} · ${backtest.first_quarter} → ${backtest.last_quarter}`
      : 'no backtest yet';

    const metric = (m: BacktestMetrics | null, key: 'ic' | 'rank_ic') => Fixed(m?.[key]);
    const rows = quarters.map((q) => {
      const row = El('tr');
      row.dataset.quarter = q.quarter;
      row.append(
        Cell(q.quarter, 'quarter', ''),
        Cell(metric(q.model, 'ic'), 'model_ic'),
        Cell(metric(q.model, 'rank_ic'), 'model_rank_ic'),
        Cell(metric(q.baseline, 'ic'), 'baseline_ic'),
        Cell(metric(q.baseline, 'rank_ic'), 'baseline_rank_ic'),
      );
      return row;
    });
    if (backtest) {
      for (const [predictor, s] of Object.entries(backtest.summary)) {
        const row = El('tr', undefined, 'summary');
        row.dataset.summary = predictor;
        row.append(
          Cell(`${predictor}: mean (ICIR)`, 'quarter', ''),
          Cell(`${Fixed(s.mean_ic)} (${Fixed(s.icir)})`, 'mean_ic'),
          Cell(`${Fixed(s.mean_rank_ic)} (${Fixed(s.rank_icir)})`, 'mean_rank_ic'),
          Cell(`hit ${Fixed(s.mean_hit_rate)}`, 'mean_hit_rate'),
          Cell(`spread ${Fixed(s.mean_top_bottom_spread)}`, 'mean_spread'),
        );
        rows.push(row);
      }
    }
    this.ic_table.replaceChildren(
      Table(
        [['Quarter'], ['Model IC', 'num'], ['Model rank IC', 'num'], ['Baseline IC', 'num'], ['Baseline rank IC', 'num']],
        rows,
        'No backtest yet',
      ),
    );
  }

  ShowPredictions(predictions: Prediction[]): void {
    const first = predictions[0];
    this.predictions_meta.textContent = first
      ? `${first.quarter} · ${first.model} v${first.model_version} · ${predictions.length} tickers`
      : 'no predictions yet';
    const rows = (list: Prediction[]) =>
      list.map((p) => {
        const row = El('tr');
        row.dataset.ticker = p.ticker;
        row.append(
          Cell(String(p.rank), 'rank'),
          Cell(p.ticker, 'ticker', 'symbol'),
          Cell(Fixed(p.prediction), 'prediction'),
          Cell(Fixed(p.label), 'label'),
        );
        return row;
      });
    const headers: [string, string?][] = [['Rank', 'num'], ['Ticker'], ['Prediction', 'num'], ['Label', 'num']];
    const top = predictions.slice(0, kShown);
    // The bottom table shows the lowest predictions, lowest last, without repeating the top's.
    const bottom = predictions.slice(Math.max(kShown, predictions.length - kShown));
    this.top.replaceChildren(Table(headers, rows(top), 'No predictions yet'));
    this.bottom.replaceChildren(Table(headers, rows(bottom), predictions.length > kShown ? '' : 'All shown above'));
    this.top.dataset.quarter = first?.quarter ?? '';
    this.top.dataset.model = first?.model ?? '';
  }

  //! The champion's card when the model has one, else its newest version's.
  ShowModel(model: ModelDetail | null): void {
    this.card.replaceChildren();
    if (model === null || model.versions.length === 0) {
      this.card.append(El('p', 'No registered model yet', 'meta'));
      this.card.dataset.version = '';
      return;
    }
    const champion = model.aliases['champion'];
    const version =
      model.versions.find((v) => v.version === champion) ?? model.versions[model.versions.length - 1];
    this.card.dataset.model = model.name;
    this.card.dataset.version = String(version.version);
    const title = El('p', undefined, 'card-title');
    title.append(El('b', `${model.name} v${version.version}`));
    const alias_names = Object.entries(model.aliases)
      .filter(([, v]) => v === version.version)
      .map(([a]) => a);
    title.append(document.createTextNode(alias_names.length ? ` (${alias_names.join(', ')})` : ' (newest)'));
    this.card.append(title);
    this.card.append(this.CardFacts(version));
  }

  private CardFacts(v: ModelCard): HTMLElement {
    const dl = El('dl', undefined, 'facts');
    const fact = (key: string, label: string, value: string) => {
      const box = El('div');
      box.dataset.fact = key;
      box.append(El('dt', label), El('dd', value));
      dl.append(box);
    };
    fact('quarter', 'Made at the end of', v.quarter);
    fact('created_at', 'Created', v.created_at);
    fact('training', 'Trained on', `${v.train_first_quarter ?? '?'} → ${v.train_last_quarter ?? '?'} (${v.train_rows ?? '?'} rows)`);
    fact('features', 'Features', String(v.feature_names?.length ?? 0));
    fact('xgboost', 'XGBoost', v.xgboost_version ?? '–');
    fact('params', 'Parameters', JSON.stringify(v.params ?? {}));
    fact('metrics', 'Validation', JSON.stringify(v.metrics ?? {}));
    fact('snapshot_id', 'Lake snapshot', String(v.snapshot_id ?? '–'));
    fact('feature_files', 'Feature files', String(v.feature_files?.length ?? 0));
    fact('model_sha256', 'Model hash (SHA-256)', v.model_sha256 ?? '–');
    return dl;
  }
}
