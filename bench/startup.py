"""Start-up (issue 17): wall time of `ledgerport --help` and `ledgerport plugins`, against a bare interpreter.

A user's shell, a cron line and every `sync --all` worker pay this before any request. Each command
runs as a user runs it, through the installed `ledgerport` script, with every installed plugin
loaded (as by default) and with bytecode caching on: one untimed run first writes the `.pyc` files
an installed package has anyway, so the figure is not the compiler's. The floor is `python -c pass`.
Target: at most 0.25 s each.

    uv run python bench/startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from _sandboxes import machine, median, run, table

TARGET_SECONDS = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command; the median is printed")
    args = parser.parse_args()
    unset = ("LEDGERPORT_PLUGINS", "PYTHONDONTWRITEBYTECODE")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    script = shutil.which("ledgerport", path=os.path.dirname(sys.executable))
    if script is None:
        raise SystemExit("no ledgerport script beside this interpreter: run it with `uv run python bench/startup.py`")
    commands = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "ledgerport --help": [script, "--help"],
        "ledgerport plugins": [script, "plugins"],
    }
    rows = []
    for label, command in commands.items():
        run(command, env)  # writes the bytecode caches
        seconds = median([run(command, env)[0] for _ in range(args.rounds)])
        verdict = "" if command[0] == sys.executable else ("met" if seconds <= TARGET_SECONDS else "missed")
        rows.append([label, f"{seconds:.3f}", verdict])
    print(f"Start-up, median of {args.rounds} runs; {machine()}\n")
    print(table(["command", "seconds", f"≤ {TARGET_SECONDS} s"], rows))


if __name__ == "__main__":
    main()
