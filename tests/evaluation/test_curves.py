"""evaluation/curves.py: the numeric columns of metrics-eval.csv, and their plot (metrics.png)."""

import io
import math

from PIL import Image

from ganforge.evaluation.curves import plot_eval, read_eval


def _csv(tmp_path, text):
    path = tmp_path / "metrics-eval.csv"
    path.write_text(text)
    return path


def test_read_eval_keeps_numeric_columns_and_picks_the_x_axis(tmp_path):
    path = _csv(
        tmp_path,
        "kimg,images,fd_fmnist,kid,kid_std,protocol,eval_s,features,empty\n"
        "1,1000,30.5,0.1,0.01,abc123,2.5,fmnist,\n"
        "2,2000,20.25,,0.02,abc123,2.4,fmnist,\n",
    )
    x, cols = read_eval(path)
    assert x == "images"  # preferred over kimg, whatever the column order
    assert set(cols) == {"kimg", "images", "fd_fmnist", "kid", "kid_std"}  # text, bookkeeping
    assert cols["fd_fmnist"] == [30.5, 20.25]  # and all-empty columns are dropped
    assert cols["kid"][0] == 0.1 and math.isnan(cols["kid"][1])  # a missing value is NaN
    assert read_eval(_csv(tmp_path, "step,fd\n5,1.0\n"))[0] == "step"  # else the first column
    assert read_eval(_csv(tmp_path, "images,fd\n")) == ("", {})  # a header only


def test_plot_eval_draws_one_panel_per_metric_or_nothing(tmp_path):
    assert plot_eval(_csv(tmp_path, "images,eval_s\n1000,3\n")) is None  # no metric
    assert plot_eval(_csv(tmp_path, "name,fd\nx,1\n")) is None  # no numeric x axis
    one = plot_eval(_csv(tmp_path, "images,fd\n1000,3\n2000,2\n"))
    five = plot_eval(
        _csv(tmp_path, "images,a,b,c,d,e,e_std\n1000,1,2,3,4,5,0.5\n2000,1,2,3,4,5,0.5\n")
    )
    w1, h1 = Image.open(io.BytesIO(one)).size
    w5, h5 = Image.open(io.BytesIO(five)).size
    assert w5 > 3 * w1 and h5 > 1.5 * h1  # four panels a row, then a second row; _std is a band
