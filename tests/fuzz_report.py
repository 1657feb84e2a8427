"""Counting the cases a fuzzing module tried, and printing them when the module ends."""

from __future__ import annotations

from collections import Counter

import pytest


def write_report(config: pytest.Config, title: str, cases: Counter[str], outcomes: Counter[str]) -> None:
    """Print the case counts on the terminal even while output is captured (CI logs keep them)."""
    lines = [f"{title}: {sum(cases.values())} cases"]
    lines += [f"  {name}: {count}" for name, count in sorted(cases.items())]
    lines += [f"  outcome {name}: {count}" for name, count in sorted(outcomes.items())]
    reporter = config.pluginmanager.getplugin("terminalreporter")
    capture = config.pluginmanager.getplugin("capturemanager")
    if reporter is None or capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in lines:
            reporter.write_line(line)
