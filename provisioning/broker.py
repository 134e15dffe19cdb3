"""The broker's files as data (mosquitto.conf, acl, passwd) and its reload.

The templates live in the repository's ``broker_config/`` (the production
``mosquitto.conf`` and the ``acl`` shared with the development broker), so
there is one ACL for every broker the project runs.
"""

from __future__ import annotations

import logging
import os
import signal
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
