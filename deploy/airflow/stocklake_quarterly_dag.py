"""stocklake's quarterly pipeline as an Airflow DAG, for teams that already run Airflow.

The same work as deploy/quarterly.yaml (`stocklake scheduler`), with Airflow scheduling and
retrying it: ingest the new input files, train the model of the quarter that just ended,
predict that quarter. Every task calls the `stocklake` command line, so the Airflow
workers need the binary (the image of deploy/Dockerfile has it at /usr/local/bin) and
the lake's file system.

Works on Airflow 2.7+ and 3.x: the DAG comes from `airflow.sdk` (3.x) or `airflow` (2.x),
the BashOperator from the standard provider (3.x) or `airflow.operators.bash` (2.x).

Settings, read from the environment of the process that parses the DAG:
  STOCKLAKE_BIN     the stocklake binary (default: stocklake, found on PATH)
  STOCKLAKE_LAKE    the lake directory (default /data/lake)
  STOCKLAKE_INPUT   the input directory the ingest task reads (default /data/incoming)
  STOCKLAKE_STORE   the serving store URL (default: SQLite inside the lake); a PostgreSQL
                    password comes from PGPASSWORD in the workers' environment.

Runs made here are Airflow's: they are not in the lake's pipeline history, so the
stocklake_pipeline_* metrics of `stocklake serve` do not count them (Airflow's own
metrics do).
"""

from __future__ import annotations

import os
import shlex
from datetime import datetime, timedelta, timezone

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


def stocklake_command(*args: str) -> str:
    """A shell command line running `stocklake ARGS --lake LAKE [--store STORE]`."""
    words = [STOCKLAKE, *args, "--lake", LAKE]
    if STORE:
        words += ["--store", STORE]
    return " ".join(shlex.quote(w) for w in words)


QUARTER = "{{ stocklake_quarter(data_interval_start) }}"

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
    description="stocklake: ingest, train and predict once a quarter",
    schedule="0 0 1 */3 *",  # 00:00 UTC on the first day of every quarter
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,  # one run at a time per lake, as `stocklake scheduler` does
    default_args=default_args,
    user_defined_macros={"stocklake_quarter": stocklake_quarter},
    tags=["stocklake"],
) as dag:
    ingest = BashOperator(
        task_id="ingest",
        bash_command=stocklake_command("run", "--input", INPUT, "--quiet"),
    )
    # The quarter reaches train and predict as STOCKLAKE_QUARTER, which their --quarter
    # option defaults to (as in stocklake's own pipeline tasks).
    train = BashOperator(
        task_id="train",
        bash_command=stocklake_command("train"),
        env={"STOCKLAKE_QUARTER": QUARTER},
        append_env=True,
        retries=1,
    )
    predict = BashOperator(
        task_id="predict",
        bash_command=stocklake_command("predict"),
        env={"STOCKLAKE_QUARTER": QUARTER},
        append_env=True,
    )
    ingest >> train >> predict
