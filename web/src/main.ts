// The dashboard's entry point: wires the search box, the interval switch, the overlay
// toggles, the token field and the side panels to the API, and shows every API error.
import './style.css';
import {
  DescribeError,
  GetDayBars,
  GetIndicators,
  GetPeriodBars,
  GetQuality,
  GetRuns,
  LoadToken,
  SaveToken,
  SearchTickers,
  type Interval,
} from './api';
import { PriceView, kOverlays, type ChartData } from './chart';
import { IntradayView } from './intraday_view';
import { ModelView, kIcLines } from './model_view';
import { PipelineView } from './pipeline_view';
import { RenderQuality, RenderRuns } from './panels';
import { TickerSearch } from './search';

const kIntervals: Interval[] = ['day', 'week', 'month', 'quarter'];
const kViews = ['prices', 'intraday', 'model', 'pipelines'] as const;
type View = (typeof kViews)[number];

function Find<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no #${id}`);
  return el as T;
}

//! The API errors currently shown, one per source (search, chart, runs, quality), so that a
//! later success of the same source clears its message.
class ErrorBar {
  private readonly messages = new Map<string, string>();

  constructor(private readonly root: HTMLElement) {}

  Set(source: string, message: string | null): void {
    if (message === null) this.messages.delete(source);
    else this.messages.set(source, message);
    this.Render();
  }

  private Render(): void {
    this.root.replaceChildren();
    for (const [source, message] of this.messages) {
      const item = document.createElement('div');
      item.className = 'error';
      item.dataset.source = source;
      const text = document.createElement('span');
      text.textContent = message;
      const close = document.createElement('button');
      close.type = 'button';
      close.className = 'dismiss';
      close.setAttribute('aria-label', 'Dismiss');
      close.textContent = '×';
      close.addEventListener('click', () => this.Set(source, null));
      item.append(text, close);
      this.root.append(item);
    }
    this.root.hidden = this.messages.size === 0;
  }
}

class Dashboard {
  private readonly errors = new ErrorBar(Find('errors'));
  private readonly view = new PriceView(
    Find('price-chart'),
    Find('rsi-chart'),
    Find('macd-chart'),
    Find('legend'),
  );
  private ticker = '';
  private interval: Interval = 'day';
  private load: AbortController | undefined;
  private readonly cache = new Map<string, ChartData>();
  private model_view: ModelView | undefined;
  private pipeline_view: PipelineView | undefined;
  private intraday_view: IntradayView | undefined;
  private shown: View = 'prices';

  Start(): void {
    new TickerSearch(
      Find<HTMLInputElement>('ticker-input'),
      Find<HTMLUListElement>('ticker-list'),
      (ticker) => this.Select(ticker, this.interval),
      (message) => this.errors.Set('search', message),
    );
    this.BuildIntervalSwitch();
    this.BuildOverlayToggles();
    this.BuildTokenField();
    this.BuildViewSwitch();
    Find('refresh').addEventListener('click', () => void this.RefreshPanels());
    Find('pipeline-refresh').addEventListener('click', () => void this.PipelineViewOf().Show());
    window.addEventListener('hashchange', () => this.FromHash());

    void this.RefreshPanels();
    if (!this.FromHash()) void this.PickFirstTicker();
  }

  private BuildIntervalSwitch(): void {
    const root = Find('interval');
    for (const interval of kIntervals) {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.interval = interval;
      button.textContent = interval[0].toUpperCase() + interval.slice(1);
      button.setAttribute('aria-pressed', String(interval === this.interval));
      button.addEventListener('click', () => {
        if (this.ticker !== '') this.Select(this.ticker, interval);
        else this.SetInterval(interval);
      });
      root.append(button);
    }
  }

  private SetInterval(interval: Interval): void {
    this.interval = interval;
    Find('interval')
      .querySelectorAll<HTMLButtonElement>('button')
      .forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.interval === interval)));
    const is_day = interval === 'day';
    Find('overlays').classList.toggle('disabled', !is_day);
    Find('overlays')
      .querySelectorAll<HTMLInputElement>('input')
      .forEach((input) => (input.disabled = !is_day));
    document.querySelectorAll<HTMLElement>('.pane-empty').forEach((el) => (el.hidden = is_day));
  }

  private BuildViewSwitch(): void {
    Find('views')
      .querySelectorAll<HTMLButtonElement>('button')
      .forEach((button) =>
        button.addEventListener('click', () =>
          this.ShowView(kViews.find((v) => v === button.dataset.view) ?? 'prices'),
        ),
      );
    const keys = Find('ic-keys');
    for (const line of kIcLines) {
      const key = document.createElement('span');
      key.className = 'chip';
      key.style.setProperty('--chip-color', line.color);
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      key.append(swatch, document.createTextNode(line.label));
      keys.append(key);
    }
  }

  //! Shows the price, intraday, model or pipeline view; all but the price view load each
  //! time they are shown, and the intraday view follows the speed layer while shown.
  private ShowView(view: View): void {
    this.shown = view;
    Find('views')
      .querySelectorAll<HTMLButtonElement>('button')
      .forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.view === view)));
    document.querySelector<HTMLElement>('main.layout')!.hidden = view !== 'prices';
    Find('intraday-view').hidden = view !== 'intraday';
    Find('model-view').hidden = view !== 'model';
    Find('pipeline-view').hidden = view !== 'pipelines';
    if (view === 'model') void this.LoadModelView();
    if (view === 'pipelines') void this.PipelineViewOf().Show();
    else this.pipeline_view?.Hide();
    if (view === 'intraday') void this.IntradayViewOf().Show();
    else this.intraday_view?.Hide();
  }

  private IntradayViewOf(): IntradayView {
    this.intraday_view ??= new IntradayView(
      {
        card: Find('intraday-card'),
        title: Find('intraday-title'),
        symbols: Find<HTMLSelectElement>('intraday-symbol'),
        intervals: Find('intraday-interval'),
        live: Find('intraday-live'),
        meta: Find('intraday-meta'),
        legend: Find('intraday-legend'),
        chart: Find('intraday-chart'),
      },
      (source, message) => this.errors.Set(source, message),
    );
    return this.intraday_view;
  }

  private PipelineViewOf(): PipelineView {
    this.pipeline_view ??= new PipelineView(
      {
        runs_card: Find('pipeline-runs-card'),
        runs: Find('pipeline-runs'),
        runs_meta: Find('pipeline-runs-meta'),
        run_card: Find('pipeline-run-card'),
        run_meta: Find('pipeline-run-meta'),
        timeline: Find('pipeline-timeline'),
        tasks: Find('pipeline-tasks'),
        failures: Find('pipeline-failures'),
      },
      (source, message) => this.errors.Set(source, message),
    );
    return this.pipeline_view;
  }

  private async LoadModelView(): Promise<void> {
    const root = Find('model-view');
    this.model_view ??= new ModelView(
      Find('ic-chart'),
      Find('ic-table'),
      Find('backtest-meta'),
      Find('top-predictions'),
      Find('bottom-predictions'),
      Find('predictions-meta'),
      Find('model-card'),
    );
    const view = this.model_view;
    root.dataset.state = 'loading';
    let failed = false;
    // Each part on its own: a failing one is reported and leaves the others shown.
    const part = async <T>(id: string, source: string, what: string, load: () => Promise<T>, show: (v: T) => void) => {
      const card = Find(id);
      card.dataset.state = 'loading';
      try {
        show(await load());
        card.dataset.state = 'ready';
        this.errors.Set(source, null);
      } catch (e) {
        failed = true;
        card.dataset.state = 'error';
        this.errors.Set(source, `${what}: ${DescribeError(e)}`);
      }
    };
    let model_name: string | undefined;
    await Promise.all([
      part('ic-card', 'backtests', 'Backtests', () => ModelView.LoadBacktest(), (b) => view.ShowBacktest(b)),
      part('predictions-card', 'predictions', 'Predictions', () => ModelView.LoadPredictions(), (p) => {
        model_name = p[0]?.model;
        view.ShowPredictions(p);
      }),
    ]);
    await part('card-card', 'models', 'Model registry', () => ModelView.LoadModel(model_name), (m) => view.ShowModel(m));
    root.dataset.state = failed ? 'error' : 'ready';
  }

  private BuildOverlayToggles(): void {
    const root = Find('overlays');
    for (const overlay of kOverlays) {
      const label = document.createElement('label');
      label.className = 'chip';
      label.style.setProperty('--chip-color', overlay.color);
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.dataset.overlay = overlay.key;
      input.checked = this.view.IsOverlayOn(overlay.key);
      input.addEventListener('change', () => this.view.SetOverlay(overlay.key, input.checked));
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      label.append(input, swatch, document.createTextNode(overlay.label));
      root.append(label);
    }
  }

  private BuildTokenField(): void {
    const input = Find<HTMLInputElement>('token-input');
    const state = Find('token-state');
    const show = () => {
      const has = LoadToken() !== '';
      state.textContent = has ? 'token set' : 'anonymous';
      state.classList.toggle('on', has);
    };
    input.value = LoadToken();
    show();
    Find('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      SaveToken(input.value.trim());
      show();
      // Another token may see other data (or none): drop what the old one fetched.
      this.cache.clear();
      void this.RefreshPanels();
      if (this.shown === 'model') void this.LoadModelView();
      if (this.shown === 'pipelines') void this.PipelineViewOf().Show();
      if (this.shown === 'intraday') void this.IntradayViewOf().Show();
      if (this.ticker !== '') this.Select(this.ticker, this.interval);
      else void this.PickFirstTicker();
    });
  }

  private FromHash(): boolean {
    const params = new URLSearchParams(location.hash.slice(1));
    const ticker = params.get('ticker')?.toUpperCase() ?? '';
    const interval = params.get('interval') as Interval | null;
    if (ticker === '') return false;
    const chosen = interval && kIntervals.includes(interval) ? interval : 'day';
    if (ticker !== this.ticker || chosen !== this.interval) this.Select(ticker, chosen);
    return true;
  }

  private async PickFirstTicker(): Promise<void> {
    try {
      const first = await SearchTickers('', 1);
      this.errors.Set('search', null);
      if (first.length > 0 && this.ticker === '') this.Select(first[0].ticker, this.interval);
    } catch (e) {
      this.errors.Set('search', DescribeError(e));
    }
  }

  //! Shows `ticker` at `interval`; a newer selection cancels an older one still loading.
  Select(ticker: string, interval: Interval): void {
    this.ticker = ticker;
    this.SetInterval(interval);
    Find('ticker-title').textContent = ticker;
    Find<HTMLInputElement>('ticker-input').value = ticker;
    const hash = `#ticker=${encodeURIComponent(ticker)}&interval=${interval}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
    void this.LoadChart(ticker, interval);
  }

  private async LoadChart(ticker: string, interval: Interval): Promise<void> {
    this.load?.abort();
    const controller = new AbortController();
    this.load = controller;
    const host = Find('chart-card');
    host.dataset.state = 'loading';
    const key = `${ticker}|${interval}`;
    try {
      let data = this.cache.get(key);
      if (data === undefined) {
        if (interval === 'day') {
          const [days, indicators] = await Promise.all([
            GetDayBars(ticker, controller.signal),
            GetIndicators(ticker, controller.signal),
          ]);
          data = { ticker, interval, days, indicators };
        } else {
          const periods = await GetPeriodBars(ticker, interval, controller.signal);
          data = { ticker, interval, periods };
        }
        this.cache.set(key, data);
      }
      if (controller.signal.aborted) return;
      this.view.Show(data);
      const rows = interval === 'day' ? data.days!.length : data.periods!.length;
      Find('ticker-meta').textContent =
        rows === 0 ? 'no bars' : `${rows.toLocaleString('en-US')} ${interval} bars`;
      host.dataset.state = 'ready';
      this.errors.Set('chart', null);
    } catch (e) {
      if (controller.signal.aborted) return;
      this.view.Clear();
      Find('ticker-meta').textContent = '';
      host.dataset.state = 'error';
      this.errors.Set('chart', `Could not load ${ticker} (${interval}): ${DescribeError(e)}`);
    }
  }

  private async RefreshPanels(): Promise<void> {
    const quality = Find('quality');
    const runs = Find('runs');
    quality.dataset.state = 'loading';
    runs.dataset.state = 'loading';
    await Promise.all([
      GetQuality()
        .then((q) => {
          RenderQuality(quality, q);
          quality.dataset.state = 'ready';
          this.errors.Set('quality', null);
        })
        .catch((e) => {
          quality.dataset.state = 'error';
          quality.textContent = 'Unavailable';
          this.errors.Set('quality', `Data quality: ${DescribeError(e)}`);
        }),
      GetRuns()
        .then((list) => {
          RenderRuns(runs, list);
          runs.dataset.state = 'ready';
          this.errors.Set('runs', null);
        })
        .catch((e) => {
          runs.dataset.state = 'error';
          runs.textContent = 'Unavailable';
          this.errors.Set('runs', `Run history: ${DescribeError(e)}`);
        }),
    ]);
  }
}

new Dashboard().Start();
