"""The targets, and the rich tables that show every measurement next to its target."""

from __future__ import annotations

import operator

from rich.console import Console
from rich.table import Table

MiB = 2**20

# (network, contender ratio) -> minimum, by batch size (None: every batch size)
SPEED_TARGETS = {
    ("mlp", "gradcli/numpy"): {None: 0.9},
    ("lenet", "gradcli/numpy"): {None: 0.9},
    ("mlp", "gradcli/torch"): {None: 1.2},
    ("lenet", "gradcli/torch"): {64: 0.8, 256: 0.6},
}
E2E_TARGET = 0.9  # trainer end to end / bare step, at least
MEMORY_TARGET = 2.0  # LeNet step peak / (activations + im2col buffers), below


def speed_target(network: str, ratio: str, batch: int) -> float | None:
    by_batch = SPEED_TARGETS.get((network, ratio), {})
    return by_batch.get(batch, by_batch.get(None))


def targets(results: dict) -> list[dict]:
    """Every target with its measured value and whether it is met."""
    rows = []

    def add(name, value, op, threshold):
        ok = op(value, threshold)
        sign = ">=" if op is operator.ge else "<"
        rows.append({"target": name, "measured": value, "goal": f"{sign} {threshold}", "met": ok})

    for r in results.get("training", []):
        for ratio, s in r["ratios"].items():
            t = speed_target(r["network"], ratio, r["batch"])
            if t is not None:
                add(f"{r['network']} batch {r['batch']}: {ratio}", s["median"], operator.ge, t)
    if "e2e" in results:
        add("trainer end to end / bare step", results["e2e"]["ratio"]["median"], operator.ge,
            E2E_TARGET)  # fmt: skip
    if "memory" in results:
        m = results["memory"]
        add(f"LeNet step peak / (activations + im2col), batch {m['batch']}",
            m["peak_over_buffers"], operator.lt, MEMORY_TARGET)  # fmt: skip
    return rows


def _ratio_cell(s: dict, target: float | None) -> str:
    """`median (min-max) >= target`, the median green when it meets the target, else red."""
    spread = f"[dim]({s['min']:.2f}-{s['max']:.2f})[/dim]"
    if target is None:
        return f"{s['median']:.2f} {spread}"
    color = "green" if s["median"] >= target else "red"
    return f"[{color}]{s['median']:.2f}[/{color}] {spread} [dim]>=[/dim] {target}"


def _mib(n: float) -> str:
    return f"{n / MiB:,.1f} MiB"


def render(results: dict, console: Console) -> None:
    env, settings = results["environment"], results["settings"]
    torch = env.get("torch")
    console.print(
        f"[bold]gradcli benchmarks[/bold]  python {env['python']}  numpy {env['numpy']} "
        f"({env['blas']}, {env['blas_threads']} BLAS threads)  {env['cpu_count']} CPUs"
    )
    console.print(f"malloc: {env.get('allocator', '?')}")
    if torch and torch.get("version"):
        console.print(
            f"PyTorch {torch['version']} CPU: torch.set_num_threads({torch['threads']}), "
            "the thread count numpy's BLAS uses"
        )
    else:
        console.print(f"PyTorch: skipped ({(torch or {}).get('skipped', 'not importable')})")
    share = env.get("other_processes_cpu_share")
    others = "" if share is None else f"; other processes used {100 * share:.0f}% of the CPUs"
    console.print(
        f"{settings['rounds']} interleaved rounds, chunks of ~{settings['chunk_s']} s; ratios are "
        "the median of per-round ratios, (min-max over rounds) dimmed. Load average "
        f"{env['loadavg_start']} at start, {env.get('loadavg_end')} at end{others}"
        + (" [yellow](the machine was busy: expect noise)[/yellow]" if env.get("busy") else "")
    )
    if results.get("training"):
        _training(results["training"], console)
    if results.get("ops"):
        _ops(results["ops"], console)
    if results.get("memory"):
        _memory(results["memory"], console)
    if results.get("e2e"):
        _e2e(results["e2e"], console)
    rows = targets(results)
    if rows:
        met = sum(r["met"] for r in rows)
        table = Table(title=f"Targets: {met} of {len(rows)} met", title_justify="left")
        for col in ("target", "measured", "goal", "met"):
            table.add_column(col, justify="left" if col == "target" else "right")
        for r in rows:
            mark = "[green]yes[/green]" if r["met"] else "[red]no[/red]"
            table.add_row(r["target"], f"{r['measured']:.2f}", r["goal"], mark)
        console.print(table)


def _training(rows, console):
    has_torch = any("torch" in r["samples_per_s"] for r in rows)
    table = Table(
        title="Training step (forward + backward + SGD momentum), samples/s", title_justify="left"
    )
    for col in ("network", "batch", "gradcli", "numpy-ref"):
        table.add_column(col, justify="right")
    if has_torch:
        table.add_column("torch", justify="right")
    table.add_column("gradcli / numpy-ref", justify="right")
    if has_torch:
        table.add_column("gradcli / torch", justify="right")
    for r in rows:
        sps, rat = r["samples_per_s"], r["ratios"]
        cells = [r["network"], str(r["batch"]), f"{sps['gradcli']:,.0f}", f"{sps['numpy']:,.0f}"]
        if has_torch:
            cells.append(f"{sps['torch']:,.0f}" if "torch" in sps else "-")
        t = speed_target(r["network"], "gradcli/numpy", r["batch"])
        cells.append(_ratio_cell(rat["gradcli/numpy"], t))
        if has_torch:
            t = speed_target(r["network"], "gradcli/torch", r["batch"])
            cells.append(_ratio_cell(rat["gradcli/torch"], t) if "gradcli/torch" in rat else "-")
        table.add_row(*cells)
    console.print(table)


def _ops(rows, console):
    table = Table(
        title=f"Per-op overhead on {rows[0]['shape'][0]}x{rows[0]['shape'][1]} float32, us per op",
        title_justify="left",
    )
    for col in ("op", "numpy", "gradcli", "gradcli (grad)", "gradcli / numpy", "(grad) / numpy"):
        table.add_column(col, justify="right")
    for r in rows:
        us, slow = r["us"], r["slowdown"]

        def fmt_us(k, us=us):
            return f"{us[k]:.1f}" if k in us else "-"

        def fmt_x(k, slow=slow):
            return f"{slow[k]['median']:.1f}x" if k in slow else "-"

        table.add_row(
            r["op"], fmt_us("numpy"), fmt_us("gradcli"), fmt_us("gradcli (grad)"),
            fmt_x("gradcli"), fmt_x("gradcli (grad)"),
        )  # fmt: skip
    console.print(table)


def _memory(m, console):
    e = m["epoch"]
    table = Table(title="Peak memory (tracemalloc)", title_justify="left")
    table.add_column("what")
    table.add_column("bytes", justify="right")
    table.add_column("note")
    ratio = m["peak_over_buffers"]
    color = "green" if ratio < MEMORY_TARGET else "red"
    b = m["batch"]
    rows = [
        (f"gradcli LeNet step, batch {b}: peak", _mib(m["gradcli_step_peak_bytes"]),
         f"[{color}]{ratio:.2f}x[/{color}] the buffers below / < {MEMORY_TARGET}x"),
        ("  activations + im2col buffers (computed)", _mib(m["activations_im2col_bytes"]),
         "every layer output, padded input, both column matrices"),
        (f"numpy-ref LeNet step, batch {b}: peak", _mib(m["numpy_ref_step_peak_bytes"]),
         f"its preallocated buffers: {_mib(m['numpy_ref_preallocated_bytes'])}"),
        (f"MNIST epoch, batch {e['batch']}: peak", _mib(e["epoch_peak_bytes"]),
         f"{e['batches']} of {e['batches_in_epoch']} batches"
         + ("" if e["whole_epoch"] else " (--quick: not the whole epoch)")),
        ("  dataset in memory (train + val)", _mib(e["dataset_bytes"]), e["data"]),
        ("  peak while loading it", _mib(e["load_peak_bytes"]), "decode + transforms"),
        ("  training peak above the dataset", _mib(e["training_peak_above_dataset_bytes"]), ""),
    ]  # fmt: skip
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _e2e(e, console):
    table = Table(
        title=f"gradcli train end to end ({e['config']}, batch {e['batch']}, {e['steps']} steps "
        f"per round), samples/s",
        title_justify="left",
    )
    cols = ("trainer, 2nd half", "bare step, 2nd half", "trainer / bare", "trainer, whole run",
            "incl. validation")  # fmt: skip
    for col in cols:
        table.add_column(col, justify="right")
    table.add_row(
        f"{e['trainer_samples_per_s']:,.0f}",
        f"{e['bare_samples_per_s']:,.0f}",
        _ratio_cell(e["ratio"], E2E_TARGET),
        f"{e['trainer_whole_run_samples_per_s']:,.0f}",
        f"{e['trainer_summary_samples_per_s']:,.0f}",
    )
    console.print(table)
    console.print(
        f"[dim]data: {e['data']}. Rates from metrics.csv: over the second half of the steps (the "
        "ratio), and over the whole run; 'incl. validation' is summary.json's epoch rate[/dim]"
    )
