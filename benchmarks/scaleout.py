"""Beyond one server: two application servers behind HAProxy, one of them killed in the middle of the load test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python benchmarks/scaleout.py

Needs HAProxy from Debian's packages (`apt-get install haproxy`) and Redis on 127.0.0.1:6379. Builds the data set of
benchmarks/loadtest.py in the database `loadtest` and starts, each as its own process group with the production
settings (DEBUG off, plain HTTP on loopback):
- two gunicorn servers on two ports (config/gunicorn.conf.py, `--workers-per-server` workers each), sharing
  PostgreSQL, the cache in Redis (REDIS_URL, database 7, emptied first), the task queue (the database backend) and
  the directory of uploads and exports (DJANGO_DATA_DIR, a temporary directory both are given);
- one task worker (`manage.py db_worker`) for exports and other background work;
- HAProxy in front of both (least connections, health check on /healthz every second, a server marked down at its
  first refused connection, at most as many requests per server as it has workers, the rest queued in HAProxy; a
  request whose connection fails is sent to the other server, and a read that a server dropped unanswered too; a
  write that reached a server is never repeated).
Then it runs the load test's simulated users through HAProxy and, halfway through, kills the second server's whole
process group with SIGKILL (no graceful shutdown). Afterwards it reports the figures per request, the requests each
server answered (from their access logs), and looks up every acknowledged edit in the database.

Passes (exit 0) when no acknowledged edit is lost, no further write appeared, and the failed requests are at most
the requests that were in flight on the killed server (its worker count; in practice only writes fail, as HAProxy
sends the reads again). `--no-kill` runs the same without the
failure, for the throughput of two servers against the figures of benchmarks/loadtest.py.
"""

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import redis
from common import throwaway_database
from loadtest import (
    DATABASE_NAME,
    collect_static,
    free_port,
    gunicorn,
    needs_postgresql,
    options_parser,
    prepare,
    process,
    production_environment,
    report,
    run_locust,
    server_errors,
    task_worker,
    wait_until_healthy,
)

REDIS_URL = "redis://127.0.0.1:6379/7"


def haproxy_config(port: int, servers: list[int], per_server: int) -> str:
    backends = "\n".join(
        f"    server app{number} 127.0.0.1:{server} maxconn {per_server}"
        for number, server in enumerate(servers, start=1)
    )
    return f"""global
    maxconn 2000
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 180s
    timeout server 180s
    timeout queue 120s
    # A health check waits as long as a busy worker may take to answer /healthz; a dead server refuses at once.
    timeout check 5s
    # A request that never reached a server is sent again (to the other one); a read (GET, HEAD) also when the
    # server dropped it unanswered, as a killed one does: a read changes nothing. A write that reached a server is
    # never repeated: it may have been saved, and repeating it would be a second write nobody sent.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    # A connection per request: a request is never sent over a kept connection to a server that died meanwhile,
    # where it would count as reached (and a write could not be retried).
    http-reuse never
    option forwardfor

frontend web
    bind 127.0.0.1:{port}
    default_backend app

backend app
    balance leastconn
    http-request disable-l7-retry if !METH_GET !METH_HEAD
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
    # A refused connection marks the server down at once (not only after the next health checks): otherwise "least
    # connections" keeps choosing the dead server, which holds none, for every retry.
    default-server check inter 1s fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down
{backends}
"""


def answered(log: Path) -> Counter:
    """Requests a server answered, by status class, from its access log (one JSON object per line)."""
    counts = Counter()
    for line in log.read_text(encoding="utf-8").splitlines():
        if '"logger": "gunicorn.access"' in line:
            try:
                counts[f"{json.loads(line)['status'] // 100}xx"] += 1
            except (ValueError, KeyError):
                counts["?"] += 1
    return counts


def balancer_failures(log: Path) -> list[str]:
    """HAProxy's log lines (option httplog) of requests it answered with a 5xx or cut off, with its termination
    state: which server, and whether the client, the server or HAProxy ended the request."""
    failed = []
    for line in log.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        status = next((f for f in fields[5:8] if f.lstrip("-").isdigit() and len(f.lstrip("-")) <= 3), "")
        # The termination state (four characters after the status and bytes, "----" for a normal end): its first
        # says who ended the session early; a server that died after sending the headers leaves the status 200.
        state = next((f for f in fields[7:12] if len(f) == 4 and f.replace("-", "").isalpha() or f == "----"), "----")
        if status.startswith(("5", "-")) or state[0] in "SsPRIDK":
            failed.append(line)
    return failed


def main() -> int:
    parser = options_parser(__doc__.split("\n")[0])
    parser.add_argument("--workers-per-server", type=int, default=3, help="gunicorn workers per server (3)")
    parser.add_argument("--no-kill", action="store_true", help="leave both servers running")
    options = parser.parse_args()
    if not needs_postgresql():
        return 2
    if not shutil.which("haproxy"):
        print("HAProxy is missing: apt-get install haproxy")
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    redis.Redis.from_url(REDIS_URL).flushdb()

    with tempfile.TemporaryDirectory(prefix="scaleout-") as tmp, throwaway_database(DATABASE_NAME), ExitStack() as up:
        work = Path(tmp)
        shared = work / "shared"  # what a network file system would be for two machines
        shared.mkdir()
        organisation, accounts = prepare(options.preset)
        balancer_port, *ports = free_port(), free_port(), free_port()
        url = f"http://127.0.0.1:{balancer_port}"
        common = {
            "REDIS_URL": REDIS_URL,
            "DJANGO_DATA_DIR": str(shared),
            "GUNICORN_WORKERS": str(options.workers_per_server),
            "DJANGO_BEHIND_PROXY": "0",
        }
        # One environment file for all servers, as docs/betrieb.md says: the same SECRET_KEY signs every session.
        envs = [production_environment(work, port) for port in ports]
        common["SECRET_KEY"] = envs[0]["SECRET_KEY"]
        envs = [{**env, **common} for env in envs]
        collect_static(envs[0])

        servers = []
        for number, (port, env) in enumerate(zip(ports, envs, strict=True), start=1):
            server = up.enter_context(gunicorn(env, work / f"app{number}.log"))
            wait_until_healthy(f"http://127.0.0.1:{port}", server)
            servers.append(server)
        worker = up.enter_context(task_worker(envs[0], work / "worker.log"))
        config = work / "haproxy.cfg"
        config.write_text(haproxy_config(balancer_port, ports, options.workers_per_server), encoding="utf-8")
        balancer = up.enter_context(process(["haproxy", "-db", "-f", str(config)], envs[0], work / "haproxy.log"))
        wait_until_healthy(url, balancer)
        print(
            f"HAProxy on {url} before two gunicorn servers (127.0.0.1:{ports[0]}, 127.0.0.1:{ports[1]}; "
            f"{options.workers_per_server} workers each), one db_worker; shared: PostgreSQL, Redis {REDIS_URL}, "
            f"data directory {shared}; locust: {options.users} users, {options.seconds} s"
        )

        killed = {}

        def kill_halfway(seconds: int) -> None:
            if options.no_kill:
                return
            time.sleep(seconds / 2)
            os.killpg(servers[1].pid, signal.SIGKILL)
            killed["at"] = time.monotonic()
            print(f"killed server 2 (process group {servers[1].pid}, SIGKILL) after {seconds / 2:.0f} s of load")

        try:
            run = run_locust(url, envs[0], work, organisation, accounts, options, during=kill_halfway)
        except Exception:
            for name in ("haproxy.log", "app1.log", "app2.log", "worker.log"):
                print(f"--- {name}", *(work / name).read_text(encoding="utf-8").splitlines()[-15:], sep="\n")
            raise
        first_alive, worker_alive = servers[0].poll() is None, worker.poll() is None
        up.close()  # balancer, worker and servers stopped: their logs are complete

        print()
        for number in (1, 2):
            counts = answered(work / f"app{number}.log")
            state = "killed halfway" if number == 2 and killed else "running"
            print(
                f"server {number} ({state}): {sum(counts.values()):,} requests answered, {dict(sorted(counts.items()))}"
            )
        failures = balancer_failures(work / "haproxy.log")
        print(f"HAProxy: {len(failures)} requests answered with 5xx or cut off")
        for line in failures[:12]:
            print(f"  {line}")
        allowed = 0 if options.no_kill else options.workers_per_server
        return report(
            run,
            options,
            server_errors(work / "app1.log") + ([] if killed else server_errors(work / "app2.log")),
            failures_allowed=allowed,
            more_reasons=[
                ("server 1 ended during the run", not first_alive),
                ("the task worker ended during the run", not worker_alive),
            ],
        )


if __name__ == "__main__":
    sys.exit(main())
