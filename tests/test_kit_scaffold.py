"""``signal new-plugin``: the scaffolded distribution installs into a fresh virtual
environment with the core, passes its own tests there and shows in ``signal plugins``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from signal_core.cli.main import main
from signal_core.cli.scaffold import FILES, ScaffoldError, plugin_names, scaffold

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("SIGNAL_PLUGINS", None)  # the venv must find its plugins through entry points
    return env


def _run(*cmd: object, cwd: Path | None = None, timeout: float = 240) -> str:
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_a_scaffolded_plugin_works_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    # Build tools once, then build without isolation (no fresh build env per package).
    _run(python, "-m", "pip", "install", "--quiet", "setuptools>=70.1", "pytest>=7")
    install = (python, "-m", "pip", "install", "--quiet", "--no-build-isolation")
    # A regular (not editable) install: the templates must ship as package data.
    _run(*install, CORE)

    out = _run(bindir / "signal", "new-plugin", "acme-ads", "--directory", tmp_path)
    plugin = tmp_path / "signal-acme-ads"
    assert f"created {plugin}" in out
    _run(*install, plugin)

    tests = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", cwd=plugin)
    summary = tests.strip().splitlines()[-1]
    assert "failed" not in summary, tests
    assert "error" not in summary, tests
    passed = re.search(r"(\d+) passed", summary)
    assert passed is not None, tests
    assert int(passed.group(1)) >= 20, tests  # the conformance checks and the wire tests

    listing = _run(bindir / "signal", "plugins")
    assert "acme-ads: signal-acme-ads 0.1.0" in listing
    assert "vendors: acme-ads" in listing
    info = json.loads(_run(bindir / "signal", "plugins", "--json"))
    [mine] = [p for p in info["plugins"] if p["name"] == "acme-ads"]
    assert mine["hooks"] == ["build_request", "classify_response", "declare_vendors", "map_event"]
    assert info["load_errors"] == []


def test_the_command_writes_a_complete_distribution(tmp_path: Path, capsys) -> None:
    assert main(["new-plugin", "signal-acme", "--directory", str(tmp_path)]) == 0
    root = tmp_path / "signal-acme"
    expected = {root / path.format(package="signal_acme") for path in FILES}
    assert {p for p in root.rglob("*") if p.is_file()} == expected
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points."signal_core.plugins"]\nacme = "signal_acme"' in pyproject
    assert 'name = "signal-acme"' in pyproject
    assert (root / "src/signal_acme/py.typed").read_text() == ""
    for path in expected:
        text = path.read_text()
        assert "{{" not in text, f"unrendered token in {path}"
        if path.suffix == ".py":
            compile(text, str(path), "exec")
    out = capsys.readouterr().out
    assert f"created {root}" in out
    assert 'pip install -e ".[test]"' in out


@pytest.mark.parametrize("name", ["", "Acme", "1acme", "acme!", "ac me", "acme-", "a" * 41, "../x"])
def test_bad_names_are_usage_errors(tmp_path: Path, capsys, name: str) -> None:
    assert main(["new-plugin", name, "--directory", str(tmp_path)]) == 2
    assert "invalid plugin name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_not_overwritten(tmp_path: Path, capsys) -> None:
    (tmp_path / "signal-acme").mkdir()
    (tmp_path / "signal-acme" / "keep.txt").write_text("mine")
    assert main(["new-plugin", "acme", "-d", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "signal-acme").iterdir()] == ["keep.txt"]
    with pytest.raises(ScaffoldError):
        scaffold("acme", tmp_path)


def test_names_are_spelled_for_each_place() -> None:
    names = plugin_names("acme_ads-eu")
    assert names["dist"] == "signal-acme_ads-eu"
    assert names["package"] == "signal_acme_ads_eu"
    assert names["class_name"] == "AcmeAdsEu"
    assert names["host_label"] == "acme-ads-eu"
    assert names["env_name"] == "ACME_ADS_EU"


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed here")
def test_the_scaffold_is_lint_clean(tmp_path: Path) -> None:
    scaffold("acme", tmp_path)
    root = tmp_path / "signal-acme"
    common = ["--isolated", "--line-length", "100", "--target-version", "py39"]
    _run("ruff", "check", *common, "--select", "E,F,W,I,B,UP,SIM,RUF", root)
    _run("ruff", "format", *common, "--check", root)
