"""Every setting is documented in the README's table and in .env.example."""

from __future__ import annotations

import pytest

from app.config import Settings
from tests.conftest import REPO

SETTINGS = [name.upper() for name in Settings.model_fields]


@pytest.mark.parametrize("name", SETTINGS)
def test_setting_is_in_readme_table(name):
    assert f"| `{name}` |" in (REPO / "README.md").read_text()


@pytest.mark.parametrize("name", SETTINGS)
def test_setting_is_in_env_example(name):
    assert f"# {name}=" in (REPO / ".env.example").read_text()


def test_readme_gives_the_two_setup_commands():
    readme = (REPO / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme
