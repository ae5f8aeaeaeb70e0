"""Compare the packages installed in this interpreter with a lock file (requirements/*.txt).

Prints one line per package whose installed version is not the locked one, or that the lock
pins and is missing, and exits 1 if there is any. `make test-latest` prints what the newest
releases changed; the tests use it to check that the locked environment is the tested one.
"""

import argparse
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def locked_versions(lock: Path) -> dict[str, str]:
    """The `name==version` pins of a lock file, by canonical name."""
    pins = {}
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def installed_versions() -> dict[str, str]:
    """The distributions importable by this interpreter, by canonical name."""
    return {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}


def differences(lock: Path) -> list[str]:
    """One line per locked package whose installed version differs from its pin."""
    installed = installed_versions()
    lines = []
    for name, pinned in sorted(locked_versions(lock).items()):
        found = installed.get(name)
        # A local version label (2.11.0+cpu from PyTorch's own index) is the same release.
        if found is None or found.split("+", 1)[0] != pinned:
            lines.append(f"{name}: locked {pinned}, installed {found or 'nothing'}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock", type=Path)
    lines = differences(parser.parse_args().lock)
    print("\n".join(lines) or "the installed packages are the locked ones")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
