"""`python -m benchmarks.load`: training throughput next to busy processes, against idle.

A user's machine is rarely idle. This runs `gradcli train` as a user would (a subprocess, the
CLI's own thread policy) on a small CNN config, alone and next to 1 and 2 busy processes
(Python loops spinning on a core), with the default `--threads auto` and with fixed counts
for comparison. Rounds are interleaved: each round runs every setting idle and loaded back to
back, so a drift of the machine hits all of them; the ratio loaded / idle is taken within a
round, and the table shows its median and range over rounds.

    python -m benchmarks.load --rounds 3 --steps 150
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "quickstart.yaml"
SPIN = "while True: pass"


def _train(threads: str, steps: int, folder: Path) -> float:
    """samples/s of one training run (its summary.json: the whole run, validation included)."""
    run = folder / f"run{len(list(folder.iterdir()))}"
    cmd = [sys.executable, "-m", "gradcli", "train", str(CONFIG), "--quiet"]
    cmd += ["--run-dir", str(run), "--threads", threads]
    cmd += ["--set", f"train.steps={steps}", "--set", "train.epochs=null"]
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return json.loads((run / "summary.json").read_text())["samples_per_s"]


def _busy(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n)]


def measure(settings: list[str], neighbours: list[int], rounds: int, steps: int) -> dict:
    ratios = {(s, n): [] for s in settings for n in neighbours}
    idle = {s: [] for s in settings}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for r in range(rounds):
            order = settings[r % len(settings) :] + settings[: r % len(settings)]
            for s in order:
                alone = _train(s, steps, folder)
                idle[s].append(alone)
                for n in neighbours:
                    procs = _busy(n)
                    try:
                        ratios[(s, n)].append(_train(s, steps, folder) / alone)
                    finally:
                        for p in procs:
                            p.kill()
                            p.wait()
                print(f"round {r + 1}/{rounds} threads {s}: idle {alone:.0f}/s, loaded/idle "
                      + ", ".join(f"{n} busy {ratios[(s, n)][-1]:.2f}" for n in neighbours),
                      file=sys.stderr)  # fmt: skip
    return {"idle": idle, "ratios": {f"{s}|{n}": v for (s, n), v in ratios.items()}}


def table(result: dict, settings: list[str], neighbours: list[int]) -> str:
    head = "| --threads | idle samples/s | " + " | ".join(
        f"next to {n} busy / idle" for n in neighbours
    )
    lines = [head + " |", "|" + " --- |" * (2 + len(neighbours))]
    for s in settings:
        idle = result["idle"][s]
        cells = [f"{statistics.median(idle):,.0f} ({min(idle):,.0f}-{max(idle):,.0f})"]
        for n in neighbours:
            v = result["ratios"][f"{s}|{n}"]
            cells.append(f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})")
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--threads", default="auto,1,2", help="settings to compare, comma-separated")
    p.add_argument("--busy", default="1,2", help="numbers of busy neighbours, comma-separated")
    p.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    args = p.parse_args()
    settings = args.threads.split(",")
    neighbours = [int(n) for n in args.busy.split(",")]
    result = measure(settings, neighbours, args.rounds, args.steps)
    result["cores"] = len(os.sched_getaffinity(0))
    print(f"{result['cores']} cores, {CONFIG.name}, {args.steps} steps per run")
    print(table(result, settings, neighbours))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
