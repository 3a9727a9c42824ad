"""MLflow (``train.loggers=[mlflow]``; ``pip install 'ganforge[mlflow]'``: mlflow-skinny, the
tracking client without the server; the full ``mlflow`` package works as well).

Configured the way MLflow configures itself: ``MLFLOW_TRACKING_URI`` (a server ``http://...``, a
database ``sqlite:///mlflow.db`` (needs the full mlflow), or a file store ``file:/path/mlruns``,
which MLflow 3 only opens with ``MLFLOW_ALLOW_FILE_STORE=true``; unset: MLflow's default) and
``MLFLOW_EXPERIMENT_NAME`` (default ``ganforge``). The MLflow run is named after the run folder.

What it receives: each metrics.csv row's values as metrics at step = images seen; evaluation
scores as ``eval/...`` metrics; each sample grid as an artifact ``samples/fakes-<images>.png``; the
resolved config as the artifact ``config.yaml`` (rewritten on resume) and, flattened to dotted keys,
as the run's parameters (MLflow parameters cannot change, so they keep the first start's values).

Resume: the MLflow run id is kept in ``RUN/trackers.json``; a resumed run re-opens that run, marks
it running again and appends to it. MLflow cannot delete metric values either: the rows between the
checkpoint and the interruption get a second value at the same step; the metric's latest value is
the resumed run's (``get_metric_history`` returns both; resume is exact, so they match, img/s and
wall time aside).
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from pathlib import Path
from typing import Any

import yaml

from ganforge.loggers.base import Sink, SinkUnavailable, register_sink
from ganforge.loggers.tracker_runs import TRACKERS_FILE, remember_tracker_run, tracker_run_id

DEFAULT_EXPERIMENT = "ganforge"
_BATCH = 100  # MLflow takes at most 100 parameters per log_batch call
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_\-. /]")  # what MLflow allows in metric and param names


@register_sink("mlflow")
class MlflowSink(Sink):
    @classmethod
    def check(cls) -> None:
        try:
            import mlflow  # noqa: F401  (an optional extra)
        except ImportError:
            raise SinkUnavailable(
                "mlflow is not installed: pip install 'ganforge[mlflow]'"
            ) from None

    def __init__(self, run_dir: Path, config: dict[str, Any], resume_at: int) -> None:
        self.check()
        # Deferred: an optional extra, and slow to import (seconds).
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient

        self._metric = Metric
        run_dir = Path(run_dir)
        self.client = _open_store(MlflowClient)
        run_id = tracker_run_id(run_dir, self.name)
        if run_id is None:
            name = os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT
            experiment = self.client.get_experiment_by_name(name)
            eid = experiment.experiment_id if experiment else self.client.create_experiment(name)
            run = self.client.create_run(
                eid, run_name=run_dir.name, tags={"ganforge.run_dir": str(run_dir.resolve())}
            )
            run_id = run.info.run_id
            remember_tracker_run(run_dir, self.name, run_id)  # a retry continues this run
            params = [Param(_key(k), _param_value(v)) for k, v in flatten(config).items()]
            for i in range(0, len(params), _BATCH):
                self.client.log_batch(run_id, params=params[i : i + _BATCH])
        else:
            try:
                self.client.get_run(run_id)
            except Exception as e:  # MlflowException: RESOURCE_DOES_NOT_EXIST, or the store's own
                raise RuntimeError(
                    f"the MLflow run {run_id} of {run_dir / TRACKERS_FILE} is not in "
                    f"{self.client.tracking_uri} ({type(e).__name__}); set MLFLOW_TRACKING_URI "
                    "to its store, or delete the entry to start a new MLflow run"
                ) from None
            self.client.update_run(run_id, status="RUNNING")
        self.run_id = run_id
        self.client.log_text(run_id, yaml.safe_dump(config, sort_keys=False), "config.yaml")

    def scalars(self, images: int, values: dict[str, float]) -> None:
        now = int(time.time() * 1000)
        metrics = [self._metric(_key(k), float(v), now, images) for k, v in values.items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def image(self, images: int, tag: str, path: Path) -> None:
        self.client.log_artifact(self.run_id, str(path), tag)

    def close(self) -> None:
        self.client.set_terminated(self.run_id)


def _open_store(client_class: type) -> Any:
    """The MLflow client of the configured store, or one line saying why it cannot be opened."""
    from mlflow.tracking import get_tracking_uri

    uri = get_tracking_uri()
    try:
        client = client_class(uri)
        client.search_experiments(max_results=1)  # opens the store: a bad URI fails here
        return client
    except Exception as e:
        text = str(e)
        if "MLFLOW_ALLOW_FILE_STORE" in text:
            raise RuntimeError(
                f"MLflow refuses the file store {uri}: set MLFLOW_ALLOW_FILE_STORE=true, or "
                "MLFLOW_TRACKING_URI to a server"
            ) from None
        if uri.startswith("sqlite") and importlib.util.find_spec("sqlalchemy") is None:
            raise RuntimeError(
                f"MLflow's database store {uri} needs the full mlflow (pip install mlflow); or "
                "set MLFLOW_TRACKING_URI to a server or a file store"
            ) from None
        why = f"{type(e).__name__}: " + (text.strip().splitlines() or [""])[0][:80]
        raise RuntimeError(
            f"MLflow cannot open the tracking store {uri} ({why}); check MLFLOW_TRACKING_URI"
        ) from None


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys: {"train": {"images": 5}} -> {"train.images": 5}."""
    flat: dict[str, Any] = {}
    for k, v in config.items():
        if isinstance(v, dict) and v:
            flat.update(flatten(v, f"{prefix}{k}."))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


def _key(name: str) -> str:
    return _KEY_CHARS.sub("_", name)[:250]


def _param_value(value: Any) -> str:
    return str(value)[:6000]  # MLflow's limit on a parameter's value
