// The reference job (shared/spec/reference-job.md) in Polars (nodejs-polars 0.25.2), for
// bench/compare.sh: raw input files -> Parquet tables bars, indicators, bars_weekly,
// bars_monthly, bars_quarterly and rejects in OUT_DIR/<table>/part-NNN.parquet. Covers the
// layout `stocklake generate` writes.
// Usage: node --expose-gc polars_job.mjs INPUT_DIR OUT_DIR
//
// Memory: the input is processed in chunks of tickers (by the first letter of the file
// name, see chunkOf), each a complete job writing one part file per table.
// Where Polars cannot say a definition directly:
// - Lines with their physical numbers: Polars' CSV reader drops empty lines and rejects
//   ragged rows, so every file is scanned as one text cell (separators that never occur)
//   and split on LF; the row index after the explode gives the line numbers.
// - EMA seeded by an SMA, MACD signal, Wilder's RSI/ATR: ewm_mean(adjust=false) seeds with
//   the first non-null value, so it runs over a column that is NULL before the seed row,
//   holds the seed (the SMA of the first N values) at the seed row and the series after it.
//   That is the recursion of the definition exactly.
// - Standard deviations: rollingStd updates running sums along the whole series, so after a
//   price falls by orders of magnitude it is off by up to ~2e-7 relative (measured), and it
//   ignores `ddof` in nodejs-polars 0.25.2. The spec asks for deviations about the mean, so
//   the 20 values of each window are taken explicitly with shift() (the frame is sorted by
//   ticker and date; a window is used only where all its rows are the ticker's own).
// - No log1p: below |r| < 1e-4 the log return is the series r - r^2/2 + r^3/3 - r^4/4.
// - return_1d, rsi and period returns use the algebraically equal forms (c-p)/p and
//   100*g/(g+d), which do not cancel, as stocklake does.
import pl from 'nodejs-polars';
import { mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { inputFiles, requireGeneratedLayout } from './input_files.mjs';

const [inputArg, outDir] = process.argv.slice(2);
if (!inputArg || !outDir) {
  console.error('usage: node polars_job.mjs INPUT_DIR OUT_DIR');
  process.exit(2);
}
const inputDir = resolve(inputArg);
const col = pl.col;
const lit = pl.lit;
const kHeader = /^\ufeff?/.source + ' *date *, *open *, *high *, *low *, *close *, *volume *, *openint *\r?$';
const kPrice = '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$';
const kNonFinite = '^[+-]?(nan|inf|infinity)$';
// Input bytes per chunk (see chunkOf): all at once, Polars needs about 20 bytes of memory
// per input byte (measured at 2M rows), more than this 24 GiB machine can spare at 20M.
// POLARS_CHUNK_MIB overrides it.
const kChunkBytes = Number(process.env.POLARS_CHUNK_MIB || 128) * 1048576;
const kInteger = '^[+-]?[0-9]+$';
const kNullDouble = lit(null).cast(pl.Float64);

// A leading '+' is valid syntax that Polars' numeric casts might not accept: drop it first.
const unsigned = (e) => e.str.replace('^\\+', '');
const priceValue = (f) =>
  pl.when(f.str.contains(kPrice)).then(unsigned(f).cast(pl.Float64, false))
    .when(f.str.toLowerCase().str.contains(kNonFinite)).then(lit(NaN))
    .otherwise(kNullDouble);
const integerValue = (f) =>
  pl.when(f.str.contains(kInteger)).then(unsigned(f).cast(pl.Int64, false)).otherwise(lit(null).cast(pl.Int64));
// Sum of squared deviations of the window x[n-19..n] about its mean, by the corrected
// two-pass formula (exact zero on flat windows); `mean` is the window's mean.
function squaredDeviations(x, mean) {
  let sum = null, sumSq = null;
  for (let k = 0; k < 20; ++k) {
    const d = x.shift(k).sub(mean);
    sum = sum === null ? d : sum.add(d);
    sumSq = sumSq === null ? d.mul(d) : sumSq.add(d.mul(d));
  }
  return pl.maxHorizontal([sumSq.sub(sum.mul(sum).div(20)), lit(0)]);
}
function windowMean(x) {
  let sum = x;
  for (let k = 1; k < 20; ++k) sum = sum.add(x.shift(k));
  return sum.div(20);
}

const trace = process.env.COMPARE_TRACE === '1';
let last = performance.now();
const step = (name) => {
  if (!trace) return;
  const now = performance.now();
  console.error(`polars ${name}: ${((now - last) / 1000).toFixed(2)} s, RSS ${Math.round(process.memoryUsage.rss() / 1048576)} MiB`);
  last = now;
};

// Frames hold native memory that V8 does not see: frames no longer needed are released by
// an explicit collection (node runs with --expose-gc, see compare.sh) so that peak RSS
// reflects the job and not the collector's timing. Native finalizers run only once the
// event loop turns, hence the await.
async function collectGarbage() {
  if (globalThis.gc) globalThis.gc();
  await new Promise((done) => setImmediate(done));
}

const goodPrice = (name) => col(name).isFinite().and(col(name).gt(0));

// The recursion e[n] = (1-a)*e[n-1] + a*x[n] from e[s] = seed, per ticker (see above).
const seededEwm = (alpha, seedRow, seed, x) =>
  pl.when(col('n').eq(seedRow)).then(seed).when(col('n').gt(seedRow)).then(x).otherwise(kNullDouble)
    .ewmMean({ alpha, adjust: false, minPeriods: 1, ignoreNulls: true }).over('ticker');

// The files of one chunk: those whose name starts with one of `letters` (either case), or
// with no letter at all when letters is ''. A ticker is its file's name up to the first
// '.', so all rows of a ticker are in one chunk and the chunks are independent jobs.
function chunkOf(files, letters) {
  const first = (f) => f.relative.slice(f.relative.lastIndexOf('/') + 1).charAt(0).toLowerCase();
  return files.filter((f) => (letters === '' ? !/[a-z]/.test(first(f)) : letters.includes(first(f))));
}
function globFor(letters) {
  if (letters === '') return `${inputDir}/**/[!a-zA-Z]*.txt`;
  const a = letters[0], z = letters[letters.length - 1];
  return `${inputDir}/**/[${a}-${z}${a.toUpperCase()}-${z.toUpperCase()}]*.txt`;
}

async function main() {
  const files = inputFiles(inputDir);
  requireGeneratedLayout(files);
  const inputBytes = files.reduce((sum, f) => sum + statSync(f.path).size, 0);
  const groups = Math.min(26, Math.max(1, Math.ceil(inputBytes / kChunkBytes)));
  const alphabet = 'abcdefghijklmnopqrstuvwxyz';
  const chunks = [''];
  for (let g = 0; g < groups; ++g) {
    chunks.push(alphabet.slice(Math.floor((g * 26) / groups), Math.floor(((g + 1) * 26) / groups)));
  }
  for (const table of ['bars', 'indicators', 'bars_weekly', 'bars_monthly', 'bars_quarterly', 'rejects']) {
    mkdirSync(`${outDir}/${table}`, { recursive: true });
  }
  let part = 0;
  for (const letters of chunks) {
    const chunk = chunkOf(files, letters);
    if (chunk.length === 0) continue;
    await runChunk(chunk, globFor(letters), `part-${String(part++).padStart(3, '0')}.parquet`);
    await collectGarbage();
  }
}

// The whole job over `files` (those matched by `pattern`), writing OUT_DIR/<table>/<name>.
async function runChunk(files, pattern, name) {
  const order = pl.DataFrame({
    path: files.map((f) => f.path),
    file_id: files.map((_, i) => i),
    source_file: files.map((f) => f.relative),
  }).withColumns(col('file_id').cast(pl.Int64));

  // One row per file (separators that never occur in text), then one row per line.
  const whole = pl.scanCSV(pattern, {
    hasHeader: false, sep: '\x1f', eolChar: '\x1e', quoteChar: '\x1d', glob: true,
    schema: { content: pl.Utf8 }, includeFilePaths: 'path',
  });
  const lines = whole.join(order.lazy(), { on: 'path' })
    .select(col('file_id'), col('source_file'),
            col('source_file').str.extract('([^/.]*)[^/]*$', 1).str.toUpperCase().alias('ticker'),
            col('content').str.split('\n').alias('text'))
    .explode('text')
    .withRowIndex('i')
    .withColumns(col('i').sub(col('i').min().over('file_id')).add(1).cast(pl.Int64).alias('line'),
                 col('text').first().over('file_id').str.toLowerCase().str.contains(kHeader).alias('header_ok'))
    .drop('i');

  // Every data row with its parsed fields and cleaning reason (NULL = accepted).
  const f = (i) => col('f').lst.get(i).str.stripChars(' ');
  let parsed = lines
    .filter(col('line').gt(1))
    .withColumns(col('text').str.replace('\r$', '').alias('text'))
    .filter(col('text').str.contains('^ *$').not())
    .withColumns(col('text').str.split(',').alias('f'))
    .select(
      'file_id', 'source_file', 'ticker', 'line', 'header_ok',
      col('f').lst.lengths().eq(7).alias('field_count_ok'),
      pl.when(f(0).str.contains('^[0-9]{4}-[0-9]{2}-[0-9]{2}$')).then(f(0).str.strptime(pl.Date, '%Y-%m-%d'))
        .otherwise(lit(null).cast(pl.Date)).alias('date'),
      priceValue(f(1)).alias('open'), priceValue(f(2)).alias('high'),
      priceValue(f(3)).alias('low'), priceValue(f(4)).alias('close'),
      integerValue(f(5)).alias('volume'), integerValue(f(6)).alias('open_interest'))
    .withColumns(
      pl.when(col('field_count_ok').not().or(pl.anyHorizontal(
              ['date', 'open', 'high', 'low', 'close', 'volume', 'open_interest'].map((c) => col(c).isNull()))))
        .then(lit('parse_error'))
        .when(pl.allHorizontal(['open', 'high', 'low', 'close'].map(goodPrice)).not()).then(lit('bad_price'))
        .when(col('high').lt(pl.maxHorizontal([col('open'), col('close'), col('low')]))
                .or(col('low').gt(pl.minHorizontal([col('open'), col('close'), col('high')]))))
        .then(lit('high_low_inconsistent'))
        .when(col('volume').lt(0)).then(lit('negative_volume'))
        .when(col('volume').eq(0)).then(lit('zero_volume'))
        .otherwise(lit(null).cast(pl.Utf8)).alias('reason'),
      col('close').alias('adj_close'))
    .drop('field_count_ok', 'open_interest')
    .collectSync();
  step('lines, parse + clean');
  const files_read = parsed.select(col('file_id').nUnique()).toRecords()[0].file_id;
  if (files_read !== files.length) throw new Error(`polars_job: read ${files_read} of ${files.length} input files`);
  const badHeader = parsed.filter(col('header_ok').not());
  if (badHeader.height > 0) {
    throw new Error(`polars_job: '${badHeader.toRecords()[0].source_file}' does not have the header written by stocklake generate`);
  }

  // Duplicates among accepted rows: the last in input order (file, then line) is kept.
  let accepted = parsed.lazy().filter(col('reason').isNull())
    .withColumns(col('file_id').mul(1 << 30).add(col('line')).alias('order'))
    .withColumns(col('order').lt(col('order').max().over(['ticker', 'date'])).alias('duplicate'))
    .collectSync();
  const rejects = pl.concat([
    parsed.lazy().filter(col('reason').isNotNull()).select('source_file', 'line', 'ticker', 'date', 'reason'),
    accepted.lazy().filter(col('duplicate')).select('source_file', 'line', 'ticker', 'date', lit('duplicate').alias('reason')),
  ]);
  step('duplicates');
  rejects.collectSync().writeParquet(`${outDir}/rejects/${name}`, { compression: 'zstd' });
  parsed = null;
  await collectGarbage();
  step('rejects written');
  const bars = accepted.lazy().filter(col('duplicate').not())
    .select('ticker', 'date', 'open', 'high', 'low', 'close', 'adj_close', 'volume')
    .sort(['ticker', 'date'])
    .collectSync();
  accepted = null;
  await collectGarbage();
  step('bars sorted');
  bars.writeParquet(`${outDir}/bars/${name}`, { compression: 'zstd' });
  step('bars written');

  const c = col('c'), p = col('p'), r = col('return_1d');
  const indicators = bars.lazy()
    .select('ticker', 'date', col('high').alias('h'), col('low').alias('l'), col('close').alias('c'),
            col('volume').alias('v'),
            col('date').cumCount().over('ticker').cast(pl.Int64).sub(1).alias('n'),  // cum_count counts from 1
            col('close').shift(1).over('ticker').alias('p'))
    .withColumns(
      c.sub(p).div(p).alias('return_1d'),
      pl.when(p.isNotNull()).then(pl.maxHorizontal([c.sub(p), lit(0)])).otherwise(kNullDouble).alias('g'),
      pl.when(p.isNotNull()).then(pl.maxHorizontal([p.sub(c), lit(0)])).otherwise(kNullDouble).alias('d'),
      pl.when(p.isNotNull()).then(pl.maxHorizontal([col('h').sub(col('l')), col('h').sub(p).abs(), col('l').sub(p).abs()]))
        .otherwise(kNullDouble).alias('tr'))
    .withColumns(
      pl.when(r.abs().lt(1e-4)).then(r.sub(r.pow(2).div(2)).add(r.pow(3).div(3)).sub(r.pow(4).div(4)))
        .otherwise(c.div(p).log()).alias('log_return_1d'),
      c.rollingMean({ windowSize: 20, minPeriods: 20 }).over('ticker').alias('sma_20'),
      c.rollingMean({ windowSize: 50, minPeriods: 50 }).over('ticker').alias('sma_50'),
      c.rollingMean({ windowSize: 200, minPeriods: 200 }).over('ticker').alias('sma_200'),
      seededEwm(2 / 13, 11, c.rollingMean({ windowSize: 12, minPeriods: 12 }), c).alias('ema_12'),
      seededEwm(2 / 27, 25, c.rollingMean({ windowSize: 26, minPeriods: 26 }), c).alias('ema_26'),
      seededEwm(1 / 14, 14, col('g').rollingMean({ windowSize: 14, minPeriods: 14 }), col('g')).alias('avg_g'),
      seededEwm(1 / 14, 14, col('d').rollingMean({ windowSize: 14, minPeriods: 14 }), col('d')).alias('avg_d'),
      seededEwm(1 / 14, 14, col('tr').rollingMean({ windowSize: 14, minPeriods: 14 }), col('tr')).alias('atr_14'),
      pl.when(c.gt(p)).then(col('v')).when(c.lt(p)).then(col('v').mul(-1)).otherwise(lit(0))
        .cumSum().over('ticker').cast(pl.Int64).alias('obv'))
    .withColumns(
      col('ema_12').sub(col('ema_26')).alias('macd'),
      pl.when(col('n').gtEq(19)).then(squaredDeviations(c, col('sma_20')).div(20).pow(0.5))
        .otherwise(kNullDouble).alias('sd_20'),
      pl.when(col('n').gtEq(20))
        .then(squaredDeviations(col('log_return_1d'), windowMean(col('log_return_1d'))).div(19).pow(0.5).mul(Math.sqrt(252)))
        .otherwise(kNullDouble).alias('volatility_20'))
    .withColumns(
      seededEwm(2 / 10, 33, col('macd').rollingMean({ windowSize: 9, minPeriods: 9 }), col('macd')).alias('macd_signal'))
    .select(
      'ticker', 'date', c.alias('close'), 'return_1d', 'log_return_1d', 'sma_20', 'sma_50', 'sma_200',
      'ema_12', 'ema_26', 'macd', 'macd_signal', col('macd').sub(col('macd_signal')).alias('macd_hist'),
      pl.when(col('n').lt(14)).then(kNullDouble)
        .when(col('avg_d').eq(0)).then(pl.when(col('avg_g').gt(0)).then(lit(100.0)).otherwise(lit(50.0)))
        .otherwise(col('avg_g').mul(100).div(col('avg_g').add(col('avg_d')))).alias('rsi_14'),
      col('sma_20').alias('bb_middle'),
      col('sma_20').add(col('sd_20').mul(2)).alias('bb_upper'),
      col('sma_20').sub(col('sd_20').mul(2)).alias('bb_lower'),
      'atr_14', 'volatility_20', 'obv');
  indicators.collectSync().writeParquet(`${outDir}/indicators/${name}`, { compression: 'zstd' });
  step('indicators written');

  // Period keys: the Monday of the date's ISO week (days since 1970-01-01, a Thursday),
  // which keys ISO (year, week) exactly; year*12+month; year*4+quarter.
  const days = col('date').cast(pl.Int32);
  const keys = {
    bars_weekly: days.sub(days.add(3).modulo(7)),
    bars_monthly: col('date').dt.year().cast(pl.Int32).mul(12).add(col('date').dt.month().cast(pl.Int32)),
    bars_quarterly: col('date').dt.year().cast(pl.Int32).mul(4)
      .add(col('date').dt.month().cast(pl.Int32).sub(1).div(3).floor().cast(pl.Int32)),
  };
  for (const [table, key] of Object.entries(keys)) {
    const prev = col('close').shift(1).over('ticker');
    bars.lazy().withColumns(key.alias('period'))
      .groupBy(['ticker', 'period'])
      .agg(col('date').min().alias('period_start'), col('date').max().alias('period_end'),
           col('open').sortBy('date').first().alias('open'), col('high').max().alias('high'),
           col('low').min().alias('low'), col('close').sortBy('date').last().alias('close'),
           col('adj_close').sortBy('date').last().alias('adj_close'), col('volume').sum().cast(pl.Int64).alias('volume'),
           col('date').count().cast(pl.Int32).alias('trading_days'))
      .sort(['ticker', 'period_start'])
      .select('ticker', 'period_start', 'period_end', 'open', 'high', 'low', 'close', 'adj_close', 'volume',
              'trading_days', col('close').sub(prev).div(prev).alias('return'))
      .collectSync()
      .writeParquet(`${outDir}/${table}/${name}`, { compression: 'zstd' });
    step(table);
  }
}

try {
  await main();
} catch (err) {
  console.error(String(err && err.message ? err.message : err));
  process.exit(1);
}
