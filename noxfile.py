"""Developer sessions: tests, lint, typecheck, demo, bench (fuzz comes later).

``nox -s tests`` installs the core, every plugin under plugins/ and the
test-only plugin under tests/plugins/, then runs every package's tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PLUGINS = sorted(
    str(p) for p in (ROOT / "plugins").glob("signal-*") if (p / "pyproject.toml").exists()
)
TEST_PLUGINS = sorted(str(p) for p in (ROOT / "tests" / "plugins").glob("signal-*"))
# Third-party example plugins (outside plugins/), installed from their directories.
EXAMPLES = sorted(
    str(p) for p in (ROOT / "examples").glob("signal-*") if (p / "pyproject.toml").exists()
)

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = False  # tests-oldest skips without a 3.9


def install_all(session: nox.Session, *, test_plugins: bool = True) -> None:
    session.install(f"{ROOT / 'core'}[test]")
    packages = PLUGINS + (TEST_PLUGINS if test_plugins else [])
    if packages:
        session.install(*packages)


@nox.session
def tests(session: nox.Session) -> None:
    """Core, plugin, example and end-to-end tests."""
    install_all(session)
    if EXAMPLES:
        session.install(*EXAMPLES)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """A longer, randomised hypothesis run of the reliability fuzz tests.

    ``SIGNAL_FUZZ_EXAMPLES`` (default here 2000) sets the examples per test;
    the ``tests`` session runs the same tests with 200, derandomised.
    """
    install_all(session)
    env = {
        "SIGNAL_FUZZ_EXAMPLES": session.env.get("SIGNAL_FUZZ_EXAMPLES", "2000"),
        "SIGNAL_FUZZ_RANDOM": "1",
    }
    session.run(
        "python", "-m", "pytest", "tests/reliability/test_fuzz.py", *session.posargs, env=env
    )


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the core, every plugin and the example plugin."""
    install_all(session, test_plugins=False)
    if EXAMPLES:
        session.install(*EXAMPLES)
    session.install("mypy>=1.10", "types-requests")
    session.run("mypy")
    for plugin in PLUGINS + EXAMPLES:
        session.run("mypy", "--strict", f"{plugin}/src")


@nox.session
def demo(session: nox.Session) -> None:
    """Deliver the sample events to a local sandbox standing in for every vendor."""
    install_all(session, test_plugins=False)
    session.run("python", str(ROOT / "demo" / "run_demo.py"), *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Performance targets of issue 9 against a local nginx and a 50 ms server.

    Not run in CI (not in nox.options.sessions). Installs nginx-light with
    apt-get when nginx is missing, then runs bench/run.py, which prints the
    table and writes docs/benchmarks.md and docs/benchmarks-workers.png.
    ``nox -s bench -- --quick`` runs fewer events and rounds.
    """
    install_all(session, test_plugins=False)
    session.install("matplotlib")
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "nginx-light", external=True)
    session.run("python", str(ROOT / "bench" / "run.py"), *session.posargs)


def _oldest_python() -> str:
    """Python 3.9, the oldest supported: pyenv's build when there is one."""
    for candidate in sorted(Path.home().glob(".pyenv/versions/3.9*/bin/python3.9")):
        return str(candidate)
    return "3.9"


@nox.session(name="tests-oldest", python=_oldest_python())
def tests_oldest(session: nox.Session) -> None:
    """The core and plugin tests on Python 3.9 (skipped where no 3.9 is installed)."""
    install_all(session)
    session.run(
        "python",
        "-m",
        "pytest",
        "core/tests",
        "plugins",
        *session.posargs,
    )
