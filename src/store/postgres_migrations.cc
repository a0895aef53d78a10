// The PostgreSQL migrations; see postgres_migrations.h.
#include "store/postgres_migrations.h"

namespace stocklake {

const std::vector<std::string>& PostgresMigrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: the tables.
      R"sql(
CREATE TABLE stocks (
  bucket smallint NOT NULL, ticker text COLLATE "C" NOT NULL, "date" date NOT NULL,
  "open" double precision NOT NULL, high double precision NOT NULL, low double precision NOT NULL,
  "close" double precision NOT NULL, adj_close double precision NOT NULL, volume bigint NOT NULL,
  PRIMARY KEY (ticker, "date")) PARTITION BY RANGE ("date");
CREATE TABLE stocks_default PARTITION OF stocks DEFAULT;
CREATE TABLE indicators (
  bucket smallint NOT NULL, ticker text COLLATE "C" NOT NULL, "date" date NOT NULL,
  "close" double precision NOT NULL, return_1d double precision, log_return_1d double precision,
  sma_20 double precision, sma_50 double precision, sma_200 double precision, ema_12 double precision,
  ema_26 double precision, macd double precision, macd_signal double precision, macd_hist double precision,
  rsi_14 double precision, bb_middle double precision, bb_upper double precision, bb_lower double precision,
  atr_14 double precision, volatility_20 double precision, obv bigint NOT NULL,
  PRIMARY KEY (ticker, "date")) PARTITION BY RANGE ("date");
CREATE TABLE indicators_default PARTITION OF indicators DEFAULT;
CREATE TABLE bars_weekly (
  bucket smallint NOT NULL, ticker text COLLATE "C" NOT NULL, period_start date NOT NULL, period_end date NOT NULL,
  "open" double precision NOT NULL, high double precision NOT NULL, low double precision NOT NULL,
  "close" double precision NOT NULL, adj_close double precision NOT NULL, volume bigint NOT NULL,
  trading_days integer NOT NULL, "return" double precision,
  PRIMARY KEY (ticker, period_start));
CREATE TABLE bars_monthly (LIKE bars_weekly INCLUDING ALL);
CREATE TABLE bars_quarterly (LIKE bars_weekly INCLUDING ALL);
CREATE TABLE rejects (
  bucket smallint NOT NULL, source_file text COLLATE "C" NOT NULL, line bigint NOT NULL,
  ticker text COLLATE "C", "date" date, reason text COLLATE "C" NOT NULL);
CREATE INDEX rejects_bucket_idx ON rejects (bucket);
CREATE INDEX rejects_ticker_idx ON rejects (ticker);
CREATE TABLE runs (
  snapshot_id bigint PRIMARY KEY, committed_at text NOT NULL, rows_read bigint NOT NULL,
  accepted bigint NOT NULL, rejected bigint NOT NULL, duplicates bigint NOT NULL,
  earlier_rows_displaced bigint NOT NULL, files_ingested bigint NOT NULL, files_skipped bigint NOT NULL);
CREATE TABLE tickers (
  ticker text COLLATE "C" PRIMARY KEY, bucket smallint NOT NULL, first_date date, last_date date,
  days bigint NOT NULL);
CREATE INDEX tickers_bucket_idx ON tickers (bucket);
CREATE TABLE sync_state (
  bucket smallint PRIMARY KEY, snapshot_id bigint NOT NULL, partitions integer NOT NULL, files text NOT NULL);
)sql",
      // 2: the whole run summary; an index for reject filters.
      R"sql(
ALTER TABLE runs ADD COLUMN summary_json text NOT NULL DEFAULT '{}';
CREATE INDEX rejects_reason_idx ON rejects (reason);
)sql",
      // 3: the ticker-keyed tables list-partitioned by bucket, one partition per bucket
      // with its own primary key and a CHECK (bucket = N) matching its partition bound,
      // so a bucket is replaced by swapping in a freshly loaded partition. Rows move.
      R"sql(
DO $migration$
DECLARE
  spec text[];
  old_name text;
  part text;
  b integer;
BEGIN
  FOREACH spec SLICE 1 IN ARRAY ARRAY[['stocks', '"date"'], ['indicators', '"date"'],
      ['bars_weekly', 'period_start'], ['bars_monthly', 'period_start'], ['bars_quarterly', 'period_start']] LOOP
    old_name := spec[1] || '_v2';
    EXECUTE format('ALTER TABLE %I RENAME TO %I', spec[1], old_name);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS) PARTITION BY LIST (bucket)', spec[1], old_name);
    FOR b IN EXECUTE format('SELECT DISTINCT bucket FROM %I ORDER BY 1', old_name) LOOP
      part := spec[1] || '_b' || b;
      EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS, CONSTRAINT in_bucket CHECK (bucket = %s))',
                     part, spec[1], b);
      EXECUTE format('INSERT INTO %I SELECT * FROM %I WHERE bucket = %s ORDER BY ticker, %s',
                     part, old_name, b, spec[2]);
      EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (ticker, %s)', part, part || '_pkey', spec[2]);
      EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES IN (%s)', spec[1], part, b);
    END LOOP;
    EXECUTE format('DROP TABLE %I', old_name);
  END LOOP;
END
$migration$;
)sql",
      // 4: stocks and indicators sub-partitioned by date: each bucket partition becomes a
      // table partitioned by range of whole years, each leaf with its primary key and an
      // index on date. Partitions are named by load generation (<table>_g<N>, leaves
      // <table>_g<N>_<first year>), so a load never has to rename anything. Rows do not
      // move: each existing bucket partition becomes the one leaf (all dates) of its new
      // bucket table, and its next load splits it by years.
      R"sql(
CREATE SEQUENCE store_load_generation;
DO $migration$
DECLARE
  parent text;
  part record;
  gen text;
BEGIN
  FOREACH parent IN ARRAY ARRAY['stocks', 'indicators'] LOOP
    FOR part IN SELECT c.relname AS name, trim(both '()''' from substr(pg_get_expr(c.relpartbound, c.oid), 15)) AS bucket
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = parent::regclass ORDER BY c.relname LOOP
      gen := parent || '_g' || nextval('store_load_generation');
      EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, part.name);
      EXECUTE format('ALTER TABLE %I RENAME TO %I', part.name, gen || '_all');
      EXECUTE format('ALTER INDEX %I RENAME TO %I', part.name || '_pkey', gen || '_all_pkey');
      EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS, CONSTRAINT in_bucket CHECK (bucket = %s)) '
                     'PARTITION BY RANGE ("date")', gen, parent, part.bucket);
      EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (MAXVALUE)',
                     gen, gen || '_all');
      EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (ticker, "date")', gen);
      EXECUTE format('CREATE INDEX %I ON %I ("date")', gen || '_date', gen);
      EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES IN (%s)', parent, gen, part.bucket);
    END LOOP;
  END LOOP;
END
$migration$;
)sql",
      // 5: the ML application's tables (unbucketed: rows are replaced by lake partition)
      // and what was loaded of each partition.
      R"sql(
CREATE TABLE predictions (
  lake_partition text COLLATE "C" NOT NULL, ticker text COLLATE "C" NOT NULL, quarter text COLLATE "C" NOT NULL,
  as_of_date date NOT NULL, model text COLLATE "C" NOT NULL, model_version integer NOT NULL,
  prediction double precision NOT NULL, "rank" integer NOT NULL, label double precision);
CREATE INDEX predictions_quarter_idx ON predictions (quarter, model, "rank", ticker);
CREATE INDEX predictions_model_idx ON predictions (model, quarter);
CREATE INDEX predictions_partition_idx ON predictions (lake_partition);
CREATE TABLE backtests (
  lake_partition text COLLATE "C" NOT NULL, backtest_id text COLLATE "C" NOT NULL, quarter text COLLATE "C" NOT NULL,
  predictor text COLLATE "C" NOT NULL, ic double precision, rank_ic double precision, hit_rate double precision,
  top_bottom_spread double precision, rmse double precision, "count" bigint NOT NULL);
CREATE INDEX backtests_id_idx ON backtests (backtest_id, quarter, predictor);
CREATE INDEX backtests_partition_idx ON backtests (lake_partition);
CREATE TABLE backtest_predictions (
  lake_partition text COLLATE "C" NOT NULL, backtest_id text COLLATE "C" NOT NULL, ticker text COLLATE "C" NOT NULL,
  quarter text COLLATE "C" NOT NULL, prediction double precision NOT NULL, baseline double precision,
  label double precision);
CREATE INDEX backtest_predictions_id_idx ON backtest_predictions (backtest_id, quarter, ticker);
CREATE INDEX backtest_predictions_partition_idx ON backtest_predictions (lake_partition);
CREATE TABLE ml_sync_state (
  lake_table text COLLATE "C" NOT NULL, lake_partition text COLLATE "C" NOT NULL, snapshot_id bigint NOT NULL,
  files text NOT NULL, PRIMARY KEY (lake_table, lake_partition));
)sql",
      // 6: the speed layer's windows and, committed with them, each partition's offset and
      // window state. NaN prices are refused, as SQLite's NOT NULL refuses them.
      R"sql(
CREATE TABLE intraday_bars (
  symbol text COLLATE "C" NOT NULL CHECK (symbol <> ''), window_start timestamptz NOT NULL,
  window_end timestamptz NOT NULL, "open" double precision NOT NULL, high double precision NOT NULL,
  low double precision NOT NULL, "close" double precision NOT NULL, vwap double precision NOT NULL,
  volume bigint NOT NULL CHECK (volume >= 0), trades bigint NOT NULL CHECK (trades >= 1),
  "final" boolean NOT NULL, updated_at timestamptz NOT NULL,
  CHECK (window_end > window_start),
  CHECK ('NaN'::double precision NOT IN ("open", high, low, "close", vwap)),
  PRIMARY KEY (symbol, window_start));
CREATE TABLE stream_partitions (
  topic text COLLATE "C" NOT NULL, "partition" integer NOT NULL CHECK ("partition" >= 0),
  next_offset bigint NOT NULL CHECK (next_offset >= 0), state text NOT NULL, updated_at timestamptz NOT NULL,
  PRIMARY KEY (topic, "partition"));
)sql",
      // 7: the pipeline history mirrored from the lake (orchestrate/pipeline_mirror.h):
      // one row per run, one per attempt of each task (attempt 0: a task without one).
      // Times are NULL while not yet known.
      R"sql(
CREATE TABLE pipeline_runs (
  run_id text COLLATE "C" PRIMARY KEY CHECK (run_id <> ''), pipeline text COLLATE "C" NOT NULL,
  "trigger" text NOT NULL, quarter text NOT NULL, state text NOT NULL, started timestamptz NOT NULL,
  ended timestamptz, record_json text NOT NULL, updated_at timestamptz NOT NULL);
CREATE INDEX pipeline_runs_pipeline_idx ON pipeline_runs (pipeline, started);
CREATE TABLE task_runs (
  run_id text COLLATE "C" NOT NULL, task text COLLATE "C" NOT NULL, attempt integer NOT NULL CHECK (attempt >= 0),
  task_state text NOT NULL, started timestamptz, ended timestamptz, exit_status integer, reason text NOT NULL,
  log_path text NOT NULL,
  PRIMARY KEY (run_id, task, attempt));
)sql",
      // 8: the end of each partition's log as the stream processor saw it at its commit,
      // so the lag it left (log_end_offset - next_offset) can be read without the log.
      // Rows of older processors get 0 (no lag known).
      R"sql(
ALTER TABLE stream_partitions ADD COLUMN log_end_offset bigint NOT NULL DEFAULT 0 CHECK (log_end_offset >= 0);
)sql",
  };
  return kMigrations;
}

}  // namespace stocklake
