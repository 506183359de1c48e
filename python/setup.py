"""Builds daemoniker._engine: the package's bindings together with the
daemoniker library's own POSIX sources, compiled into one extension module,
so the installed package needs no separately installed library."""

import os
import sys
from pathlib import Path

from pybind11.setup_helpers import ParallelCompile, Pybind11Extension, build_ext
from setuptools import setup

if sys.platform == "win32":
    sys.exit("daemoniker: the Python package is not built on Windows yet (docs/python.md says what is planned)")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIBRARY_SOURCES = ROOT / "src"
if not (ROOT / "include" / "daemoniker" / "daemoniker.hpp").is_file():
    sys.exit(f"daemoniker: the library's sources are expected in {ROOT} (build from the repository's python/ directory)")

# The library's common code and its POSIX half (what CMake compiles on POSIX).
library = sorted(str(p) for p in LIBRARY_SOURCES.glob("*.cpp") if not p.name.endswith(".windows.cpp"))
bindings = sorted(str(p.relative_to(HERE)) for p in (HERE / "src").glob("*.cpp"))


class build_engine(build_ext):
    """Adds the library's sources at build time: they live outside this
    directory, which setuptools refuses in the declared sources (they would
    go into a source distribution's manifest)."""

    def build_extensions(self):
        for ext in self.extensions:
            ext.sources = ext.sources + library
        super().build_extensions()


# Two jobs by default: the machines this is built on are small and shared.
ParallelCompile("DAEMONIKER_BUILD_JOBS", default=2).install()

engine = Pybind11Extension(
    "daemoniker._engine",
    bindings,
    include_dirs=[str(ROOT / "include"), str(LIBRARY_SOURCES), str(HERE / "src")],
    cxx_std=20,
    extra_link_args=["-pthread"],
)
os.chdir(HERE)
setup(ext_modules=[engine], cmdclass={"build_ext": build_engine})
