"""The broker's files as data (mosquitto.conf, acl, passwd) and its reload.

The templates live in the repository's ``broker_config/`` (the production
``mosquitto.conf`` and the ``acl`` shared with the development broker), so
there is one ACL for every broker the project runs.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
from pathlib import Path
from string import Template

from provisioning.passwords import hash_password, render_password_file
from provisioning.site import ProvisionError

logger = logging.getLogger(__name__)

_REPO = Path(__file__).resolve().parent.parent
BROKER_CONFIG = Path(os.environ.get("LH_BROKER_CONFIG_DIR", _REPO / "broker_config"))


def _template(name: str) -> str:
    path = BROKER_CONFIG / name
    try:
        return path.read_text()
    except OSError:
        raise ProvisionError(
            f"{path} not found: run lh-provision from a checkout of the repository "
            "or set LH_BROKER_CONFIG_DIR to its broker_config folder"
        ) from None


def render_mosquitto_conf(*, broker_dir: str, port: int, user: str) -> str:
    """SITE/broker/mosquitto.conf: the production template with absolute paths filled in."""
    if not broker_dir.startswith("/"):
        raise ProvisionError(f"broker folder {broker_dir!r} must be an absolute path")
    for value in (broker_dir, user):
        if any(c.isspace() for c in value):
            raise ProvisionError(f"{value!r}: Mosquitto's config cannot hold spaces in paths or names")
    return Template(_template("mosquitto.conf")).substitute(dir=broker_dir.rstrip("/"), port=port, user=user)


def render_acl() -> str:
    """The project's ACL, unchanged (broker_config/acl)."""
    return _template("acl")


GUARD_SOURCE = "lh_guard.c"
GUARD_LIBRARY = "lh_guard.so"


def guard_source() -> str:
    """The broker plugin's C source (broker_config/lh_guard.c): copied into every site."""
    return _template(GUARD_SOURCE)


def build_guard(broker_folder: Path, compiler: str | None = None) -> Path:
    """Compile ``broker_folder/lh_guard.c`` into ``lh_guard.so`` next to it, for this machine.

    The config loads it from the broker folder and Mosquitto refuses to start without
    it, so a broker on another host (another architecture) needs it built there:
    ``lh-provision update-broker`` or the ``cc`` line in the source's header.
    """
    source = broker_folder / GUARD_SOURCE
    if not source.is_file():
        raise ProvisionError(
            f"{source} not found: run lh-provision init-site (or copy broker_config/{GUARD_SOURCE})"
        )
    cc = compiler or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise ProvisionError(
            "no C compiler here (apt-get install gcc): build the broker guard where the broker runs with "
            f"cc -shared -fPIC -O2 -o {GUARD_LIBRARY} {GUARD_SOURCE}"
        )
    target = broker_folder / GUARD_LIBRARY
    tmp = broker_folder / f".{GUARD_LIBRARY}.tmp"
    result = subprocess.run(
        [cc, "-shared", "-fPIC", "-O2", "-Wall", "-o", str(tmp), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ProvisionError(f"building {target} failed: {result.stderr.strip()[-500:]}")
    os.chmod(tmp, 0o644)
    os.replace(tmp, target)
    logger.info("built %s", target)
    return target


def parse_password_file(text: str) -> dict[str, str]:
    """``user:hash`` lines -> {user: hash}; blank lines and comments are skipped."""
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, encoded = line.partition(":")
        if not sep or not name:
            raise ProvisionError(f"password file line {number}: not 'user:hash'")
        users[name] = encoded
    return users


def with_password(passwd_text: str, user: str, password: str) -> str:
    """The password file with ``user`` (added or replaced) hashed in Mosquitto's $7$ format."""
    users = parse_password_file(passwd_text)
    users[user] = hash_password(password)
    return render_password_file(users)


def without_user(passwd_text: str, user: str) -> str:
    """The password file without ``user`` (unchanged if absent)."""
    users = parse_password_file(passwd_text)
    users.pop(user, None)
    return render_password_file(users)


def reload_broker(pid_file: Path) -> int | None:
    """SIGHUP the Mosquitto whose pid is in ``pid_file``: it rereads passwd, ACL and CRL.

    Returns the pid signalled, or None when no broker runs from that pid file.
    """
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return None
    except PermissionError as exc:
        raise ProvisionError(f"cannot signal the broker (pid {pid} from {pid_file}): {exc}") from None
    logger.info("sent SIGHUP to broker pid %s", pid)
    return pid


def grant_broker_user(broker_folder: Path, user: str) -> list[str]:
    """Run as root for a broker on this machine: let Mosquitto's run-as ``user`` do what it does
    after it drops root (issue 10): write its pid file and ``data/``, and read ``passwd``
    (again at every reload) and the server key (Mosquitto 2.0.11 loads it after the switch):
    both become the user's, mode 0600, as docs/broker.md has them on a server (newer
    Mosquittos warn about key files that others can read or that the user does not own).
    Config, ACL and certificates are world-readable already.  Returns what the technician
    must do first, if anything ([] if fine).

    Call it again after every rewrite of ``passwd`` (a new file is root's, mode 0600)."""
    import pwd
    import stat

    if os.geteuid() != 0:
        return []  # Mosquitto started by this user cannot switch users and stays this user
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return [
            f"there is no user {user!r} on this machine, and Mosquitto started as root switches to it: "
            f"install mosquitto (it creates the user), or init-site again with --broker-user NAME"
        ]
    if account.pw_uid == 0:
        return []
    uid, gid = account.pw_uid, account.pw_gid
    pid_file = broker_folder / "mosquitto.pid"
    pid_file.touch(mode=0o644, exist_ok=True)
    os.chown(pid_file, uid, gid)
    data = broker_folder / "data"
    data.mkdir(exist_ok=True)
    os.chown(data, uid, gid)
    for child in data.iterdir():  # persistence saved while the broker ran as root
        os.chown(child, uid, gid)
    for secret in (broker_folder / "passwd", broker_folder / "certs" / "server.key"):
        if secret.exists():
            os.chown(secret, uid, gid)
            secret.chmod(0o600)
    todo: list[str] = []
    for folder in [broker_folder, *broker_folder.parents]:
        st = folder.stat()
        if st.st_mode & stat.S_IXOTH or (st.st_gid == gid and st.st_mode & stat.S_IXGRP):
            continue
        todo.append(
            f"Mosquitto runs as {user!r} after it starts and cannot enter {folder} (mode "
            f"{stat.S_IMODE(st.st_mode):o}): `chmod o+x {folder}`, or keep the site folder elsewhere"
        )
        break
    return todo
