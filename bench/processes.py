"""Separate load-generator processes, with their progress shown in this one."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Callable, Sequence
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

CONTEXT = multiprocessing.get_context("spawn")


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
    )


def run_processes(
    target: Callable[..., None],
    specs: Sequence[Any],
    *,
    description: str,
    total: float | None,
    on_message: Callable[[int, str, Any], None] | None = None,
    timeout: float = 900.0,
    progress: Progress | None = None,
) -> list[Any]:
    """Run `target(spec, queue)` in one process per spec. Each process puts ("progress", n) now
    and then and ("result", value) once at the end; other messages go to `on_message`."""
    own = progress is None
    bar = progress or progress_bar()
    if own:
        bar.start()
    task = bar.add_task(description, total=total)
    queues = [CONTEXT.Queue() for _ in specs]
    processes = [
        CONTEXT.Process(target=target, args=(spec, q), daemon=True)
        for spec, q in zip(specs, queues, strict=True)
    ]
    for process in processes:
        process.start()
    counts = [0] * len(specs)
    results: list[Any] = [None] * len(specs)
    done = [False] * len(specs)
    try:
        import time

        deadline = time.monotonic() + timeout
        while not all(done):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{description}: no result within {timeout:.0f} s")
            for index, q in enumerate(queues):
                if done[index]:
                    continue
                try:
                    kind, value = q.get(timeout=0.05)
                except queue.Empty:
                    if not processes[index].is_alive():
                        raise RuntimeError(
                            f"{description}: a load process died (exit code "
                            f"{processes[index].exitcode})"
                        ) from None
                    continue
                if kind == "progress":
                    counts[index] = int(value)
                    bar.update(task, completed=sum(counts))
                elif kind == "result":
                    results[index] = value
                    done[index] = True
                elif on_message is not None:
                    on_message(index, kind, value)
        bar.update(task, completed=total if total is not None else sum(counts))
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
        if own:
            bar.stop()
    return results
