def test_report_writes_into_the_run_folder(dcgan_run, tmp_path, ganforge_cli):
    out = ganforge_cli("report", dcgan_run)
    assert f"wrote {dcgan_run / 'report.html'}" in out.err
    assert (dcgan_run / "report.html").read_text().startswith("<!doctype html>")
    ganforge_cli("report", dcgan_run, "--out", tmp_path / "page.html")
    assert (tmp_path / "page.html").is_file()


def test_report_bad_input(dcgan_run, tmp_path, ganforge_cli):
    assert "not a ganforge run folder" in ganforge_cli("report", tmp_path, code=2).err
    assert "does not exist" in ganforge_cli("report", tmp_path / "nope", code=2).err
    assert (
        "does not exist"
        in ganforge_cli("report", dcgan_run, "--out", tmp_path / "no" / "r.html", code=2).err
    )
    assert (
        "must end in .html"
        in ganforge_cli("report", dcgan_run, "--out", tmp_path / "r.txt", code=2).err
    )
    assert list(tmp_path.iterdir()) == []
