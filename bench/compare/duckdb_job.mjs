// The reference job (shared/spec/reference-job.md) in DuckDB SQL, for bench/compare.sh:
// raw input files -> Parquet tables bars, indicators, bars_weekly, bars_monthly,
// bars_quarterly and rejects in OUT_DIR/<table>/data.parquet. Covers the layout
// `stocklake generate` writes (duckdb_job refuses files with any other header).
// Usage: node duckdb_job.mjs INPUT_DIR OUT_DIR
//
// Where SQL cannot say a definition directly:
// - EMA, MACD signal and Wilder's RSI/ATR are linear recursions e[n] = q*e[n-1] + a*x[n]
//   seeded at row s. SQL window functions have no scan with carried state (a recursive CTE
//   over 20M rows would take hours here), so each is unrolled into its closed form
//     e[n] = q^(n-s)*seed + a*q^n * SUM_{s<j<=n} q^(-j)*x[j]
//   with the SUM a cumulative window sum. Same value up to rounding; q^(-j) overflows past
//   about 3,000 rows per ticker (q = 0.8 for the signal), so longer series are refused.
// - ln(c/p) loses the small returns to the rounding of c/p and DuckDB has no log1p: below
//   |r| < 1e-4 the log return is the series r - r^2/2 + r^3/3 - r^4/4 (truncation < 1e-17).
// - return_1d, rsi and period returns use the algebraically equal forms (c-p)/p and
//   100*g/(g+d), which do not cancel, as stocklake does.
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { inputFiles, requireGeneratedLayout } from './input_files.mjs';

const [inputDir, outDir] = process.argv.slice(2);
if (!inputDir || !outDir) {
  console.error('usage: node duckdb_job.mjs INPUT_DIR OUT_DIR');
  process.exit(2);
}
const kMaxRowsPerTicker = 3000;

// COMPARE_TRACE=1 prints each step's wall time to stderr.
const trace = process.env.COMPARE_TRACE === '1';
let last = performance.now();
const step = (name) => {
  if (!trace) return;
  const now = performance.now();
  console.error(`duckdb ${name}: ${((now - last) / 1000).toFixed(2)} s, RSS ${Math.round(process.memoryUsage.rss() / 1048576)} MiB`);
  last = now;
};

const quote = (s) => `'${s.replaceAll("'", "''")}'`;

// Closed form of the recursion e[n] = q*e[n-1] + a*x[n] from e[s] = seed (see above):
// `weighted` is the cumulative SUM of x*q^(-n) over rows n > s, NULL before the first.
function unrolled(a, s, seed, weighted) {
  const q = `(1.0 - ${a})`;
  return `CASE WHEN n >= ${s} THEN pow(${q}, n - ${s}) * ${seed} + ${a} * pow(${q}, n) * coalesce(${weighted}, 0) END`;
}
function weightedSum(a, s, x) {
  return `sum(CASE WHEN n > ${s} THEN (${x}) * pow(1.0 - ${a}, -n) END) OVER cum`;
}

async function main() {
  const files = inputFiles(inputDir);
  requireGeneratedLayout(files);
  for (const table of ['bars', 'indicators', 'bars_weekly', 'bars_monthly', 'bars_quarterly', 'rejects']) {
    mkdirSync(`${outDir}/${table}`, { recursive: true });
  }
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const run = (sql) => con.run(sql);

  // Input order = the position in `files`; the relative path is the rejects' source_file.
  await run('CREATE TABLE source (file_id INTEGER, source_file VARCHAR, path VARCHAR)');
  const appender = await con.createAppender('source');
  files.forEach((f, i) => {
    appender.appendInteger(i);
    appender.appendVarchar(f.relative);
    appender.appendVarchar(f.path);
    appender.endRow();
  });
  appender.closeSync();

  const fileList = `[${files.map((f) => quote(f.path)).join(',')}]`;
  const price = (f) => `regexp_full_match(${f}, '[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?')`;
  const nonFinite = (f) => `regexp_full_match(lower(${f}), '[+-]?(nan|inf|infinity)')`;
  const priceValue = (f) => `CASE WHEN ${price(f)} THEN CAST(${f} AS DOUBLE) WHEN ${nonFinite(f)} THEN 'NaN'::DOUBLE END`;
  const integer = (f) => `CASE WHEN regexp_full_match(${f}, '[+-]?[0-9]+') THEN try_cast(${f} AS BIGINT) END`;
  const good = (x) => `(isfinite(${x}) AND ${x} > 0)`;

  // One row per physical line (line 1 = header), with a trailing CR removed.
  await run(`
    CREATE TABLE lines AS
    SELECT s.file_id, s.source_file,
           upper(split_part(parse_filename(s.source_file), '.', 1)) AS ticker,
           unnest(range(1, len(parts) + 1)) AS line,
           unnest(parts) AS text
    FROM (SELECT filename, string_split(content, chr(10)) AS parts FROM read_text(${fileList})) t
    JOIN source s ON s.path = t.filename`);
  step('lines');
  const badHeaders = await con.runAndReadAll(`
    SELECT source_file FROM lines
    WHERE line = 1 AND list_transform(string_split(lower(rtrim(ltrim(text, chr(65279)), chr(13))), ','), x -> trim(x))
                       <> ['date','open','high','low','close','volume','openint']
    LIMIT 1`);
  if (badHeaders.currentRowCount > 0) {
    throw new Error(`duckdb_job: '${badHeaders.getRows()[0][0]}' does not have the header written by stocklake generate`);
  }

  // Every data row with its parsed fields and its cleaning reason (NULL = accepted).
  await run(`
    CREATE TABLE parsed AS
    WITH split AS (
      SELECT file_id, source_file, ticker, line, list_transform(string_split(t, ','), x -> trim(x)) AS f
      FROM (SELECT *, CASE WHEN suffix(text, chr(13)) THEN left(text, -1) ELSE text END AS t FROM lines WHERE line > 1)
      WHERE trim(t) <> ''
    ), fields AS (
      SELECT file_id, source_file, ticker, line, len(f) = 7 AS field_count_ok,
             CASE WHEN regexp_full_match(f[1], '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN try_cast(f[1] AS DATE) END AS date,
             ${priceValue('f[2]')} AS open, ${priceValue('f[3]')} AS high,
             ${priceValue('f[4]')} AS low, ${priceValue('f[5]')} AS close,
             ${integer('f[6]')} AS volume, ${integer('f[7]')} AS open_interest
      FROM split
    )
    SELECT file_id, source_file, ticker, line, date, open, high, low, close, close AS adj_close, volume,
           CASE
             WHEN NOT field_count_ok OR date IS NULL OR open IS NULL OR high IS NULL OR low IS NULL OR close IS NULL
                  OR volume IS NULL OR open_interest IS NULL THEN 'parse_error'
             WHEN NOT (${good('open')} AND ${good('high')} AND ${good('low')} AND ${good('close')}) THEN 'bad_price'
             WHEN high < greatest(open, close, low) OR low > least(open, close, high) THEN 'high_low_inconsistent'
             WHEN volume < 0 THEN 'negative_volume'
             WHEN volume = 0 THEN 'zero_volume'
           END AS reason
    FROM fields`);
  step('parse + clean');
  await run('DROP TABLE lines');

  // Duplicates among accepted rows: the last in input order (file, then line) is kept.
  await run(`
    CREATE TABLE ranked AS
    SELECT *, row_number() OVER (PARTITION BY ticker, date ORDER BY file_id DESC, line DESC) > 1 AS duplicate
    FROM parsed WHERE reason IS NULL`);
  step('duplicates');
  await run(`
    COPY (SELECT source_file, line, ticker, date, reason FROM parsed WHERE reason IS NOT NULL
          UNION ALL
          SELECT source_file, line, ticker, date, 'duplicate' FROM ranked WHERE duplicate)
    TO ${quote(`${outDir}/rejects/data.parquet`)} (FORMAT parquet, COMPRESSION zstd)`);
  step('rejects written');
  await run('DROP TABLE parsed');
  await run(`
    CREATE TABLE bars AS
    SELECT ticker, date, open, high, low, close, adj_close, volume FROM ranked WHERE NOT duplicate`);
  step('bars table');
  await run('DROP TABLE ranked');
  await run(`COPY bars TO ${quote(`${outDir}/bars/data.parquet`)} (FORMAT parquet, COMPRESSION zstd)`);
  step('bars written');

  const longest = await con.runAndReadAll('SELECT coalesce(max(c), 0) FROM (SELECT count(*) c FROM bars GROUP BY ticker)');
  if (Number(longest.getRows()[0][0]) > kMaxRowsPerTicker) {
    throw new Error(`duckdb_job: a ticker has more than ${kMaxRowsPerTicker} rows; the unrolled EMA would overflow`);
  }

  const k12 = '(2.0 / 13)', k26 = '(2.0 / 27)', k9 = '(2.0 / 10)', w14 = '(1.0 / 14)';
  await run(`
    COPY (
      WITH s0 AS (
        SELECT ticker, date, high AS h, low AS l, close AS c, volume AS v,
               row_number() OVER w - 1 AS n, lag(close) OVER w AS p
        FROM bars WINDOW w AS (PARTITION BY ticker ORDER BY date)
      ), s0b AS (
        SELECT *, (c - p) / p AS r,
               greatest(c - p, 0) AS g, greatest(p - c, 0) AS d,
               greatest(h - l, abs(h - p), abs(l - p)) AS tr
        FROM s0
      ), s1 AS (
        SELECT *,
               CASE WHEN abs(r) < 1e-4 THEN r - r * r / 2 + r * r * r / 3 - r * r * r * r / 4 ELSE ln(c / p) END AS lr,
               CASE WHEN n >= 19 THEN avg(c) OVER last20 END AS sma_20,
               CASE WHEN n >= 49 THEN avg(c) OVER (w ROWS 49 PRECEDING) END AS sma_50,
               CASE WHEN n >= 199 THEN avg(c) OVER (w ROWS 199 PRECEDING) END AS sma_200,
               CASE WHEN n >= 19 THEN stddev_pop(c) OVER last20 END AS sd_20,
               avg(CASE WHEN n < 12 THEN c END) OVER whole AS seed_12,
               avg(CASE WHEN n < 26 THEN c END) OVER whole AS seed_26,
               avg(CASE WHEN n BETWEEN 1 AND 14 THEN g END) OVER whole AS seed_g,
               avg(CASE WHEN n BETWEEN 1 AND 14 THEN d END) OVER whole AS seed_d,
               avg(CASE WHEN n BETWEEN 1 AND 14 THEN tr END) OVER whole AS seed_tr,
               ${weightedSum(k12, 11, 'c')} AS sum_12,
               ${weightedSum(k26, 25, 'c')} AS sum_26,
               ${weightedSum(w14, 14, 'g')} AS sum_g,
               ${weightedSum(w14, 14, 'd')} AS sum_d,
               ${weightedSum(w14, 14, 'tr')} AS sum_tr,
               sum(CASE WHEN c > p THEN v WHEN c < p THEN -v ELSE 0 END) OVER cum AS obv
        FROM s0b
        WINDOW w AS (PARTITION BY ticker ORDER BY date),
               last20 AS (w ROWS 19 PRECEDING),
               cum AS (w ROWS UNBOUNDED PRECEDING),
               whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
      ), s2 AS (
        SELECT *,
               ${unrolled(k12, 11, 'seed_12', 'sum_12')} AS ema_12,
               ${unrolled(k26, 25, 'seed_26', 'sum_26')} AS ema_26,
               ${unrolled(w14, 14, 'seed_g', 'sum_g')} AS avg_g,
               ${unrolled(w14, 14, 'seed_d', 'sum_d')} AS avg_d,
               ${unrolled(w14, 14, 'seed_tr', 'sum_tr')} AS atr_14,
               CASE WHEN n >= 20 THEN stddev_samp(lr) OVER (w ROWS 19 PRECEDING) * sqrt(252) END AS volatility_20
        FROM s1 WINDOW w AS (PARTITION BY ticker ORDER BY date)
      ), s3 AS (
        SELECT *, ema_12 - ema_26 AS macd FROM s2
      ), s4 AS (
        SELECT *,
               avg(CASE WHEN n BETWEEN 25 AND 33 THEN macd END) OVER whole AS seed_9,
               ${weightedSum(k9, 33, 'macd')} AS sum_9
        FROM s3
        WINDOW w AS (PARTITION BY ticker ORDER BY date),
               cum AS (w ROWS UNBOUNDED PRECEDING),
               whole AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
      ), s5 AS (
        SELECT *, ${unrolled(k9, 33, 'seed_9', 'sum_9')} AS macd_signal FROM s4
      )
      SELECT ticker, date, c AS close, r AS return_1d, lr AS log_return_1d, sma_20, sma_50, sma_200,
             ema_12, ema_26, macd, macd_signal, macd - macd_signal AS macd_hist,
             CASE WHEN n >= 14 THEN
               CASE WHEN avg_d = 0 THEN CASE WHEN avg_g > 0 THEN 100.0 ELSE 50.0 END
                    ELSE 100.0 * avg_g / (avg_g + avg_d) END
             END AS rsi_14,
             sma_20 AS bb_middle, sma_20 + 2 * sd_20 AS bb_upper, sma_20 - 2 * sd_20 AS bb_lower,
             atr_14, volatility_20, CAST(obv AS BIGINT) AS obv
      FROM s5)
    TO ${quote(`${outDir}/indicators/data.parquet`)} (FORMAT parquet, COMPRESSION zstd)`);
  step('indicators written');

  // Period bars: date_trunc('week') is the ISO week's Monday, so it keys the ISO
  // (year, week) exactly, including the week spanning 31 Dec / 1 Jan.
  for (const [table, unit] of [['bars_weekly', 'week'], ['bars_monthly', 'month'], ['bars_quarterly', 'quarter']]) {
    await run(`
      COPY (
        WITH periods AS (
          SELECT ticker, min(date) AS period_start, max(date) AS period_end, arg_min(open, date) AS open,
                 max(high) AS high, min(low) AS low, arg_max(close, date) AS close,
                 arg_max(adj_close, date) AS adj_close, CAST(sum(volume) AS BIGINT) AS volume,
                 CAST(count(*) AS INTEGER) AS trading_days
          FROM bars GROUP BY ticker, date_trunc('${unit}', date)
        )
        SELECT *, (close - lag(close) OVER (PARTITION BY ticker ORDER BY period_start))
                  / lag(close) OVER (PARTITION BY ticker ORDER BY period_start) AS "return"
        FROM periods)
      TO ${quote(`${outDir}/${table}/data.parquet`)} (FORMAT parquet, COMPRESSION zstd)`);
    step(table);
  }
}

try {
  await main();
} catch (err) {
  console.error(String(err && err.message ? err.message : err));
  process.exit(1);
}
