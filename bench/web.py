"""Server-rendered pages against the JSON API for the same data, under 20 signed-in sessions.

Seeds a temporary SQLite database (one department of 60 children with two guardians each, one
guardian with 3 of them; a schedule for every child, some pickup agreements and leave, check-ins
and check-outs today; a staff member in the department), starts ``lh-central api`` on a free port
and runs two phases, one per page:

- the staff day page ``GET /s/d/{department}`` against ``/staff/departments/{id}/presence``,
  ``/plan`` and ``/deviations``;
- the guardian's Översikt ``GET /g`` against ``GET /guardian/overview``.

Each phase has 20 concurrent sessions (a thread with its own ``httpx.Client``, its own web
session cookie and its own bearer token) alternating page and JSON requests, so both kinds see
the same load; a warm-up first, then a fixed number of requests of each kind.  Every response
must be 200 and every page must name a child (a broken page must not give a fast figure).

Prints the p95 (ms) of each and ``web_ratio_staff_day`` and ``web_ratio_guardian_overview``
(page p95 / JSON p95; target <= 1.5 each).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT  # puts the repository root on sys.path

SESSIONS = 20
PER_KIND = 400  # measured requests of each kind (page, JSON) per phase
WARMUP = 2  # per session and kind, before the measured run
DEPT = "d-solen"
CHILDREN = 60
STAFF_ID = "s-bench"
MULTI_GUARDIAN = "g-multi"  # guardian of children 0, 1 and 2
SECRET = "bench-web-secret-" + "x" * 32
FIRST_NAMES = ["Alva", "Elsa", "Maja", "Noah", "Liam", "Hugo", "Ella", "Wilma", "Astrid", "Olle"]
TIMES = [("06:30", "16:00"), ("07:00", "16:30"), ("07:30", "16:00"), ("08:00", "15:00"), ("08:30", "14:00")]


def _name(i: int) -> tuple[str, str]:
    return FIRST_NAMES[i % len(FIRST_NAMES)], f"Barnsson{i:02d}"


def seed(url: str) -> None:
    from central.db.schema import Staff, StaffDepartment
    from central.importer import apply, parse
    from central.planning.changes import Actor, add_agreement, add_leave, save_schedule
    from central.planning.presence import record_correction
    from central.rules import STOCKHOLM, Person
    from central.store import CentralStore

    store = CentralStore(url)
    key = store.tag_key(create=True)
    lines = [
        "department_id,department_name,child_id,child_first_name,child_last_name,guardian_id,"
        "guardian_name,guardian_phone,guardian_email,tag_uid"
    ]
    for i in range(CHILDREN):
        first, last = _name(i)
        if i < 3:  # the same guardian, name and phone on each of her children's rows
            ga, ga_name, ga_phone = MULTI_GUARDIAN, "Anna Flerbarn", "070-100 00 00"
        else:
            ga, ga_name, ga_phone = f"ga-{i}", f"Förälder A {last}", f"070-100 {i:02d} 00"
        lines.append(f"{DEPT},Solen,c-{i},{first},{last},{ga},{ga_name},{ga_phone},,")
        lines.append(f"{DEPT},Solen,c-{i},{first},{last},gb-{i},Förälder B {last},070-200 {i:02d} 00,,")
    now = dt.datetime.now(dt.UTC)
    local = now.astimezone(STOCKHOLM)
    today = local.date()
    midnight = dt.datetime.combine(today, dt.time(0, 0), STOCKHOLM).astimezone(dt.UTC)
    since_midnight = now - midnight
    admin = Actor("admin", "bench")
    with store.session() as s, s.begin():
        apply(s, parse("\n".join(lines) + "\n", key))
        s.add(Staff(id=STAFF_ID, name="Pedagog Bench"))
        s.flush()
        s.add(StaffDepartment(staff_id=STAFF_ID, department_id=DEPT))
        for i in range(CHILDREN):
            cid = f"c-{i}"
            arrive, leave = (dt.time.fromisoformat(t) for t in TIMES[i % len(TIMES)])
            week = [(arrive, leave)] * 7  # every day, so today always has a plan whatever the weekday
            save_schedule(s, admin, cid, today, None, [week], today=today, now=now)
            if i % 6 == 0:
                add_agreement(
                    s,
                    admin,
                    cid,
                    kind="pickup_by",
                    first=today,
                    last=today + dt.timedelta(days=14),
                    weekdays=None,
                    time=None,
                    person=Person("Mormor Eva", "mormor", "070-999 99 99"),
                    text=None,
                    today=today,
                    now=now,
                )
            elif i % 6 == 1:
                add_agreement(
                    s,
                    admin,
                    cid,
                    kind="early_pickup",
                    first=today,
                    last=today + dt.timedelta(days=14),
                    weekdays=None,
                    time=dt.time(14, 0),
                    person=None,
                    text=None,
                    today=today,
                    now=now,
                )
            elif i % 10 == 9:
                add_leave(
                    s,
                    admin,
                    cid,
                    first=today + dt.timedelta(days=1),
                    last=today + dt.timedelta(days=3),
                    weekdays=None,
                    text="resa",
                    today=today,
                    now=now,
                )

        # Check-ins today for 45 children (from 06:30, or earlier if the bench runs before then),
        # 12 of them gone home (at 15:00, or just before now): 15 not arrived.
        def at(hh: int, mm: int, fraction: float) -> dt.datetime:
            t = dt.datetime.combine(today, dt.time(hh, mm), STOCKHOLM).astimezone(dt.UTC)
            return t if t < now - dt.timedelta(minutes=1) else midnight + since_midnight * fraction

        for i in range(45):
            record_correction(
                s,
                child_id=f"c-{i}",
                type_="check_in",
                staff_id=STAFF_ID,
                reason="bench",
                occurred_at=at(6 + (30 + 2 * i) // 60, (30 + 2 * i) % 60, 0.2 + 0.005 * i),
                now=now,
            )
            if i % 4 == 0:
                record_correction(
                    s,
                    child_id=f"c-{i}",
                    type_="check_out",
                    staff_id=STAFF_ID,
                    reason="bench",
                    occurred_at=at(15, 0, 0.9),
                    now=now,
                )
    store.close()


def make_sessions(url: str, identity: Callable[[], object], n: int) -> list[str]:
    from central.store import CentralStore
    from central.web import sessions

    store = CentralStore(url)
    with store.session() as s, s.begin():
        tokens = [
            sessions.create(s, identity(), lang="sv", now=dt.datetime.now(dt.UTC))  # type: ignore[arg-type]
            for _ in range(n)
        ]
    store.close()
    return tokens


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    exe = shutil.which("lh-central", path=str(Path(sys.executable).parent)) or "lh-central"
    env = os.environ | {"LH_API_SECRET": SECRET, "LH_WEB_COOKIE_SECURE": "0", "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "api", "--db", url, "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise SystemExit("server did not answer in 30 s")
        time.sleep(0.1)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _get(client: httpx.Client, path: str, **headers: str) -> httpx.Response:
    r = client.get(path, headers=headers)
    if r.status_code != 200:
        raise AssertionError(f"GET {path}: {r.status_code} {r.text[:300]!r}")
    return r


def run_phase(
    base: str, cookies: list[str], tokens: list[str], page_path: str, api_paths: list[str], must_contain: str
) -> tuple[list[float], list[float]]:
    """Page and JSON latencies (seconds): SESSIONS threads alternating the two kinds."""
    per_thread = PER_KIND // SESSIONS
    page_times: list[float] = []
    api_times: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(SESSIONS)
    errors: list[BaseException] = []

    def page(client: httpx.Client, cookie: str) -> float:
        t0 = time.perf_counter()
        r = _get(client, page_path, Cookie=f"lh_session={cookie}")
        elapsed = time.perf_counter() - t0
        if must_contain not in r.text:
            raise AssertionError(f"GET {page_path}: the page does not name {must_contain!r}")
        return elapsed

    def api(client: httpx.Client, token: str) -> float:
        # One JSON "request" is every call the page's data needs, made in sequence (for the
        # staff day: presence + plan + deviations).
        t0 = time.perf_counter()
        for path in api_paths:
            r = _get(client, path, Authorization=f"Bearer {token}")
            r.json()
        return time.perf_counter() - t0

    def worker(n: int) -> None:
        try:
            with httpx.Client(base_url=base, timeout=60) as client:
                for _ in range(WARMUP):
                    page(client, cookies[n])
                    api(client, tokens[n])
                barrier.wait()
                mine_p, mine_a = [], []
                for i in range(2 * per_thread):
                    if (i + n) % 2 == 0:  # half the sessions start with the page, half with JSON
                        mine_p.append(page(client, cookies[n]))
                    else:
                        mine_a.append(api(client, tokens[n]))
                with lock:
                    page_times.extend(mine_p)
                    api_times.extend(mine_a)
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    assert len(page_times) == len(api_times) == PER_KIND
    return page_times, api_times


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)] * 1000


def main() -> None:
    from central.auth import TokenAuthority, TokenConfig
    from central.web.sessions import Identity

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        seed(url)
        staff_cookies = make_sessions(url, lambda: Identity(staff_id=STAFF_ID), SESSIONS)
        guardian_cookies = make_sessions(url, lambda: Identity(guardian_id=MULTI_GUARDIAN), SESSIONS)
        authority = TokenAuthority(TokenConfig(SECRET))
        staff_tokens = [authority.mint(STAFF_ID, "staff", departments=[DEPT]) for _ in range(SESSIONS)]
        guardian_tokens = [
            authority.mint(MULTI_GUARDIAN, "guardian", guardian_id=MULTI_GUARDIAN) for _ in range(SESSIONS)
        ]
        port = _free_port()
        proc = start_server(url, port, Path(tmp) / "server.log")
        try:
            base = f"http://127.0.0.1:{port}"
            d = f"/staff/departments/{DEPT}"
            staff_page, staff_api = run_phase(
                base,
                staff_cookies,
                staff_tokens,
                f"/s/d/{DEPT}",
                [f"{d}/presence", f"{d}/plan", f"{d}/deviations"],
                " ".join(_name(CHILDREN - 1)),
            )
            g_page, g_api = run_phase(
                base, guardian_cookies, guardian_tokens, "/g", ["/guardian/overview"], " ".join(_name(2))
            )
        finally:
            stop_server(proc)
    web_sd, api_sd = p95(staff_page), p95(staff_api)
    web_go, api_go = p95(g_page), p95(g_api)
    print(f"web_staff_day_p95_ms: {web_sd:.1f}")
    print(f"api_staff_day_p95_ms: {api_sd:.1f}")
    print(f"web_ratio_staff_day: {web_sd / api_sd:.2f}")
    print(f"web_guardian_overview_p95_ms: {web_go:.1f}")
    print(f"api_guardian_overview_p95_ms: {api_go:.1f}")
    print(f"web_ratio_guardian_overview: {web_go / api_go:.2f}")
    print(f"concurrent_sessions: {SESSIONS}")


if __name__ == "__main__":
    main()
