"""commands/train.py: how `ganforge train` reads its options (literal --data, the folder recipe,
--help-config); training end to end is tests/test_cli.py's."""

import yaml

from ganforge.cli import main


def test_data_out_and_name_are_taken_as_written(tmp_path, capsys):
    # YAML would read "folder:" as a mapping and "yes" as true: these options are strings.
    argv = ["train", "--data", "toy-ring", "--preset", "toy-ring-mlp", "--name", "yes", "--dry-run"]
    assert main([*argv, "--out", "no"]) == 0
    cfg = yaml.safe_load(capsys.readouterr().out)
    assert (cfg["data"]["source"], cfg["name"], cfg["out_dir"]) == ("toy-ring", "yes", "no")
    # --set values are still YAML, and the later of two wins.
    args = ["train", "--preset", "toy-ring-mlp", "--set", "train.images=2e3"]
    assert main([*args, "--set", "train.images=3e3", "--dry-run"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["train"]["images"] == 3000


def test_a_folder_without_a_path_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty folder: nothing would be found here either
    for data in ("folder:", "folder: "):
        assert main(["train", "--data", data, "--dry-run"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [
            "ganforge: error: --data folder: needs a path: use --data folder:/path/to/images"
        ]
    assert main(["train", "--preset", "dcgan-folder-64", "--data", "folder:", "--dry-run"]) == 0
    capsys.readouterr()  # the dry run does not read data; training would say the path is missing


def test_help_config_lists_the_keys_of_every_section(capsys):
    assert main(["train", "--help-config"]) == 0
    keys = [ln.split()[0] for ln in capsys.readouterr().out.splitlines()]
    for key in ("train.n_critic", "train.minutes", "train.loggers", "i2i.scale", "r3gan.gamma"):
        assert key in keys, key
    assert "augment.policy" in keys
