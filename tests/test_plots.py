"""losses.png of image-to-image runs: the task's own columns get panels of their own."""

from PIL import Image

from ganforge.plots import extra_columns, plot_losses, read_metrics


def test_task_columns_are_plotted_below_the_gan_panels(tmp_path):
    csv = tmp_path / "metrics.csv"
    header = "images,g_steps,d_loss,g_loss,d_real,d_fake,gp,lr_g,wall_s,g_adv,l1,psnr,ssim,empty"
    rows = [f"{i * 32},{i},0.7,1.5,0.5,0.4,,2e-4,{i},0.8,0.3,{18 + i},0.{i}," for i in range(1, 5)]
    csv.write_text("\n".join([header, *rows]) + "\n")
    assert extra_columns(read_metrics(csv)) == ["g_adv", "l1", "psnr", "ssim"]
    plot_losses(csv, tmp_path / "losses.png")
    tall = Image.open(tmp_path / "losses.png").size
    gan_only = tmp_path / "gan.csv"
    gan_only.write_text("\n".join(line.rsplit(",", 5)[0] for line in [header, *rows]) + "\n")
    assert extra_columns(read_metrics(gan_only)) == []
    plot_losses(gan_only, tmp_path / "gan.png")
    short = Image.open(tmp_path / "gan.png").size
    assert tall[1] > 2 * short[1]  # three rows of panels (3 GAN + 4 task) instead of one
