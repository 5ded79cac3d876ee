"""Build hook of the wheel: the project's templates/, static/ and locale/ go inside the package
(vpnportal/bundle/), each catalogue compiled (.mo) beside its .po.

Everything else is declared in pyproject.toml. A checkout uses templates/, static/ and locale/ where they
are; an installed wheel has no project folder, so settings.py falls back on vpnportal/bundle/
(docs/deploy.md). The .mo files are git-ignored: the build compiles them itself, with gettext's msgfmt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("templates", "static", "locale")
# The test suite's settings (with its fixed test-only secrets) never reach a production host.
LEFT_OUT = {("vpnportal", "test_settings")}


class BuildWithSiteFiles(build_py):
    """build_py, then copy templates/, static/ (vendor files included) and locale/ into vpnportal/bundle/
    and compile the catalogues there."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if (m[0], m[1]) not in LEFT_OUT]

    def run(self) -> None:
        super().run()
        for name in BUNDLED:
            self.copy_tree(name, os.path.join(self.build_lib, "vpnportal", "bundle", name))
        compile_catalogues(Path(self.build_lib, "vpnportal", "bundle", "locale"))


def compile_catalogues(locale: Path) -> None:
    """Each .po under `locale` compiled to its .mo, placeholders checked (msgfmt --check)."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        raise SystemExit("msgfmt is missing: install Debian's gettext (`make install` does)")
    for po in sorted(locale.rglob("*.po")):
        subprocess.run([msgfmt, "--check", "--output-file", str(po.with_suffix(".mo")), str(po)], check=True)


setup(cmdclass={"build_py": BuildWithSiteFiles})
