"""Builds the facemirror wheel: the Python package of python/facemirror with its extension,
libfacemirror.so and fetch_models.sh (with its checksum list) beside it, built by CMake.

The build folder is $FACEMIRROR_BUILD_DIR when set (a configured facemirror build with the
Python module, e.g. build/release), else build/wheel, configured here for the interpreter
running this. The files are taken from a `cmake --install` into a scratch prefix, so the wheel
holds install-tree binaries (relative RUNPATHs, no path of the build machine);
facemirror/__init__.py loads the bundled libfacemirror.so before the extension.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

ROOT = os.path.dirname(os.path.abspath(__file__))
BUILD_DIR = os.environ.get("FACEMIRROR_BUILD_DIR") or os.path.join(ROOT, "build", "wheel")
# setuptools' own files (egg-info, the staged wheel tree) go there too, not into the sources.
SETUPTOOLS_DIR = os.path.join(BUILD_DIR, "python-wheel")


def project_version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as cmake:
        found = re.search(r"project\(\s*facemirror\s+VERSION\s+([0-9.]+)", cmake.read())
    if not found:
        raise RuntimeError("CMakeLists.txt: no project(facemirror VERSION x.y.z)")
    return found.group(1)


def run(command):
    print("setup.py:", " ".join(command), flush=True)
    subprocess.run(command, check=True)


class build_with_cmake(build_py):
    """Builds the extension with CMake and puts the package's three files in build_lib."""

    def run(self):
        build_dir = BUILD_DIR
        if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            run(["cmake", "-S", ROOT, "-B", build_dir, "-G", "Ninja",
                 "-DCMAKE_BUILD_TYPE=Release", "-DFACEMIRROR_BUILD_PYTHON=ON",
                 "-DFACEMIRROR_BUILD_TESTS=OFF", "-DFACEMIRROR_BUILD_BENCH=OFF",
                 "-DPython3_EXECUTABLE=" + sys.executable])
        # All of it: `cmake --install` below installs every target (the CLI, its man page).
        run(["cmake", "--build", build_dir])
        package = os.path.join(self.build_lib, "facemirror")
        os.makedirs(package, exist_ok=True)
        with tempfile.TemporaryDirectory() as stage:
            run(["cmake", "--install", build_dir, "--prefix", stage])
            suffix = sysconfig.get_config_var("EXT_SUFFIX")
            modules = glob.glob(os.path.join(stage, "**", "facemirror", "_facemirror" + suffix),
                                recursive=True)
            # libfacemirror.so.0.1 (the SONAME, the name the extension needs) links to
            # libfacemirror.so.0.1.0: the shortest name, copied with the file's content.
            libraries = sorted(glob.glob(os.path.join(stage, "**", "libfacemirror.so.*"),
                                         recursive=True), key=len)
            if len(modules) != 1 or not libraries:
                raise RuntimeError(f"{build_dir} installs no one extension for this Python "
                                   f"({suffix}) and its library: {modules} {libraries}")
            for built in (modules[0], libraries[0]):
                shutil.copy2(built, package)
        shutil.copy2(os.path.join(ROOT, "python", "facemirror", "__init__.py"), package)
        # The models are not in the wheel: the script that provisions and checks them is, with
        # its checksum list beside it (where the script looks when it is not in a checkout).
        shutil.copy2(os.path.join(ROOT, "scripts", "fetch_models.sh"), package)
        shutil.copy2(os.path.join(ROOT, "models", "openface-2.2.0.sha256"), package)


class binary_distribution(Distribution):
    def has_ext_modules(self):  # a platform wheel: the extension is built for this Python
        return True


minor = f"{sys.version_info.major}.{sys.version_info.minor}"
os.makedirs(SETUPTOOLS_DIR, exist_ok=True)
setup(
    version=project_version(),
    packages=["facemirror"],
    package_dir={"": "python"},
    python_requires=f"=={minor}.*",
    cmdclass={"build_py": build_with_cmake},
    distclass=binary_distribution,
    options={"egg_info": {"egg_base": SETUPTOOLS_DIR},
             "build": {"build_base": os.path.join(SETUPTOOLS_DIR, "build")}},
)
