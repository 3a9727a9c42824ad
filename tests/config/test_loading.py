"""Config parsing, overrides and the errors a user sees for bad keys and values."""

import pytest

from ganforge.config import (
    Config,
    apply_overrides,
    config_from_dict,
    field_docs,
    load_config,
    load_run_config,
    parse_override,
    preset_names,
)
from ganforge.errors import GanforgeError
from ganforge.tasks import check_config, task_class


def test_every_preset_parses_and_round_trips():
    names = preset_names()
    assert {
        "vanilla-mnist-mlp",
        "dcgan-fashion-mnist",
        "cgan-fashion-mnist",
        "wgan-fashion-mnist",
        "wgangp-fashion-mnist",
        "sngan-cifar10",
        "dcgan-folder-64",
        "toy-ring-mlp",
    } <= set(names)
    import yaml

    for name in names:
        cfg = load_config(name)
        assert cfg.name == name
        assert cfg.description
        again = config_from_dict(yaml.safe_load(cfg.to_yaml()))
        assert again == cfg


def test_preset_values_from_the_papers():
    wgan = load_config("wgan-fashion-mnist")
    assert (wgan.loss.clip, wgan.d_optim.name, wgan.d_optim.lr, wgan.train.n_critic) == (
        0.01,
        "rmsprop",
        5e-5,
        5,
    )
    gp = load_config("wgangp-fashion-mnist")
    assert (gp.loss.gp_weight, gp.train.n_critic, gp.d_optim.lr, gp.d_optim.betas) == (
        10.0,
        5,
        1e-4,
        [0.0, 0.9],
    )
    mlp = load_config("vanilla-mnist-mlp")
    assert mlp.train.n_critic == 2 and mlp.model.d_hidden == [100, 50]


def test_overrides_with_scientific_notation():
    cfg = load_config("dcgan-fashion-mnist", ["train.images=2e6", "g_optim.lr=1e-4"])
    assert cfg.train.images == 2_000_000 and isinstance(cfg.train.images, int)
    assert cfg.g_optim.lr == 1e-4


def test_unknown_preset_suggests_closest():
    with pytest.raises(GanforgeError, match="did you mean 'dcgan-fashion-mnist'"):
        load_config("dcgan-fashion-minst")


def test_mistyped_key_suggests_closest():
    with pytest.raises(GanforgeError, match="did you mean 'train.images'"):
        load_config("dcgan-fashion-mnist", ["train.imges=100"])
    with pytest.raises(GanforgeError, match="unknown config key 'trian'"):
        load_config("dcgan-fashion-mnist", ["trian.images=100"])


@pytest.mark.parametrize(
    "override,message",
    [
        ("train.batch_size=abc", "must be an integer"),
        ("train.batch_size=1.5", "must be an integer"),
        ("runtime.progress=maybe", "true or false"),
        ("loss.name=hinj", "did you mean 'hinge'"),
        ("model.arch=dcgan3", "model.arch"),
        ("data.channels=2", "must be 1, 3 or 4"),
        ("g_optim.betas=[0.5]", "two numbers"),
        ("train.images=0", "at least 1"),
        ("data.resolution=48", "28, 32 or 64"),
        ("loss.gp_weight=10", "batch norm"),
        # Widths and sizes of zero only failed inside the first convolution, mid-run.
        ("model.g_width=0", r"model\.g_width=0 must be at least 1"),
        ("model.d_width=-3", r"model\.d_width=-3 must be at least 1"),
        ("model.z_dim=0", r"model\.z_dim=0 must be at least 1"),
        ("model.embed_dim=0", r"model\.embed_dim=0 must be at least 1"),
        ("model.g_hidden=[256, 0]", r"model\.g_hidden=\[256, 0\] sizes must each be at least 1"),
        ("model.d_hidden=[-1]", r"model\.d_hidden=\[-1\] sizes"),
        ("model.d_dropout=1", r"model\.d_dropout=1\.0 must be in \[0, 1\)"),
        ("train.ema_halflife=-1", r"train\.ema_halflife=-1 must be >= 0"),
        ("train.ema_rampup=-0.5", r"train\.ema_rampup=-0\.5 must be >= 0"),
        ("loss.gp_weight=-10", r"loss\.gp_weight=-10\.0 must be >= 0"),
        ("loss.r1_gamma=-1", r"loss\.r1_gamma=-1\.0 must be >= 0"),
        ("loss.clip=-0.01", r"loss\.clip=-0\.01 must be >= 0"),
        ("loss.label_smoothing=1", r"loss\.label_smoothing=1\.0 must be in \[0, 1\)"),
        # The two optimizers share a type: the message must say which one is wrong.
        ("g_optim.lr=0", r"^g_optim\.lr=0\.0 must be positive"),
        ("d_optim.lr=-1e-4", r"^d_optim\.lr=-0\.0001 must be positive"),
        ("d_optim.name=adamw", r"^d_optim\.name='adamw' is not one of"),
        ("g_optim.betas=[0.5, 1.5]", r"^g_optim\.betas=\[0\.5, 1\.5\] must be two numbers"),
        ("d_optim.weight_decay=-1", r"^d_optim\.weight_decay=-1\.0 must be >= 0"),
        # A value where a section belongs: no stray dot ("loss. must be ..."), and a way out.
        ("loss=3", r"^loss is a section and must be a mapping, got 3: .*e\.g\. loss\.name="),
        ("train.images.x=1", r"^cannot set 'train\.images\.x': train\.images is a value"),
        ("model.g_hidden.first=1", r"model\.g_hidden is a value, not a section"),
    ],
)
def test_bad_values_name_the_key(override, message):
    # Each value on its own (config layer), then what ties it to the task (the task's checks):
    # together what `ganforge train` runs before reading data or making a folder.
    with pytest.raises(GanforgeError, match=message) as e:
        check_config(load_config("dcgan-fashion-mnist", [override]))
    assert "\n" not in str(e.value)


def test_boundary_values_are_accepted():
    cfg = load_config(
        "vanilla-mnist-mlp",
        [
            "model.g_width=1",
            "model.g_hidden=[1]",
            "train.ema_halflife=0",
            "loss.r1_gamma=0",
            "loss.label_smoothing=0.1",
        ],
    )
    assert (cfg.model.g_width, cfg.model.g_hidden, cfg.train.ema_halflife) == (1, [1], 0)
    assert cfg.loss.label_smoothing == 0.1  # fine for the BCE losses


def test_apply_overrides_copies_checks_keys_and_sets_values():
    tree = {"name": "x", "train": {"images": 100}}
    out = apply_overrides(tree, ["train.images=2000", "model.g_width=8", "loss.name=hinge"])
    assert tree == {"name": "x", "train": {"images": 100}}  # the input is not modified
    assert out == {
        "name": "x",
        "train": {"images": 2000},
        "model": {"g_width": 8},
        "loss": {"name": "hinge"},
    }
    assert apply_overrides(tree, {"train.batch_size": 8})["train"] == {
        "images": 100,
        "batch_size": 8,
    }
    assert apply_overrides(tree, None) == tree
    # A YAML section written as null (e.g. `model:` with nothing under it) takes keys.
    assert apply_overrides({"model": None}, ["model.z_dim=8"]) == {"model": {"z_dim": 8}}
    # The key is checked against Config even when the tree lacks the section, and before the
    # tree is touched: a value where a section belongs is named, never an AttributeError.
    with pytest.raises(GanforgeError, match="train.images is a value, not a section"):
        apply_overrides({}, ["train.images.x=1"])
    with pytest.raises(GanforgeError, match="did you mean 'train.images'"):
        apply_overrides({}, {"train.imagse": 1})
    with pytest.raises(GanforgeError, match="train in the config is 5, not a mapping"):
        apply_overrides({"train": 5}, ["train.images=1"])
    with pytest.raises(GanforgeError, match="section.key"):
        apply_overrides({}, {"train.": 1})


def test_load_run_config_applies_overrides_to_the_runs_config(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(load_config("wgangp-fashion-mnist").to_yaml())
    cfg = load_run_config(run, ["train.images=5e5"])
    assert cfg.train.images == 500_000 and cfg.loss.gp_weight == 10.0  # the run's, not defaults
    assert load_run_config(run).train.images == load_config("wgangp-fashion-mnist").train.images
    with pytest.raises(GanforgeError, match="train.images is a value"):
        load_run_config(run, ["train.images.x=1"])
    with pytest.raises(GanforgeError, match="not a ganforge run folder"):
        load_run_config(tmp_path)
    (run / "config.yaml").write_text("train: [unclosed\n")
    with pytest.raises(GanforgeError, match="config.yaml is not valid YAML"):
        load_run_config(run)
    (run / "config.yaml").write_text("- a list\n")
    with pytest.raises(GanforgeError, match="must be a YAML mapping"):
        load_run_config(run)


def test_override_syntax():
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
    assert parse_override(" name = x=y") == ("name", "x=y")  # only the first = splits
    for bad in ("train.images", "=5", "train.=5", "train..images=5"):
        with pytest.raises(GanforgeError, match="section.key=value"):
            parse_override(bad)


def test_yaml_file_config(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("name: mine\ntrain: {images: 1000}\n")
    assert load_config(str(f)).train.images == 1000
    f.write_text("name: [unclosed\n")
    with pytest.raises(GanforgeError, match="not valid YAML"):
        load_config(str(f))
    with pytest.raises(GanforgeError, match="does not exist"):
        load_config(str(tmp_path / "nope.yaml"))


def test_field_docs_cover_every_field():
    rows = field_docs()
    keys = {k for k, _, _ in rows}
    assert "train.images" in keys and "loss.gp_weight" in keys
    assert all(doc for k, _, doc in rows if k not in ("data", "model")), [
        k for k, _, d in rows if not d
    ]
    assert Config().name == "dcgan-fashion-mnist"


def test_the_default_loss_is_the_tasks_paper_loss():
    def gan_loss_of(cfg):
        return task_class(cfg).paper_loss(cfg)

    assert Config().loss.name == "auto"
    for task, loss in (("gan", "nonsaturating"), ("cyclegan", "lsgan"), ("srgan", "nonsaturating")):
        cfg = config_from_dict({"model": {"task": task}})
        assert gan_loss_of(cfg) == loss
    chosen = config_from_dict({"model": {"task": "cyclegan"}, "loss": {"name": "hinge"}})
    assert gan_loss_of(chosen) == "hinge"


def test_a_scheme_with_its_path_left_out_stays_text_for_the_data_layer_to_refuse():
    """--set data.source=folder: reads in YAML as {"folder": None}; it is the text "folder:", whose
    missing path the data layer names (not "must be a string, got {'folder': None}")."""
    from ganforge.data.schemes import resolve

    cfg = load_config("fastgan-folder-64", ["data.source=folder:"])
    assert parse_override("data.source=folder:") == ("data.source", {"folder": None})
    assert cfg.data.source == "folder:"
    with pytest.raises(GanforgeError, match="data.source=folder: needs a path"):
        resolve(cfg.data.source)
