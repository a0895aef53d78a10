"""Loads an Airflow DAG file against stand-ins for Airflow's modules (and pendulum's
datetime) and prints what it declared as JSON, so deploy_files_test can check the DAG
where Airflow is not installed.

usage: python3 load_airflow_dag.py DAG_FILE 2|3
  3: only Airflow 3's modules exist (airflow.sdk, the standard provider's BashOperator)
  2: only Airflow 2's (airflow.DAG, airflow.operators.bash)
"""
import datetime
import importlib.util
import json
import shlex
import sys
import types
import zoneinfo

dag_file, layout = sys.argv[1], sys.argv[2]
current = []


class DAG:
    def __init__(self, dag_id, **kwargs):
        self.dag_id, self.kwargs, self.tasks = dag_id, kwargs, []

    def __enter__(self):
        current.append(self)
        return self

    def __exit__(self, *exc):
        current.pop()


class BashOperator:
    def __init__(self, task_id, bash_command, **kwargs):
        self.task_id, self.bash_command, self.kwargs, self.upstream = task_id, bash_command, kwargs, []
        current[-1].tasks.append(self)

    def __rshift__(self, other):
        for task in other if isinstance(other, list) else [other]:
            task.upstream.append(self.task_id)
        return other

    def __rrshift__(self, others):  # [a, b] >> self
        for task in others:
            self.upstream.append(task.task_id)
        return self


def module(name, **attrs):
    m = types.ModuleType(name)
    m.__path__ = []
    m.__dict__.update(attrs)
    sys.modules[name] = m


def pendulum_datetime(year, month, day, tz="UTC"):
    return datetime.datetime(year, month, day, tzinfo=zoneinfo.ZoneInfo(tz))


module("pendulum", datetime=pendulum_datetime)
module("airflow")
if layout == "3":
    module("airflow.sdk", DAG=DAG)
    for name in ("airflow.providers", "airflow.providers.standard", "airflow.providers.standard.operators"):
        module(name)
    module("airflow.providers.standard.operators.bash", BashOperator=BashOperator)
else:
    sys.modules["airflow"].DAG = DAG
    module("airflow.operators")
    module("airflow.operators.bash", BashOperator=BashOperator)

spec = importlib.util.spec_from_file_location("dag_under_test", dag_file)
dag_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dag_module)

dags = [v for v in vars(dag_module).values() if isinstance(v, DAG)]
out = []
for d in dags:
    kw = d.kwargs
    macros = kw.get("user_defined_macros", {})
    quarter = macros.get("stocklake_quarter")
    out.append({
        "dag_id": d.dag_id,
        "schedule": kw.get("schedule"),
        "schedule_interval": kw.get("schedule_interval"),
        "catchup": kw.get("catchup"),
        "start_date_zone": str(kw["start_date"].tzinfo) if kw.get("start_date") else None,
        "default_retries": kw.get("default_args", {}).get("retries"),
        "quarters": {
            "2017-07-01": quarter(datetime.datetime(2017, 7, 1, tzinfo=datetime.timezone.utc)) if quarter else None,
            "2024-01-01": quarter(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)) if quarter else None,
            "none": quarter(None) if quarter else None,
        },
        "tasks": [{
            "task_id": t.task_id,
            "argv": shlex.split(t.bash_command),
            "env": t.kwargs.get("env", {}),
            "retries": t.kwargs.get("retries", kw.get("default_args", {}).get("retries")),
            "timeout_s": (t.kwargs.get("execution_timeout") or kw.get("default_args", {}).get("execution_timeout")
                          or datetime.timedelta(0)).total_seconds(),
            "upstream": t.upstream,
        } for t in d.tasks],
    })
print(json.dumps(out))
