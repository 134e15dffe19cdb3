"""The whole system in simulation on one machine (run through ``scripts/demo``).

Starts a broker from broker_config/dev, imports the demo department into
central's SQLite database, registers a device, runs ``lh-central serve`` and a
simulated Pi (``lh-device simulate``) fed a short script of taps, then shows
what central stored.  ``--interactive`` hands the device your keyboard instead
(type ``tap 04A1B2C3``, ``status``, ``quit``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from central.db.schema import EventRow, Staff, StaffDepartment, Tag  # noqa: E402
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


def say(text: str) -> None:
    print(f"\033[1m== {text}\033[0m", flush=True)


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
        say("central: lh-central serve")
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
                ],
                stdout=log,
                stderr=log,
            )
        time.sleep(2.0)
        say(f"device {DEVICE}: lh-device simulate --config {cfg.relative_to(ROOT)}")
        print("demo tags: " + "; ".join(f"{uid} = {who}" for uid, who in demo_tags()))
        env = dict(os.environ, SDL_VIDEODRIVER=os.environ.get("SDL_VIDEODRIVER", "dummy"))
        cmd = [BIN / "lh-device", "simulate", "--config", str(cfg), "--headless"]
        if args.interactive:
            subprocess.run(cmd, check=True, env=env)
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
    finally:
        if central is not None:
            central.terminate()
            central.wait(10)
        broker.stop()
    say(f"done; files in {RUN.relative_to(ROOT)}/ (central.log, broker/mosquitto.log)")


if __name__ == "__main__":
    main()
