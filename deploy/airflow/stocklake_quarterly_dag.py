"""stocklake's quarterly pipeline as an Airflow DAG, for teams that already run Airflow.

The same tasks, order, schedule and retries as deploy/quarterly.yaml (which
`stocklake scheduler` runs), with Airflow scheduling and retrying them: ingest the new
input files, bring the serving store up to date, train the model of the quarter that just
ended, predict that quarter, report the model registry. Every task calls the `stocklake`
command line, so the Airflow workers need the binary (deploy/Dockerfile's image has it)
and the lake's file system.

Works on Airflow 2.7+ and 3.x: the DAG comes from `airflow.sdk` (3.x) or `airflow` (2.x),
the BashOperator from the standard provider (3.x) or `airflow.operators.bash` (2.x).

Settings, read from the environment of the process that parses the DAG:
  STOCKLAKE_BIN     the stocklake binary (default: stocklake, found on PATH)
  STOCKLAKE_LAKE    the lake directory (default /data/lake)
  STOCKLAKE_INPUT   the input directory the ingest task reads (default /data/incoming)
  STOCKLAKE_STORE   the serving store URL of the store and predict tasks (default: SQLite
                    inside the lake); a PostgreSQL password comes from PGPASSWORD in the
                    workers' environment, never from this file.

Runs made here are Airflow's: they are not in the lake's pipeline history, so the
stocklake_pipeline_* metrics of `stocklake serve` do not count them (Airflow's own
metrics do).
"""

from __future__ import annotations

import os
import shlex
from datetime import datetime, timedelta, timezone

import pendulum

try:  # Airflow 3.x
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.7+
    from airflow import DAG

try:  # Airflow 3.x (and 2.x with apache-airflow-providers-standard)
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2.x
    from airflow.operators.bash import BashOperator

STOCKLAKE = os.environ.get("STOCKLAKE_BIN", "stocklake")
LAKE = os.environ.get("STOCKLAKE_LAKE", "/data/lake")
INPUT = os.environ.get("STOCKLAKE_INPUT", "/data/incoming")
STORE = os.environ.get("STOCKLAKE_STORE", "")


def stocklake_quarter(interval_start=None):
    """The run's logical quarter, "2017Q3": the quarter that ended last before the fire time.

    A scheduled run's data interval is that quarter, so its start names it. A run without
    a data interval (triggered by hand on Airflow 3) takes the last quarter that ended.
    """
    if not interval_start:
        now = datetime.now(timezone.utc)
        index = now.year * 4 + (now.month - 1) // 3 - 1  # the quarter before this one
        return "%dQ%d" % (index // 4, index % 4 + 1)
    return "%dQ%d" % (interval_start.year, (interval_start.month - 1) // 3 + 1)


def stocklake(*args: str, store: bool = False) -> str:
    """The shell command `stocklake ARGS --lake LAKE`, with `--store STORE` when asked and set."""
    words = [STOCKLAKE, *args, "--lake", LAKE]
    if store and STORE:
        words += ["--store", STORE]
    return " ".join(shlex.quote(w) for w in words)


# train and predict read the quarter from STOCKLAKE_QUARTER (their --quarter default), as
# in stocklake's own pipeline tasks.
QUARTER_ENV = {"STOCKLAKE_QUARTER": "{{ stocklake_quarter(data_interval_start) }}"}

default_args = {
    "owner": "stocklake",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(hours=2),
}

with DAG(
    dag_id="stocklake_quarterly",
    description="stocklake: daily bars -> lake -> serving store -> quarterly model -> predictions",
    # 06:00 New York time on the first day of each quarter; the cron is read in the zone
    # of start_date, daylight saving included.
    schedule="0 6 1 1,4,7,10 *",
    start_date=pendulum.datetime(2024, 1, 1, tz="America/New_York"),
    catchup=False,  # a quarter missed while down is not replayed
    max_active_runs=1,  # one run at a time per lake, as `stocklake scheduler` does
    default_args=default_args,
    user_defined_macros={"stocklake_quarter": stocklake_quarter},
    tags=["stocklake"],
) as dag:
    ingest = BashOperator(
        task_id="ingest",
        bash_command=stocklake("run", "--input", INPUT, "--store", "none", "--quiet"),
    )
    store = BashOperator(
        task_id="store",
        bash_command=stocklake("sync-store", store=True),
    )
    train = BashOperator(
        task_id="train",
        bash_command=stocklake("train", "--store", "none"),
        env=QUARTER_ENV,
        append_env=True,
        retries=1,
    )
    predict = BashOperator(
        task_id="predict",
        bash_command=stocklake("predict", store=True),
        env=QUARTER_ENV,
        append_env=True,
    )
    report = BashOperator(
        task_id="report",
        bash_command=stocklake("models", "list"),
        retries=0,
        execution_timeout=timedelta(minutes=5),
    )
    ingest >> [store, train]
    [train, store] >> predict
    predict >> report
