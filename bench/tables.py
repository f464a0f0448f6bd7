"""How the side-by-side benchmarks print: one line per run as it finishes, markdown tables at the end.

bench/throughput.py and bench/remote.py measure different things but report them the
same way: each row is a dict with ``database``, ``test``, a count of processes and one
dict of measures per system (``somatize``, ``optuna``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

SYSTEMS = ("somatize", "optuna")


def fmt(value, spec=".0f") -> str:
    return "-" if value is None else format(value, spec)


def print_row(row: dict, processes: str, describe: Callable[[dict], str]) -> None:
    """``sqlite   trivial    K=4 | somatize ... | optuna ...``: each system's measures as ``describe`` says them."""
    parts = [f"{row['database']:8} {row['test']:10} K={row[processes]}"]
    parts += [f"{system} {describe(row[system])}" for system in SYSTEMS if system in row]
    print(" | ".join(parts), flush=True)


def table(title: str, columns: list[str], lines: Iterable[list[str]]) -> list[str]:
    """A titled markdown table, as lines (a blank line before the title and after it)."""
    out = ["", title, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(cells) + " |" for cells in lines]
    return out
