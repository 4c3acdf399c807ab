"""Where the app's files are: templates, static files and migrations live at the top of the
repository, and inside the package when it is installed from a wheel (see pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The folder ``name``: inside the installed package, else beside it in the repository."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / name
