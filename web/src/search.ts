// The ticker search box: prefix search against /api/v1/tickers as the user types
// (debounced, stale answers dropped), picked with the mouse or the keyboard.
import { ApiError, SearchTickers, type TickerInfo } from './api';

const kDebounceMs = 150;
const kSuggestions = 20;

//! Wires `input` and the `list` under it; calls `on_pick` with the chosen ticker and
//! `on_error` with a failed search's message (null once a search succeeds again).
export class TickerSearch {
  private timer: number | undefined;
  private pending: AbortController | undefined;
  private items: TickerInfo[] = [];
  private active = -1;

  constructor(
    private readonly input: HTMLInputElement,
    private readonly list: HTMLUListElement,
    private readonly on_pick: (ticker: string) => void,
    private readonly on_error: (message: string | null) => void,
  ) {
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    list.setAttribute('role', 'listbox');
    input.addEventListener('input', () => this.Schedule());
    input.addEventListener('focus', () => this.Schedule());
    input.addEventListener('keydown', (e) => this.OnKey(e));
    // Closing on blur waits a moment so that a click on a suggestion lands first.
    input.addEventListener('blur', () => window.setTimeout(() => this.Close(), 150));
    list.addEventListener('mousedown', (e) => e.preventDefault());
    list.addEventListener('click', (e) => {
      const item = (e.target as HTMLElement).closest<HTMLElement>('[data-ticker]');
      if (item?.dataset.ticker) this.Pick(item.dataset.ticker);
    });
  }

  private Schedule(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.Search(), kDebounceMs);
  }

  private async Search(): Promise<void> {
    const prefix = this.input.value.trim().toUpperCase();
    this.pending?.abort();
    const controller = new AbortController();
    this.pending = controller;
    try {
      const found = await SearchTickers(prefix, kSuggestions, controller.signal);
      if (controller.signal.aborted) return;
      this.items = found;
      this.active = found.length > 0 ? 0 : -1;
      this.Render(prefix);
      this.on_error(null);
    } catch (e) {
      if (controller.signal.aborted) return;
      this.Close();
      this.on_error(e instanceof ApiError ? e.describe() : String(e));
    }
  }

  private Render(prefix: string): void {
    this.list.replaceChildren();
    if (this.items.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'empty';
      empty.textContent = prefix === '' ? 'No tickers in the lake' : `No ticker starts with “${prefix}”`;
      this.list.append(empty);
    }
    this.items.forEach((item, i) => {
      const li = document.createElement('li');
      li.id = `${this.list.id}-${i}`;
      li.dataset.ticker = item.ticker;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === this.active));
      const name = document.createElement('span');
      name.className = 'symbol';
      name.textContent = item.ticker;
      const range = document.createElement('span');
      range.className = 'range';
      range.textContent = `${item.first_date} → ${item.last_date} · ${item.days.toLocaleString('en-US')} days`;
      li.append(name, range);
      this.list.append(li);
    });
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
    this.UpdateActive();
  }

  private UpdateActive(): void {
    this.list.querySelectorAll<HTMLElement>('[role=option]').forEach((li, i) => {
      const on = i === this.active;
      li.classList.toggle('active', on);
      li.setAttribute('aria-selected', String(on));
      if (on) li.scrollIntoView({ block: 'nearest' });
    });
    if (this.active >= 0) this.input.setAttribute('aria-activedescendant', `${this.list.id}-${this.active}`);
    else this.input.removeAttribute('aria-activedescendant');
  }

  private OnKey(e: KeyboardEvent): void {
    const open = !this.list.hidden && this.items.length > 0;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (!open) {
        this.Schedule();
        return;
      }
      const step = e.key === 'ArrowDown' ? 1 : -1;
      this.active = (this.active + step + this.items.length) % this.items.length;
      this.UpdateActive();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (open && this.active >= 0) {
        this.Pick(this.items[this.active].ticker);
      } else if (this.input.value.trim() !== '') {
        this.Pick(this.input.value.trim().toUpperCase());
      }
    } else if (e.key === 'Escape') {
      this.Close();
    }
  }

  private Pick(ticker: string): void {
    window.clearTimeout(this.timer);
    this.pending?.abort();
    this.input.value = ticker;
    this.Close();
    this.on_pick(ticker);
  }

  private Close(): void {
    // Dropping the old options keeps stale suggestions from being picked by a quick Enter.
    this.items = [];
    this.active = -1;
    this.list.replaceChildren();
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
  }
}
