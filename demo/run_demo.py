"""End-to-end demo: deliver demo/events.jsonl to a local sandbox standing in
for every installed vendor, then show what each vendor received.

Run with ``nox -s demo`` (or ``python demo/run_demo.py`` where the core and
plugins are installed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import tomllib
from signal_core import Pipeline
from signal_core.plugins import get_plugin_manager
from signal_core.redact import Redactor
from signal_core.sandbox import Sandbox

HERE = Path(__file__).parent
OUT = HERE / "out"


def installed_config() -> Path:
    """The demo pipeline, keeping only integrations whose vendor is installed."""
    vendors = get_plugin_manager().vendors()
    data = tomllib.loads((HERE / "signal.toml").read_text())
    keep = [i for i in data["integrations"] if i["vendor"] in vendors]
    missing = sorted({i["vendor"] for i in data["integrations"]} - set(vendors))
    if missing:
        print(f"(vendors not installed, skipped: {', '.join(missing)})")
    data["integrations"] = keep
    OUT.mkdir(exist_ok=True)
    path = OUT / "signal.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def run(args: list[str], env: dict[str, str]) -> int:
    print(f"\n$ signal {' '.join(args)}")
    done = subprocess.run([sys.executable, "-m", "signal_core", *args], env=env, check=False)
    print(f"(exit code {done.returncode})")
    return done.returncode


def main() -> int:
    config = installed_config()
    (OUT / "state.db").unlink(missing_ok=True)
    events = HERE / "events.jsonl"
    with Sandbox(default=200) as box:
        os.environ["SANDBOX_URL"] = box.url
        env = dict(os.environ)
        run(["plugins"], env)
        run(["check", "-c", str(config)], env)
        state = f"sqlite:///{OUT / 'state.db'}"
        # Knorex is "down" for its first six postbacks: both conversions fail
        # after 3 attempts each and land in the dead-letter store.
        box.route("/s2s", *[503] * 6)
        run(["send", "-c", str(config), "--state", state, str(events)], env)
        run(["dead-letter", "list", "--state", state], env)
        print("\n(Knorex is back: replay the dead letters with their original event ids)")
        run(["dead-letter", "replay", "-c", str(config), "--state", state], env)
        run(["dead-letter", "list", "--state", state], env)
        with Pipeline.from_file(config) as pipeline:  # only to learn the secret values
            mask = Redactor(s for i in pipeline.integrations for s in i.secrets)
        print(f"\nWhat the vendors received ({len(box.requests)} requests at {box.url};")
        print("secret values, which did arrive, are shown as ***):")
        for req in box.requests:
            print(f"\n{req.method} {mask(unquote(req.target))}")
            ctype = req.headers.get("Content-Type", "")
            if ctype:
                print(f"  Content-Type: {ctype}")
            if "Authorization" in req.headers:
                print("  Authorization: Bearer ***")
            if req.body:
                print(f"  {mask(req.body.decode('utf-8', 'replace'))}")
    print(
        "\nThe secrets in demo/signal.toml are fake; in real use set them through "
        "${ENV} variables. Exit codes 1 above are expected: the last sample line is "
        "invalid on purpose (no anonymous_id or user_id; it stays in the dead-letter "
        "store, as invalid input cannot be replayed), and Knorex was down on purpose."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
