"""evaluation/text2image.py: `ganforge eval` of a text-to-image run: R-precision with the
evaluation pair, caption agreement and its caption-blind baseline, the protocol recorded."""

import pytest

from ganforge.errors import GanforgeError
from ganforge.evaluation.options import EvalOptions
from ganforge.runs import load_run
from tiny_text2image import text2image_run  # noqa: F401  (the session's tiny run)


def test_eval_scores_agreement_beside_the_blind_baseline(text2image_run):  # noqa: F811
    run = load_run(text2image_run)
    res = run.task.evaluate(run, EvalOptions(n=200, features="none"), say=lambda s: None)
    m, p = res["metrics"], res["protocol"]
    for k in ("r_precision", "r_precision.blind", "r_precision.real", "agree.label"):
        assert 0 <= m[k] <= 1
    assert m["agree.label.n"] == 200 and "agree.brightness.blind" in m
    assert "held-out wording" in p["captions"] and p["r_precision"]["candidates"] == 100
    assert (run.run_dir / "eval" / "r_precision_encoders.safetensors").is_file()
    with pytest.raises(GanforgeError, match="R-precision ranks 100"):
        run.task.evaluate(run, EvalOptions(n=50, features="none"), say=lambda s: None)
