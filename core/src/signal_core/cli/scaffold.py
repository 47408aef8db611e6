"""``signal new-plugin NAME``: scaffold a complete vendor plugin distribution.

The result is a directory ``signal-NAME`` holding ``pyproject.toml`` (with the
entry point in the group ``signal_core.plugins``), ``src/signal_NAME`` (typed,
with a worked example of every hook a vendor needs), tests built on the
conformance suite and a README. It installs and passes its tests as generated.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

from .main import EXIT_OK, EXIT_USAGE

NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
MAX_NAME_LENGTH = 40

# Output path (``{package}`` is substituted) -> template file in signal_core.scaffold_templates.
FILES = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "README.md": "README.md.tmpl",
    "src/{package}/__init__.py": "package_init.py.tmpl",
    "src/{package}/vendor.py": "package_vendor.py.tmpl",
    "src/{package}/hooks.py": "package_hooks.py.tmpl",
    "src/{package}/py.typed": None,
    "tests/test_conformance.py": "tests_conformance.py.tmpl",
    "tests/test_wire.py": "tests_wire.py.tmpl",
}
_TOKEN = re.compile(r"\{\{(\w+)\}\}")


class ScaffoldError(ValueError):
    """A name or target directory that cannot be used; the message says why."""


def plugin_names(name: str) -> dict[str, str]:
    """Every spelling of the plugin's name the templates use."""
    raw = name.strip()
    for prefix in ("signal-", "signal_"):
        if raw.startswith(prefix):
            raw = raw[len(prefix) :]
    if not NAME_PATTERN.fullmatch(raw) or len(raw) > MAX_NAME_LENGTH:
        raise ScaffoldError(
            f"invalid plugin name {name[:60]!r}: use lower-case letters and digits, "
            f"words joined by '-' or '_', starting with a letter, at most {MAX_NAME_LENGTH} "
            "characters (e.g. acme or acme-ads)"
        )
    from .. import __version__

    words = re.split(r"[-_]", raw)
    return {
        "name": raw,
        "dist": f"signal-{raw}",
        "package": "signal_" + raw.replace("-", "_"),
        "title": " ".join(w.capitalize() for w in words),
        "class_name": "".join(w.capitalize() for w in words),
        "env_name": raw.replace("-", "_").upper(),
        "host_label": raw.replace("_", "-"),
        "core_version": __version__,
    }


def render(template: str, values: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template token {{{{{key}}}}} has no value")
        return values[key]

    return _TOKEN.sub(substitute, template)


def scaffold(name: str, directory: Path | str = ".") -> list[Path]:
    """Write the plugin ``signal-NAME`` under ``directory``; return the files written."""
    values = plugin_names(name)
    root = Path(directory) / values["dist"]
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another --directory or name")
    templates = resources.files("signal_core.scaffold_templates")
    written: list[Path] = []
    for target, source in FILES.items():
        text = (
            "" if source is None else render(templates.joinpath(source).read_text("utf-8"), values)
        )
        path = root / target.format(package=values["package"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def run_new_plugin(args: argparse.Namespace) -> int:
    try:
        written = scaffold(args.name, args.directory)
    except ScaffoldError as exc:
        print(f"signal: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"signal: cannot write the plugin: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    root = written[0].parent
    print(f"created {root}")
    for path in written:
        print(f"  {path.relative_to(root)}")
    print(
        "\nnext steps:\n"
        f"  cd {root}\n"
        '  pip install -e ".[test]"\n'
        "  pytest\n"
        "then replace the example endpoint, config fields and presets with the "
        "vendor's (see docs/plugins.md of signal-core)"
    )
    return EXIT_OK
