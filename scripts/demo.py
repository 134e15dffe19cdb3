"""The whole system in simulation on one machine (run through ``scripts/demo``).

Starts a broker from broker_config/dev, imports the demo department into
central's SQLite database, registers a device, runs ``lh-central serve`` and a
simulated Pi (``lh-device simulate``) fed a short script of taps, then shows
what central stored.  ``--interactive`` hands the device your keyboard instead, at a
``device>`` prompt: the device runs with its screen (drawn off-screen), so ``tap 04A1B2C3``,
``touch X Y``, ``screenshot FILE.png``, ``status``, ``wait S`` and ``quit`` all work (``help``
lists them); ``quit`` waits for unsent events to reach central, or says how many remain.

Central also serves the web (``serve --api-port``) with a local test identity provider
(oidc-provider-mock) for guardians and staff: the demo prints the address and what to type at
the provider's form.  Without ``--interactive`` it signs the demo guardian in over HTTP as a
smoke check and prints the overview's status.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import secrets as pysecrets
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stderr, suppress
from http.cookies import SimpleCookie
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

import httpx
from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from central.db.schema import EventRow, Guardian, Staff, StaffDepartment, Tag  # noqa: E402
from central.identity import pnr_digest  # noqa: E402
from central.store import CentralStore  # noqa: E402
from device.demo import DEMO_CSV, DEMO_STAFF, demo_tags  # noqa: E402
from protocol.tags import hash_pin, tag_digest  # noqa: E402
from provisioning.passwords import new_secret  # noqa: E402
from tests.broker import MosquittoBroker  # noqa: E402

RUN = ROOT / "demo-run"
DEVICE = "hall-solen-1"
BIN = Path(sys.executable).parent
SCRIPT = """\
wait 2
status
tap 04A1B2C3
wait 1
tap 0411223344556A
wait 1
tap 04DEAD00
wait 1
status
tap 04A1B2C3
wait 2
status
quit
"""


# Who signs in on the web, and as whom at the demo identity provider's form.
WEB_GUARDIAN = {"sub": "anna", "guardian_id": "g-anna", "pnr": "19800101-1234"}  # Alva and Noah
WEB_STAFF = {"sub": "lena", "username": "lena", "password": "solen-demo"}


def say(text: str) -> None:
    print(f"\033[1m== {text}\033[0m", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def identity_provider() -> Iterator[str]:
    """oidc-provider-mock in a thread; yields its issuer (http://localhost:PORT) with the demo
    guardian's and staff member's claims set."""
    # Its Authlib warns of its own deprecations (and forces them on): not the demo's business.
    with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        from oidc_provider_mock import run_server_in_thread
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="authlib")
    warnings.filterwarnings("ignore", message=".*deprecated.*")
    with run_server_in_thread() as server:
        issuer = f"http://localhost:{server.server_port}"
        for sub, claims in (
            (WEB_GUARDIAN["sub"], {"personal_identity_number": WEB_GUARDIAN["pnr"], "name": "Anna Svensson"}),
            (WEB_STAFF["sub"], {"staff_id": DEMO_STAFF["id"], "name": DEMO_STAFF["name"]}),
        ):
            httpx.put(f"{issuer}/users/{sub}", json=claims, timeout=10).raise_for_status()
        yield issuer


def web_env(issuer: str) -> dict[str, str]:
    env = dict(os.environ, LH_API_SECRET=pysecrets.token_urlsafe(48))
    for kind, claim in (("GUARDIAN", "personal_identity_number"), ("STAFF", "staff_id")):
        env[f"LH_OIDC_{kind}_ISSUER"] = issuer
        env[f"LH_OIDC_{kind}_CLIENT_ID"] = "lamna-hamta-demo"
        env[f"LH_OIDC_{kind}_CLIENT_SECRET"] = "demo-secret"
        env[f"LH_OIDC_{kind}_CLAIM"] = claim
    return env


def wait_for_web(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"central exited ({proc.returncode}); see {RUN / 'central.log'}")
        try:
            if httpx.get(url + "tillganglighet", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"central's web did not answer at {url}; see {RUN / 'central.log'}")


def smoke_sign_in(web: str, sub: str) -> int:
    """Sign ``sub`` in as a guardian the way a browser does (the provider's form posted, cookies
    kept by hand: httpx keeps no ``Secure`` cookie over http://, browsers do on localhost)
    and return the status of the guardian's overview, /g."""
    jars: dict[str, dict[str, str]] = {}
    with httpx.Client(timeout=15) as client:

        def request(method: str, url: str, **kw: object) -> httpx.Response:
            jar = jars.setdefault(urlsplit(url).netloc, {})
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}
            r = client.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]
            for raw in r.headers.get_list("set-cookie"):
                cookie: SimpleCookie = SimpleCookie()
                cookie.load(raw)
                for name, morsel in cookie.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        jar.pop(name, None)
                    else:
                        jar[name] = morsel.value
            return r

        r = request("GET", web + "login/guardian")
        authorize = r.headers["location"]
        request("GET", authorize)
        r = request("POST", authorize, data={"sub": sub})  # the provider's form
        r = request("GET", r.headers["location"])  # back to central's callback
        while r.status_code in (302, 303):
            r = request("GET", urljoin(str(r.url), r.headers["location"]))
        return r.status_code


INTERACTIVE_HELP = """\
device commands (the screen is 800x480, drawn off-screen: look at it with screenshot):
  tap UID              a tag on the reader (the demo tags are listed above)
  touch X Y            a finger on the screen at pixel X, Y
  screenshot FILE.png  save what the screen shows now
  status               outbox depth, roster version, connection
  wait SECONDS         pause
  reader broken|ok     pretend the tag reader fails, or works again
  quit                 send what is unsent (up to 5 s), then stop everything
Until central's roster arrives (a few seconds) every tag is unknown: the device says so."""


def interact(cmd: list[Path | str], env: dict[str, str]) -> None:
    """The device with its screen, fed from a ``device>`` prompt; ``help`` lists the commands.
    Each prompt comes after the device's answer to the last command."""
    import queue
    import threading

    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    answers: queue.Queue[str] = queue.Queue()

    def pump(stream: IO[str]) -> None:
        for out in stream:
            print(out, end="", flush=True)
            answers.put(out)

    pumper = threading.Thread(target=pump, args=(proc.stdout,), daemon=True)
    pumper.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:  # its first frame
        try:
            if answers.get(timeout=0.5).startswith("ready"):
                break
        except queue.Empty:
            pass
    print(INTERACTIVE_HELP)
    try:
        while proc.poll() is None:
            try:
                line = input("device> ").strip()
            except EOFError:
                line = "quit"
            if not line:
                continue
            if line in ("help", "?"):
                print(INTERACTIVE_HELP)
                continue
            while not answers.empty():
                answers.get_nowait()
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            word, *rest = line.split()
            if word == "quit":
                break
            pause = float(rest[0]) if word == "wait" and rest and rest[0].replace(".", "", 1).isdigit() else 0
            if word != "wait":
                with suppress(queue.Empty):
                    answers.get(timeout=5)
            time.sleep(pause)
    except (KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        if proc.poll() is None:
            try:
                proc.stdin.write("quit\n")
                proc.stdin.close()
            except BrokenPipeError:
                pass
        proc.wait(30)
        with suppress(BrokenPipeError):
            proc.stdin.close()
        pumper.join(5)  # its last words (the quit summary) before the demo goes on
        proc.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interactive", action="store_true", help="type device commands yourself")
    args = parser.parse_args()

    shutil.rmtree(RUN, ignore_errors=True)
    RUN.mkdir()
    secrets = {"central": new_secret(), "monitor": new_secret(), DEVICE: new_secret()}
    broker = MosquittoBroker(RUN / "broker", secrets)
    say(f"broker: Mosquitto on 127.0.0.1:{broker.port} (config {broker.conf.relative_to(ROOT)})")
    broker.start()
    db = f"sqlite:///{RUN / 'central.sqlite3'}"
    central = None
    stack = ExitStack()
    try:
        say("central: import the demo department")
        subprocess.run([BIN / "lh-central", "import", "--db", db, str(DEMO_CSV)], check=True)
        store = CentralStore(db)
        key = store.tag_key(create=True)
        assert key is not None
        with store.session() as s, s.begin():
            if s.get(Staff, DEMO_STAFF["id"]) is None:
                s.add(
                    Staff(id=DEMO_STAFF["id"], name=DEMO_STAFF["name"], pin_hash=hash_pin(DEMO_STAFF["pin"]))
                )
                s.flush()
                s.add(StaffDepartment(staff_id=DEMO_STAFF["id"], department_id="solen"))
                from datetime import UTC, datetime

                s.add(
                    Tag(
                        digest=tag_digest(key, DEMO_STAFF["tag"]),
                        owner_kind="staff",
                        owner_id=DEMO_STAFF["id"],
                        created_at=datetime.now(UTC),
                    )
                )
        with store.session() as s, s.begin():
            anna = s.get(Guardian, WEB_GUARDIAN["guardian_id"])
            assert anna is not None
            anna.pnr_digest = pnr_digest(key, WEB_GUARDIAN["pnr"])
            lena = s.get(Staff, DEMO_STAFF["id"])
            assert lena is not None
            lena.username = WEB_STAFF["username"]
            lena.password_hash = PasswordHasher().hash(WEB_STAFF["password"])
        store.close()
        subprocess.run(
            [BIN / "lh-central", "device", "add", DEVICE, "--department", "solen", "--db", db], check=True
        )
        subprocess.run(
            [BIN / "lh-central", "tag-key", "export", str(RUN / "tag.key"), "--db", db], check=True
        )
        pw = RUN / f"{DEVICE}.password"
        pw.write_text(secrets[DEVICE])
        os.chmod(pw, 0o600)
        cfg = RUN / "device.toml"
        cfg.write_text(
            f'device_id = "{DEVICE}"\ntag_key_file = "tag.key"\n\n[mqtt]\nurl = "{broker.url}"\n'
            f'password_file = "{pw.name}"\n\n[store]\npath = "device.sqlite3"\n'
        )
        central_pw = RUN / "central.password"
        central_pw.write_text(secrets["central"])
        issuer = stack.enter_context(identity_provider())
        say(f"identity provider: oidc-provider-mock at {issuer} (for guardians and staff)")
        api_port = free_port()
        web = f"http://localhost:{api_port}/"
        say(f"central: lh-central serve --api-port {api_port}")
        with open(RUN / "central.log", "ab") as log:
            central = subprocess.Popen(
                [
                    BIN / "lh-central",
                    "serve",
                    "--db",
                    db,
                    "--broker",
                    f"mqtt://central@127.0.0.1:{broker.port}",
                    "--password-file",
                    str(central_pw),
                    "--api-port",
                    str(api_port),
                ],
                stdout=log,
                stderr=log,
                env=web_env(issuer),
            )
        wait_for_web(web, central)
        say(f"web: open {web} in a browser")
        print(
            f"  guardian Anna Svensson (Alva, Noah): press 'Logga in med BankID', "
            f"type {WEB_GUARDIAN['sub']!r} in the provider's field, press Authorize\n"
            f"  staff Lena Pedagog: 'Logga in med ditt jobbkonto', type {WEB_STAFF['sub']!r}, "
            f"press Authorize; or user name {WEB_STAFF['username']!r}, "
            f"password {WEB_STAFF['password']!r} on 'Logga in med användarnamn och lösenord'"
        )
        if args.interactive:
            print("  the web stays up until you type 'quit' at the device below")
        say(f"device {DEVICE}: lh-device simulate --config {cfg.relative_to(ROOT)}")
        print("demo tags: " + "; ".join(f"{uid} = {who}" for uid, who in demo_tags()))
        env = dict(os.environ, SDL_VIDEODRIVER=os.environ.get("SDL_VIDEODRIVER", "dummy"))
        cmd = [BIN / "lh-device", "simulate", "--config", str(cfg), "--headless"]
        if args.interactive:
            interact([BIN / "lh-device", "simulate", "--config", str(cfg)], env)
        else:
            print(SCRIPT.replace("\n", " | "))
            subprocess.run(cmd, input=SCRIPT, text=True, check=True, env=env)
        time.sleep(1.0)
        say("central stored:")
        store = CentralStore(db, run_migrations=False)
        with store.session() as s:
            for ev in s.query(EventRow).order_by(EventRow.device_id, EventRow.seq):
                print(
                    f"  {ev.device_id} seq {ev.seq:>3} {ev.type:<9} {ev.child_id:<8} by {ev.actor_kind} "
                    f"{ev.actor_id} at {ev.occurred_at:%H:%M:%S}Z"
                )
        for d in store.devices():
            print(f"  device {d.id} ({d.department_id}) last status: {d.last_status}")
        store.close()
        if not args.interactive:
            say(f"web: sign in as {WEB_GUARDIAN['sub']!r} over HTTP (smoke check)")
            status = smoke_sign_in(web, WEB_GUARDIAN["sub"])
            print(f"  guardian overview /g: HTTP {status}")
            if status != 200:
                raise SystemExit(f"the web smoke check failed (HTTP {status}); see {RUN / 'central.log'}")
    finally:
        if central is not None:
            central.terminate()
            central.wait(10)
        stack.close()
        broker.stop()
    say(f"done; files in {RUN.relative_to(ROOT)}/ (central.log, broker/mosquitto.log)")


if __name__ == "__main__":
    main()
