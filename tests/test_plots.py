"""plots.py: losses.png from metrics.csv, grouped as the task declares, nothing of any family
assumed."""

from PIL import Image

from ganforge.plots import extra_columns, plot_losses, read_metrics
from ganforge.tasks.two_player import GAN_PANELS

HEADER = "images,iterations,d_loss,g_loss,d_real,d_fake,gp,lr_g,wall_s,g_adv,l1,psnr,ssim,empty"


def _csv(tmp_path, header=HEADER, lr=lambda i: "2e-4"):
    rows = [
        f"{i * 32},{i},0.7,1.5,0.5,0.4,,{lr(i)},{i},0.8,0.3,{18 + i},0.{i}," for i in range(1, 5)
    ]
    path = tmp_path / "metrics.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_columns_no_panel_names_get_their_own_and_bookkeeping_none(tmp_path):
    cols = read_metrics(_csv(tmp_path))
    assert extra_columns(cols, GAN_PANELS) == ["g_adv", "l1", "psnr", "ssim"]
    # With no panels declared (a family of its own), every logged value is its own panel.
    assert extra_columns(cols) == [
        "d_loss",
        "g_loss",
        "d_real",
        "d_fake",
        "g_adv",
        "l1",
        "psnr",
        "ssim",
    ]


def test_task_columns_are_plotted_below_the_declared_panels(tmp_path):
    csv = _csv(tmp_path)
    plot_losses(csv, tmp_path / "losses.png", GAN_PANELS)
    tall = Image.open(tmp_path / "losses.png").size
    gan_only = tmp_path / "gan.csv"
    gan_only.write_text(
        "\n".join(ln.rsplit(",", 5)[0] for ln in csv.read_text().splitlines()) + "\n"
    )
    assert extra_columns(read_metrics(gan_only), GAN_PANELS) == []
    plot_losses(gan_only, tmp_path / "gan.png", GAN_PANELS)
    short = Image.open(tmp_path / "gan.png").size
    assert tall[1] > 2 * short[1]  # three rows of panels (2 GAN with values + 4 task) vs one


def test_a_plug_ins_learning_rate_is_not_a_loss_and_a_schedule_gets_its_panel(tmp_path):
    header = "images,iterations,recon,lr_ae,img_per_s,wall_s"
    flat = tmp_path / "flat.csv"
    flat.write_text(
        header + "\n" + "\n".join(f"{i * 8},{i},0.{i},0.001,50,{i}" for i in range(1, 4)) + "\n"
    )
    assert extra_columns(read_metrics(flat)) == ["recon"]  # lr_ae is no loss curve
    plot_losses(flat, tmp_path / "flat.png")
    one_row = Image.open(tmp_path / "flat.png").size
    decaying = tmp_path / "decay.csv"
    decaying.write_text(
        header
        + "\n"
        + "\n".join(f"{i * 8},{i},0.{i},{0.001 / i},50,{i}" for i in range(1, 4))
        + "\n"
    )
    plot_losses(decaying, tmp_path / "decay.png")
    assert Image.open(tmp_path / "decay.png").size[0] > one_row[0]  # recon + learning rates


def test_nothing_but_bookkeeping_draws_nothing(tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("images,iterations,img_per_s\n8,1,5\n")
    plot_losses(csv, tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()
