"""``signal plugins`` and ``signal check``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from .main import EXIT_OK
from .safe_text import one_line


def run_plugins(args: argparse.Namespace) -> int:
    from ..plugins import get_plugin_manager

    pm = get_plugin_manager()
    infos = pm.describe()
    if args.json:
        print(
            json.dumps(
                {
                    "plugins": [asdict(i) for i in infos],
                    "load_errors": [asdict(e) for e in pm.load_errors],
                },
                indent=2,
            )
        )
        return EXIT_OK
    if not infos:
        print("no vendor plugins installed (entry-point group signal_core.plugins)")
    for info in infos:
        version = f" {info.version}" if info.version else ""
        print(f"{one_line(info.name)}: {one_line(info.distribution)}{one_line(version)}")
        print(f"  vendors: {', '.join(info.vendors) or '-'}")
        print(f"  hooks:   {', '.join(info.hooks)}")
    for error in pm.load_errors:
        print(
            f"BROKEN {error.name}: {error.distribution} {error.version}: {error.error}",
            file=sys.stderr,
        )
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    from ..pipeline import Pipeline

    pipeline = Pipeline.from_file(args.config)
    try:
        report: dict[str, Any] = {
            "integrations": [i.describe() for i in pipeline.integrations],
            "retry": {
                k: (sorted(v) if isinstance(v, frozenset) else v)
                for k, v in asdict(pipeline.retry).items()
            },
            "consent": asdict(pipeline.consent),
        }
    finally:
        pipeline.close()
    if args.json:
        print(json.dumps(report, indent=2))
        return EXIT_OK
    print(f"{one_line(str(args.config))}: OK, {len(report['integrations'])} integration(s)")
    for item in report["integrations"]:
        state = "enabled" if item["enabled"] else "disabled"
        print(f"- {one_line(item['name'])} ({item['vendor']}, {state})")
        for key, value in item["config"].items():
            print(f"    {key} = {one_line(str(value))}")
        events = ", ".join(f"{k} -> {v}" for k, v in item["mapped_events"].items())
        print(f"    events: {one_line(events) or '-'} (unmapped: {item['unmapped']})")
        if item["consent_categories"]:
            print(f"    consent: {one_line(', '.join(item['consent_categories']))}")
        if item["base_url"]:
            print(f"    base_url: {item['base_url']}")
    return EXIT_OK
