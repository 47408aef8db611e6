"""docs/plugins.md works as printed.

Its code blocks that name a file (first line ``# file: PATH``) are written out
as the guide's ``signal-acme`` project, which pip builds and installs into a
target directory (a real wheel with a real entry point). Then: the plugin is
found through its entry point, the guide's ``# run:`` blocks print exactly the
``text`` blocks that follow them, a real send against a loopback sandbox puts
the documented bytes on the wire, and the guide's own tests pass.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from signal_core import ConfigField, Pipeline, Vendor, hookspecs
from signal_core.cli.main import main
from signal_core.integration import load_integration
from signal_core.plugins import get_plugin_manager
from signal_core.testing import FakeClock, Reply, Sandbox, VendorConformance, track
from signal_core.testing import pytest_plugin as kit_plugin

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
INNER = ("-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\s*$", re.M | re.S)


@dataclass
class Block:
    lang: str
    text: str
    after: Block | None = None

    @property
    def marker(self) -> tuple[str, str] | None:
        found = re.match(r"# (file|run): (\S+)\n", self.text)
        return (found.group(1), found.group(2)) if found else None

    @property
    def body(self) -> str:
        return self.text.split("\n", 1)[1] if self.marker else self.text


def _blocks() -> list[Block]:
    blocks = [Block(m.group(1), m.group(2)) for m in _FENCE.finditer(GUIDE)]
    for block, following in zip(blocks, blocks[1:]):
        block.after = following
    return blocks


BLOCKS = _blocks()


def _files() -> dict[str, str]:
    files: dict[str, str] = {}
    for block in BLOCKS:
        if block.marker and block.marker[0] == "file":
            path = block.marker[1]
            files[path] = files[path] + "\n\n" + block.body if path in files else block.body
    return files


@pytest.fixture(scope="module")
def guide_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The guide's project, built and installed by pip into a directory of its own."""
    project = tmp_path_factory.mktemp("signal-acme")
    for path, text in _files().items():
        target = project / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    (project / "src" / "signal_acme" / "py.typed").write_text("")
    site = tmp_path_factory.mktemp("site")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(project),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    yield site
    sys.modules.pop("signal_acme", None)


@pytest.fixture
def acme(guide_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The installed guide plugin is importable and the only plugin loaded."""
    monkeypatch.syspath_prepend(str(guide_site))
    monkeypatch.setenv("SIGNAL_PLUGINS", "acme")
    return guide_site


def test_every_python_block_is_a_file_or_a_run_block() -> None:
    python = [b for b in BLOCKS if b.lang == "python"]
    assert len(python) >= 8
    unmarked = [b.text.splitlines()[0] for b in python if b.marker is None]
    assert not unmarked, f"python blocks that no test runs: {unmarked}"
    assert set(_files()) == {
        "pyproject.toml",
        "src/signal_acme/__init__.py",
        "tests/test_conformance.py",
        "tests/test_wire.py",
    }


def test_the_guide_plugin_is_found_through_its_entry_point(acme: Path, capsys) -> None:
    pm = get_plugin_manager()
    assert pm.load_errors == []
    assert "acme" in pm.vendors()
    [info] = [i for i in pm.describe() if i.name == "acme"]
    assert (info.distribution, info.version) == ("signal-acme", "0.1.0")
    assert main(["plugins"]) == 0
    [shown] = [b for b in BLOCKS if b.lang == "text" and b.text.startswith("acme: signal-acme")]
    assert capsys.readouterr().out == shown.text


@pytest.mark.parametrize("name", [b.marker[1] for b in BLOCKS if b.marker and b.marker[0] == "run"])
def test_run_blocks_print_what_the_guide_shows(acme: Path, name: str) -> None:
    [block] = [b for b in BLOCKS if b.marker == ("run", name)]
    assert block.after is not None, f"{name}: no output block after it"
    assert block.after.lang == "text", f"{name}: no output block after it"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.body, f"docs/plugins.md:{name}", "exec"), {"__name__": name})
    assert out.getvalue() == block.after.text


def test_a_real_send_puts_the_documented_bytes_on_the_wire(acme: Path) -> None:
    import signal_acme

    pm = get_plugin_manager(load_entrypoints=False)
    pm.register(signal_acme, name="acme")
    [documented] = [b for b in BLOCKS if b.lang == "text" and b.text.startswith("POST https://")]
    body = documented.text.strip().splitlines()[-1].encode()
    config = {"api_key": "acme_live_8f3k2", "account_id": "acc_42"}
    order = track(
        "Order Completed",
        message_id="msg-1",
        context={"page": {"url": "https://shop.example/?acme_cid=cid_77"}},
    )
    with Sandbox([Reply(202), Reply(401), Reply(503), Reply(200, body=b'{"ok":false}')]) as box:
        integration = {"vendor": "acme", "config": config, "base_url": box.url}
        with Pipeline([integration], clock=FakeClock(), plugin_manager=pm) as pipeline:
            results = [pipeline.send(order)[0] for _ in range(3)]
    assert [r.status for r in results] == ["delivered", "failed", "failed"]
    assert results[1].reason.startswith("401: Acme refused the api_key")
    assert results[2].reason == "200 but Acme rejected the event: no reason given"
    assert results[2].attempts == 2  # 503, then the 200 that says no
    first = box.requests[0]
    assert (first.method, first.target) == ("POST", "/v1/events")
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["X-Api-Key"] == "acme_live_8f3k2"
    assert first.body == body
    assert all(r.body == body for r in box.requests)


def test_the_guide_tests_pass(acme: Path, pytester: pytest.Pytester) -> None:
    for path, text in _files().items():
        if path.startswith("tests/"):
            pytester.makepyfile(**{Path(path).stem: text})
    result = pytester.runpytest(*INNER, "-rs")
    conformance = [n for n in dir(VendorConformance) if n.startswith("test_")]
    wire = re.findall(r"^def (test_\w+)", _files()["tests/test_wire.py"], flags=re.M)
    # The batch check does not apply: Acme takes one event per request.
    result.assert_outcomes(passed=len(conformance) - 1 + len(wire), skipped=1)


def test_the_mappings_example_is_a_valid_integration(acme: Path, monkeypatch) -> None:
    import signal_acme

    [example] = [b for b in BLOCKS if b.lang == "json" and '"mappings"' in b.text]
    monkeypatch.setenv("ACME_KEY", "acme_env_key_1")
    integration = load_integration(json.loads(example.text), {"acme": signal_acme.ACME})
    assert integration.config["api_key"] == "acme_env_key_1"
    trial = integration.mapping.rule_for("Trial Started")
    assert trial is not None
    assert trial.vendor_event == "sign_up"
    assert integration.mapping.rule_for("page").enabled is False
    assert dict(integration.mapping.rule_for("Order Completed").rename) == {"total": "revenue"}


def _mentioned(name: str) -> bool:
    return f"`{name}`" in GUIDE or f"`{name}(" in GUIDE or f"`{name}=" in GUIDE


def test_the_guide_covers_the_whole_plugin_api() -> None:
    names = [
        n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "signal_spec")
    ]
    names += [f.name for f in dataclasses.fields(Vendor)]
    names += [f.name for f in dataclasses.fields(ConfigField) if f.name != "name"]
    names += [n for n in dir(VendorConformance) if n.startswith("test_")]
    names += [
        n
        for n, v in vars(VendorConformance).items()
        if not n.startswith("_") and not callable(v) and not isinstance(v, property)
    ]
    names += [
        n
        for n, v in vars(kit_plugin).items()
        if hasattr(v, "_fixture_function_marker") or type(v).__name__ == "FixtureFunctionDefinition"
    ]
    missing = sorted({n for n in names if not _mentioned(n)})
    assert not missing, f"docs/plugins.md does not mention: {missing}"
