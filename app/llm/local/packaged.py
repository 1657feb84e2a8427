"""Files installed with a package, found without importing it (an import may configure logging or reach for a
network), so model weights load offline from wherever pip put them."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_dir(name: str) -> Path | None:
    """The installed package's folder, or None when it is not installed."""
    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None
