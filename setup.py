"""Build hook of the wheel: the project's templates/ and static/ go inside the package (vpnportal/bundle/).

Everything else is declared in pyproject.toml. A checkout uses templates/ and static/ where they are; an
installed wheel has no project folder, so settings.py falls back on vpnportal/bundle/ (docs/deploy.md).
"""

from __future__ import annotations

import os

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("templates", "static")
# The test suite's settings (with its fixed test-only secrets) never reach a production host.
LEFT_OUT = {("vpnportal", "test_settings")}


class BuildWithSiteFiles(build_py):
    """build_py, then copy templates/ and static/ (vendor files included) into vpnportal/bundle/."""

    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        modules = super().find_package_modules(package, package_dir)
        return [m for m in modules if (m[0], m[1]) not in LEFT_OUT]

    def run(self) -> None:
        super().run()
        for name in BUNDLED:
            self.copy_tree(name, os.path.join(self.build_lib, "vpnportal", "bundle", name))


setup(cmdclass={"build_py": BuildWithSiteFiles})
