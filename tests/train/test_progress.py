"""train/progress.py: the bar counts images and shows the task's columns beside img/s."""

from ganforge.train.progress import Progress


def test_the_bar_counts_images_from_the_resumed_position_and_shows_short_names():
    p = Progress(total=1000, start=256, name="run", show=("d_loss", "recon"), on=True)
    assert p.bar.n == 256 and p.bar.total == 1000
    p.update(64)
    p.row({"d_loss": 0.5, "img_per_s": 123.4})
    assert p.bar.n == 320
    assert {"d=0.500", "recon=nan", "ips=123"} == set(p.bar.postfix.split(", "))
    p.close()


def test_a_start_past_the_total_is_shown_full():
    p = Progress(total=100, start=512, name="run", show=(), on=False)
    assert p.bar.n == 100
    p.close()
