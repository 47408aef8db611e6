"""Developer sessions: tests, lint, typecheck, demo (bench and fuzz come later).

``nox -s tests`` installs the core, every plugin under plugins/ and the
test-only plugin under tests/plugins/, then runs every package's tests.
"""

from __future__ import annotations

from pathlib import Path

import nox

ROOT = Path(__file__).parent
PLUGINS = sorted(
    str(p) for p in (ROOT / "plugins").glob("signal-*") if (p / "pyproject.toml").exists()
)
TEST_PLUGINS = sorted(str(p) for p in (ROOT / "tests" / "plugins").glob("signal-*"))

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


def install_all(session: nox.Session, *, test_plugins: bool = True) -> None:
    session.install(f"{ROOT / 'core'}[test]")
    packages = PLUGINS + (TEST_PLUGINS if test_plugins else [])
    if packages:
        session.install(*packages)


@nox.session
def tests(session: nox.Session) -> None:
    """Core, plugin and end-to-end tests."""
    install_all(session)
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the core and every plugin."""
    install_all(session, test_plugins=False)
    session.install("mypy>=1.10", "types-requests")
    session.run("mypy")
    for plugin in PLUGINS:
        session.run("mypy", "--strict", f"{plugin}/src")


@nox.session
def demo(session: nox.Session) -> None:
    """Deliver the sample events to a local sandbox standing in for every vendor."""
    install_all(session, test_plugins=False)
    session.run("python", str(ROOT / "demo" / "run_demo.py"), *session.posargs)
