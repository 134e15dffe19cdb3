"""The Pi's Python packages, downloaded on the laptop so first boot installs offline (issue 10).

A *wheelhouse* is a folder of wheels and sdists from which ``lh-firstboot`` runs
``pip install --no-index --find-links WHEELHOUSE lamna_hamta-….whl[device,pi]``.  It holds:

- the binary wheels of the package's dependencies (``[device]``) for the Pi's platform;
- the sdists of what has no aarch64 wheel on PyPI and is compiled on the Pi with the
  python3-dev and gcc that first boot installs: the ``[pi]`` extra (spidev, evdev) and RPi.GPIO;
- what building those takes (setuptools, wheel, from their pyproject.toml) and pip itself;
- ``mfrc522==0.0.7`` (installed ``--no-deps``) and both GPIO libraries (rpi-lgpio for a Pi 5,
  RPi.GPIO otherwise: the model is known only on the Pi).

``pip download --platform`` picks the Pi's wheels but evaluates environment markers for *this*
machine (``platform_machine == "aarch64"``, ``sys_platform``, ``python_version``), so
:func:`resolve` walks the wheelhouse's metadata with the Pi's markers and tags, and
:func:`fill` downloads whatever it reports missing until nothing is.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags, sys_tags
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from provisioning.site import ProvisionError

#: Raspberry Pi OS Bookworm's python3 (the venv first boot makes uses it).
PI_PYTHON = "3.11"
#: Bookworm's glibc is 2.36: the Pi's pip takes manylinux_2_17 … manylinux_2_36 wheels (lgpio, for
#: one, ships only manylinux_2_34).
PI_GLIBC_MINORS = range(36, 16, -1)
#: The extras lh-firstboot installs; the ``pi`` ones are compiled on the Pi.
EXTRAS = ("device", "pi")
COMPILED_EXTRA = "pi"
#: Beside the package (docs/provisioning.md): mfrc522 alone, because its metadata pins RPi.GPIO,
#: and the GPIO library for the Pi's model.
MFRC522 = "mfrc522==0.0.7"
GPIO_PI5 = "rpi-lgpio"
GPIO_OTHER = "RPi.GPIO"
#: No wheel on PyPI: compiled on the Pi.
SOURCE_ONLY = (GPIO_OTHER,)
#: pip upgrades itself from the wheelhouse; setuptools and wheel build the sdists.
TOOLS = ("pip", "setuptools", "wheel")
#: pip's build requirements for an sdist without a pyproject.toml.
LEGACY_BUILD = ("setuptools>=40.8.0", "wheel")


@dataclass(frozen=True, slots=True)
class Target:
    """Where the wheelhouse will be installed: the Pi (``python`` is its CPython ``X.Y``), or this
    machine when ``native`` (tests: the same install path, runnable here)."""

    python: str = PI_PYTHON
    native: bool = False

    def __post_init__(self) -> None:
        if not self.native and not re.fullmatch(r"3\.\d{1,2}", self.python):
            raise ProvisionError(f"--pi-python takes a version like 3.11, not {self.python!r}")

    @property
    def platforms(self) -> list[str]:
        return [
            *(f"manylinux_2_{minor}_aarch64" for minor in PI_GLIBC_MINORS),
            "manylinux2014_aarch64",
            "linux_aarch64",
        ]

    def pip_flags(self) -> list[str]:
        """``pip download`` flags for the target's binary wheels (with ``--only-binary=:all:``)."""
        if self.native:
            return []
        flags = [f"--platform={p}" for p in self.platforms]
        return [*flags, f"--python-version={self.python}", "--implementation=cp"]

    def tags(self) -> set[Tag]:
        if self.native:
            return set(sys_tags())
        version = tuple(int(p) for p in self.python.split("."))
        abi = f"cp{self.python.replace('.', '')}"
        return {
            *cpython_tags(version, abis=[abi], platforms=self.platforms),
            *compatible_tags(version, interpreter=abi, platforms=self.platforms),
        }

    def environment(self) -> dict[str, str]:
        """The marker environment on the target (PEP 508)."""
        env = {key: str(value) for key, value in default_environment().items()}
        if not self.native:
            env.update(
                python_version=self.python,
                python_full_version=f"{self.python}.0",
                implementation_name="cpython",
                implementation_version=f"{self.python}.0",
                platform_python_implementation="CPython",
                platform_machine="aarch64",
                platform_system="Linux",
                sys_platform="linux",
                os_name="posix",
                platform_release="",
                platform_version="",
            )
        return env

    def describe(self) -> str:
        return "this machine" if self.native else f"CPython {self.python} on 64-bit Raspberry Pi OS"


@dataclass(frozen=True, slots=True)
class _File:
    path: Path
    name: NormalizedName
    version: Version
    wheel: bool


@dataclass(slots=True)
class Resolution:
    """What the wheelhouse gives first boot: the files it will use and what it lacks."""

    used: list[Path] = field(default_factory=list)
    missing: list[tuple[Requirement, str]] = field(default_factory=list)  # (requirement, needed by)

    def describe_missing(self) -> str:
        return ", ".join(f"{req} (for {by})" for req, by in self.missing)


def _files(wheelhouse: Path, target: Target) -> dict[NormalizedName, list[_File]]:
    tags = target.tags()
    found: dict[NormalizedName, list[_File]] = {}
    for path in sorted(wheelhouse.iterdir()) if wheelhouse.is_dir() else ():
        try:
            if path.name.endswith(".whl"):
                name, version, _, file_tags = parse_wheel_filename(path.name)
                if not file_tags & tags:
                    continue
                found.setdefault(name, []).append(_File(path, name, version, True))
            elif path.name.endswith((".tar.gz", ".zip")):
                name, version = parse_sdist_filename(path.name)
                found.setdefault(name, []).append(_File(path, name, version, False))
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
    return found


def _requires(metadata: str, extras: Iterable[str], env: dict[str, str]) -> list[Requirement]:
    out = []
    for line in Parser().parsestr(metadata).get_all("Requires-Dist") or ():
        req = Requirement(line)
        if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in [*extras, ""]):
            req.marker = None
            out.append(req)
    return out


def wheel_metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        return zf.read(name).decode("utf-8")


def _build_requires(sdist: Path, env: dict[str, str]) -> list[Requirement]:
    """An sdist's build-system.requires (pip's default without a pyproject.toml)."""
    text = None
    if sdist.name.endswith(".tar.gz"):
        with tarfile.open(sdist) as tar:
            for member in tar.getmembers():
                if re.fullmatch(r"[^/]+/pyproject\.toml", member.name):
                    data = tar.extractfile(member)
                    text = data.read().decode("utf-8") if data else None
                    break
    else:
        with zipfile.ZipFile(sdist) as zf:
            name = next((n for n in zf.namelist() if re.fullmatch(r"[^/]+/pyproject\.toml", n)), None)
            text = zf.read(name).decode("utf-8") if name else None
    requires = tomllib.loads(text).get("build-system", {}).get("requires") if text else None
    reqs = [Requirement(r) for r in (requires if requires is not None else LEGACY_BUILD)]
    return [r for r in reqs if r.marker is None or r.marker.evaluate({**env, "extra": ""})]


def firstboot_requirements(wheel: Path, target: Target) -> list[tuple[Requirement, str, bool]]:
    """What lh-firstboot installs: (requirement, needed by, with its dependencies)."""
    env = target.environment()
    own = [(r, wheel.name, True) for r in _requires(wheel_metadata(wheel), EXTRAS, env)]
    extra = [(Requirement(MFRC522), "lh-firstboot", False)]
    extra += [(Requirement(r), "lh-firstboot", True) for r in (GPIO_PI5, GPIO_OTHER, *TOOLS)]
    return own + extra


def resolve(wheelhouse: Path, wheel: Path, target: Target) -> Resolution:
    """Walk first boot's requirements through the wheelhouse with the target's markers and tags.

    Not pip's resolver: it takes the newest file that satisfies each requirement and follows its
    metadata, which is enough to tell whether ``pip install --no-index`` will find everything."""
    files = _files(wheelhouse, target)
    env = target.environment()
    result = Resolution()
    todo = firstboot_requirements(wheel, target)
    seen: set[tuple[str, str, frozenset[str]]] = set()
    while todo:
        req, by, follow = todo.pop()
        key = (canonicalize_name(req.name), str(req.specifier), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        candidates = [
            f for f in files.get(canonicalize_name(req.name), []) if req.specifier.contains(f.version, True)
        ]
        if not candidates:
            result.missing.append((req, by))
            continue
        best = max(candidates, key=lambda f: (f.version, f.wheel))
        if best.path not in result.used:
            result.used.append(best.path)
        if not follow:
            continue
        if best.wheel:
            deps = _requires(wheel_metadata(best.path), req.extras, env)
        else:
            deps = _build_requires(best.path, env)
        todo.extend((dep, str(best.name), True) for dep in deps)
    return result


def _pip(args: list[str], what: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", *args],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if run.returncode != 0:
        lines = [ln for ln in (run.stderr or run.stdout).strip().splitlines() if ln.startswith("ERROR")]
        lines = lines or (run.stderr or run.stdout).strip().splitlines()[-1:]
        raise _DownloadFailed(f"{what}: {' '.join(lines)[:400] or f'exit status {run.returncode}'}")


class _DownloadFailed(Exception):
    pass


def fill(wheelhouse: Path, wheel: Path, target: Target) -> Resolution:
    """Make ``wheelhouse`` hold everything first boot installs for ``wheel`` on ``target``.

    Complete already: used as it is, offline.  Otherwise ``pip download`` fills it (the network
    is needed here, never on the Pi).  Returns the complete resolution; raises ProvisionError
    saying what to run where when it cannot be completed."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    resolution = resolve(wheelhouse, wheel, target)
    if not resolution.missing:
        return resolution
    env = target.environment()
    binary = ["--only-binary=:all:", *target.pip_flags(), "-d", str(wheelhouse)]
    compiled = [
        str(Requirement(f"{r.name}{r.specifier}"))
        for r in _requires(wheel_metadata(wheel), [COMPILED_EXTRA], env)
        if r not in _requires(wheel_metadata(wheel), [], env)
    ]
    try:
        _pip(
            [*binary, f"{wheel}[{','.join(e for e in EXTRAS if e != COMPILED_EXTRA)}]", GPIO_PI5, *TOOLS],
            "the package's dependencies",
        )
        _pip([*binary, "--no-deps", MFRC522], MFRC522)
        _pip(
            ["--no-binary=:all:", "--no-deps", "-d", str(wheelhouse), *compiled, *SOURCE_ONLY],
            "the sources compiled on the Pi",
        )
        # pip evaluated markers for this machine: download what the Pi's markers add, and what
        # building the sources takes.
        for _ in range(5):
            resolution = resolve(wheelhouse, wheel, target)
            if not resolution.missing:
                break
            _pip([*binary, *(str(req) for req, _ in resolution.missing)], "what the Pi's markers add")
    except _DownloadFailed as exc:
        raise ProvisionError(
            f"could not download the Pi's Python packages into {wheelhouse} ({exc}). This needs the "
            "network (or pip's configured index). On a machine that has it, in a checkout of this "
            f"repository, run `lh-provision wheelhouse DIR{_target_flags(target)}`, copy DIR here "
            "and pass --wheelhouse DIR: bundles then need no network"
        ) from None
    finally:
        for copy in wheelhouse.glob(f"{wheel.name.split('-')[0]}-*.whl"):  # pip saved the package too
            copy.unlink()
    resolution = resolve(wheelhouse, wheel, target)
    if resolution.missing:
        raise ProvisionError(
            f"the wheelhouse {wheelhouse} still lacks {resolution.describe_missing()} for "
            f"{target.describe()}: add the files with pip download, or start from an empty folder"
        )
    return resolution


def _target_flags(target: Target) -> str:
    if target.native:
        return " --pi-platform native"
    return "" if target.python == PI_PYTHON else f" --pi-python {target.python}"
