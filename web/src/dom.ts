// Building the page from API data with DOM nodes, never HTML strings.

//! A `tag` element with `text` as its text and `class_name` as its class.
export function El<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  class_name?: string,
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (class_name !== undefined) el.className = class_name;
  return el;
}

//! A table of `headers` (label, class) over `rows`; one cell saying `empty` when none.
export function Table(headers: [string, string?][], rows: HTMLTableRowElement[], empty: string): HTMLTableElement {
  const table = El('table');
  const head_row = El('tr');
  for (const [label, cls] of headers) head_row.append(El('th', label, cls));
  const head = El('thead');
  head.append(head_row);
  const body = El('tbody');
  if (rows.length === 0) {
    const row = El('tr');
    const cell = El('td', empty, 'empty');
    cell.colSpan = headers.length;
    row.append(cell);
    body.append(row);
  }
  body.append(...rows);
  table.append(head, body);
  return table;
}
