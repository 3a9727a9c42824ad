"""Logger sinks (``train.loggers``): copies of a run's logs for other tools, besides metrics.csv.

base.py          the Sink interface, the SINKS registry, register_sink
fanout.py        Loggers: start the chosen sinks, feed them, switch off one that fails
tensorboard.py   TensorBoard events (the default; needs the tensorboard extra)
wandb.py         Weights & Biases (the wandb extra)
mlflow.py        MLflow (the mlflow extra)
tracker_runs.py  RUN/trackers.json: the tracker run a resumed run continues
"""

# The built-in sinks register themselves on import; their libraries load only when one starts.
from ganforge.loggers import mlflow, tensorboard, wandb  # noqa: F401
from ganforge.loggers.base import SINKS, Sink, SinkUnavailable, register_sink
from ganforge.loggers.fanout import Loggers, check_sinks

__all__ = ["SINKS", "Loggers", "Sink", "SinkUnavailable", "check_sinks", "register_sink"]
