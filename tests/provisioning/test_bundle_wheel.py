"""Issue 10, task 4: a bundle made without ``--wheel`` carries the lamna-hamta wheel built from
this checkout (no package index serves it), and lh-firstboot refuses, before installing
anything, a bundle without one."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from tests.provisioning.helpers import lh, make_site, wheelhouse_args


def test_a_bundle_without_wheel_carries_one_built_from_the_checkout(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen")
    out = lh("bundle", "--site", str(site.root), "solen-1", *wheelhouse_args()).output
    assert "with lamna_hamta-" in out
    with tarfile.open(site.bundle("solen-1")) as tar:
        names = [m.name for m in tar.getmembers() if m.name.startswith("opt/lamna-hamta/dist/")]
        assert len(names) == 1 and names[0].endswith("-py3-none-any.whl"), names
        data = tar.extractfile(names[0])
        assert data is not None
        wheel = tmp_path / Path(names[0]).name
        wheel.write_bytes(data.read())
    with zipfile.ZipFile(wheel) as zf:
        files = set(zf.namelist())
        meta = zf.read(next(n for n in files if n.endswith(".dist-info/METADATA"))).decode()
    for needed in ("device/cli.py", "protocol/connection.py", "provisioning/lamna-hamta-kiosk.service"):
        assert needed in files, needed
    assert "Name: lamna-hamta" in meta and "Provides-Extra: pi" in meta and "Provides-Extra: device" in meta
    # Installs with no index at all (its dependencies: the wheelhouse, test_offline_install.py).
    target = tmp_path / "target"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-index",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert (target / "device" / "check.py").is_file()


def test_firstboot_refuses_a_bundle_without_a_wheel_before_installing(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    lh("add-device", "--site", str(site.root), "solen-1", "--department", "solen")
    lh("bundle", "--site", str(site.root), "solen-1", *wheelhouse_args())
    root = tmp_path / "pi"
    root.mkdir()
    with tarfile.open(site.bundle("solen-1")) as tar:
        tar.extractall(root, filter="tar")
    for wheel in (root / "opt/lamna-hamta/dist").glob("*.whl"):
        wheel.unlink()
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for tool in ("apt-get", "id"):  # id: the script's root check sees root; apt-get must not run
        stub = stubs / tool
        stub.write_text("#!/bin/sh\necho 0\n" if tool == "id" else "#!/bin/sh\necho APT RAN >&2\nexit 99\n")
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
    env.pop("LH_PACKAGE", None)
    env.pop("LH_SKIP_INSTALL", None)
    run = subprocess.run(
        [str(root / "usr/local/sbin/lh-firstboot"), "--root", str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert run.returncode == 1, run.stderr
    assert "the bundle carries no lamna-hamta wheel" in run.stderr and "APT RAN" not in run.stderr
