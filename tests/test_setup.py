"""What a newcomer meets first: `make run` with its port and the order of its steps, and the README's persona table."""

import os
import re
import subprocess
from pathlib import Path

from monitoring.demo.build import demo_usernames

ROOT = Path(__file__).resolve().parent.parent


def make_run_steps(*arguments: str) -> list[str]:
    """The commands `make run` would execute from scratch (-B: as on a fresh checkout; -n: none is executed)."""
    # Under `make test` the outer make's level and flags are in the environment: without them, and without the
    # "Entering directory" lines, the output is the same as from a shell.
    env = {name: value for name, value in os.environ.items() if name not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", "run", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


def test_make_run_serves_on_port_8000_unless_told_otherwise():
    assert make_run_steps()[-1].endswith("manage.py runserver 127.0.0.1:8000'")
    assert make_run_steps("PORT=8123")[-1].endswith("manage.py runserver 127.0.0.1:8123'")


def test_make_run_starts_the_task_worker_beside_the_server_and_stops_it_with_the_server():
    last = " ".join(make_run_steps()[-2:])  # one shell command over two lines
    assert last.index("manage.py db_worker") < last.index("manage.py runserver"), last
    assert 'trap "kill $worker' in last, last


def test_make_run_installs_the_front_end_packages_before_the_first_manage_command():
    """STATICFILES_DIRS points into node_modules: any manage.py command before `npm ci` warns staticfiles.W004."""
    steps = make_run_steps()
    npm = next(n for n, step in enumerate(steps) if step.startswith("npm ci"))
    first_manage = next(n for n, step in enumerate(steps) if "manage.py" in step)
    assert npm < first_manage, steps
    assert any("manage.py load_demo" in step for step in steps[npm:])


def persona_table() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Demo-Zugänge", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows if not set(row) <= set("|-")]


def test_the_persona_table_says_what_each_demo_user_should_try_first():
    header, *rows = persona_table()
    assert header == ["Benutzername", "Rolle", "Zuerst ausprobieren"]
    for name, role, first in rows:
        assert role and len(first) > 20, name
    named = {re.match(r"`([^`]+)`", name).group(1) for name, _, _ in rows}
    assert {"admin", "it.sr", "it.ac"} <= named
    # Each kind of account appears: the editors of both organisations by one example each.
    users = set(demo_usernames())
    assert named <= users
    assert any(name.startswith("sr.") for name in named) and any(name.startswith("ac.") for name in named)


def test_the_readme_still_starts_with_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0].startswith("make run ") and "http://127.0.0.1:8000" in block[0]
    assert block[1].startswith("make test ")
