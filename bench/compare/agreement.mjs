// The judge of bench/compare.sh: compares each peer's output tables with stocklake's lake,
// in DuckDB, table by table: row counts, keys on one side only, values that are NULL on
// one side only, and per column the largest relative difference (macd, macd_signal and
// macd_hist relative to the close, as reference-job.md "Accuracy" states).
// Usage: node agreement.mjs LAKE_DIR ENGINE=OUT_DIR [ENGINE=OUT_DIR ...]
// Prints one line per engine and table; exits 1 when some table disagrees beyond 1e-9.
import { DuckDBInstance } from '@duckdb/node-api';

const [lake, ...peers] = process.argv.slice(2);
if (!lake || peers.length === 0) {
  console.error('usage: node agreement.mjs LAKE_DIR ENGINE=OUT_DIR [...]');
  process.exit(2);
}
const kTolerance = 1e-9;
const kIndicators = ['return_1d', 'log_return_1d', 'sma_20', 'sma_50', 'sma_200', 'ema_12', 'ema_26', 'macd',
                     'macd_signal', 'macd_hist', 'rsi_14', 'bb_middle', 'bb_upper', 'bb_lower', 'atr_14',
                     'volatility_20'];
const kPeriod = ['period_end', 'open', 'high', 'low', 'close', 'adj_close', 'volume', 'trading_days', 'return'];
const kTables = [
  { name: 'bars', lake: 'silver/bars', keys: ['ticker', 'date'],
    values: ['open', 'high', 'low', 'close', 'adj_close', 'volume'] },
  { name: 'indicators', lake: 'gold/indicators', keys: ['ticker', 'date'], values: ['close', ...kIndicators, 'obv'],
    scaleByClose: ['macd', 'macd_signal', 'macd_hist'] },
  { name: 'bars_weekly', lake: 'gold/bars_weekly', keys: ['ticker', 'period_start'], values: kPeriod },
  { name: 'bars_monthly', lake: 'gold/bars_monthly', keys: ['ticker', 'period_start'], values: kPeriod },
  { name: 'bars_quarterly', lake: 'gold/bars_quarterly', keys: ['ticker', 'period_start'], values: kPeriod },
  { name: 'rejects', lake: 'rejects', keys: ['source_file', 'line'], values: ['ticker', 'date', 'reason'] },
];

// Text and date columns: compared for equality.
const kExact = new Set(['ticker', 'date', 'period_end', 'reason', 'source_file']);

const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const ident = (s) => `"${s}"`;

// One row of figures for a table: counts, then per value column [worst relative
// difference, values beyond tolerance, NULL on one side only]. Text and dates count as
// different when unequal (relative difference 1).
function comparisonSql(table, refPath, peerPath) {
  const on = table.keys.map((k) => `r.${ident(k)} = p.${ident(k)}`).join(' AND ');
  const both = table.keys.map((k) => `r.${ident(k)} IS NOT NULL`).join(' AND ') + ' AND ' +
               table.keys.map((k) => `p.${ident(k)} IS NOT NULL`).join(' AND ');
  const perColumn = table.values.map((c, i) => {
    const a = `r.${ident(c)}`, b = `p.${ident(c)}`;
    const scale = (table.scaleByClose || []).includes(c) ? 'abs(r.close)' : `abs(${a})`;
    const diff = kExact.has(c)
        ? `CASE WHEN CAST(${a} AS VARCHAR) = CAST(${b} AS VARCHAR) THEN 0 ELSE 1 END`
        : `abs(CAST(${a} AS DOUBLE) - CAST(${b} AS DOUBLE)) / greatest(CAST(${scale} AS DOUBLE), 1e-300)`;
    return `max(CASE WHEN ${both} AND ${a} IS NOT NULL AND ${b} IS NOT NULL THEN ${diff} END) AS d${i},
            count(CASE WHEN ${both} AND ${a} IS NOT NULL AND ${b} IS NOT NULL AND ${diff} > ${kTolerance} THEN 1 END) AS o${i},
            count(CASE WHEN ${both} AND ((${a} IS NULL) <> (${b} IS NULL) OR (${kExact.has(c) ? 'false' : `isnan(CAST(${b} AS DOUBLE))`})) THEN 1 END) AS n${i}`;
  });
  return `
    WITH r AS (SELECT * FROM read_parquet(${quote(refPath)})), p AS (SELECT * FROM read_parquet(${quote(peerPath)}))
    SELECT (SELECT count(*) FROM r) AS ref_rows, (SELECT count(*) FROM p) AS peer_rows,
           count(CASE WHEN p.${ident(table.keys[0])} IS NULL THEN 1 END) AS only_ref,
           count(CASE WHEN r.${ident(table.keys[0])} IS NULL THEN 1 END) AS only_peer,
           ${perColumn.join(',\n')}
    FROM r FULL OUTER JOIN p ON ${on}`;
}

async function main() {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  let disagree = false;
  console.log('engine   table           rows(stocklake/peer)  only-stocklake only-peer  NULL-mismatch  worst column (max rel diff)      values > 1e-9');
  for (const spec of peers) {
    const [engine, dir] = spec.split('=');
    for (const table of kTables) {
      const reader = await con.runAndReadAll(
          comparisonSql(table, `${lake}/${table.lake}/*.parquet`, `${dir}/${table.name}/*.parquet`));
      const row = reader.getRowObjects()[0];
      const num = (x) => (x === null ? null : Number(x));
      let worst = { column: '-', diff: 0 };
      let over = [];
      let nulls = 0;
      table.values.forEach((c, i) => {
        const d = num(row[`d${i}`]);
        if (d !== null && d > worst.diff) worst = { column: c, diff: d };
        if (num(row[`o${i}`]) > 0) over.push(`${c}:${num(row[`o${i}`])}`);
        nulls += num(row[`n${i}`]);
      });
      const refRows = num(row.ref_rows), peerRows = num(row.peer_rows);
      const onlyRef = num(row.only_ref), onlyPeer = num(row.only_peer);
      if (refRows !== peerRows || onlyRef || onlyPeer || nulls || over.length) disagree = true;
      console.log(`${engine.padEnd(8)} ${table.name.padEnd(15)} ${`${refRows}/${peerRows}`.padEnd(21)} ` +
                  `${String(onlyRef).padEnd(14)} ${String(onlyPeer).padEnd(10)} ${String(nulls).padEnd(14)} ` +
                  `${`${worst.column} (${worst.diff.toExponential(2)})`.padEnd(32)} ${over.length ? over.join(' ') : 'none'}`);
    }
  }
  if (disagree) console.log(`DISAGREEMENT: see the rows above with keys on one side, NULL mismatches or values beyond ${kTolerance}`);
  process.exit(disagree ? 1 : 0);
}

try {
  await main();
} catch (err) {
  console.error(String(err && err.message ? err.message : err));
  process.exit(1);
}
