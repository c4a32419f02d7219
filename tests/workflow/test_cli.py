"""The command line: clear one-line errors, never a traceback."""

from __future__ import annotations

from typer.testing import CliRunner

from clusterecon.cli import app

runner = CliRunner()


def test_unwritable_out_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["replicate", "--out", str(blocker / "sub"), "--quiet"])
    assert res.exit_code == 2
    assert "error" in res.output and "Traceback" not in res.output


def test_unknown_step_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["replicate", "--out", str(tmp_path), "--step", "nope", "--quiet"])
    assert res.exit_code == 2
    assert "unknown step" in res.output


def test_steps_are_listed():
    res = runner.invoke(app, ["steps"])
    assert res.exit_code == 0
    assert "facts" in res.output
