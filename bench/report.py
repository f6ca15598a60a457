"""The table, the JSON and the PNG of a run."""

from __future__ import annotations

import json
import math
import os
import platform
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def machine(load_before: tuple[float, float, float]) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def public(value: Any) -> Any:
    """Results without the raw samples (those go to the plot, not the JSON)."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not k.startswith("_")}
    return value


def _ms(figures: dict[str, Any], key: str) -> str:
    value = figures.get(key)
    return "-" if value is None else f"{value:,.1f}"


def _verdict(figures: dict[str, Any], goal: str) -> str:
    met = bool(figures.get("met"))
    return f"[{'green' if met else 'red'}]{'met' if met else 'NOT met'}[/]: {goal}"


def table(results: dict[str, Any]) -> Table:
    out = Table(title=f"Mentori bench ({results['plan']}, {results['date']})")
    for column in ("scenario", "server", "throughput", "p50 ms", "p99 ms", "max ms", "notes"):
        out.add_column(column)
    scenarios = results["scenarios"]
    if search := scenarios.get("search"):
        for name in ("mentori", "baseline", "postgraphile"):
            if name not in search:
                continue
            s = search[name]
            out.add_row(
                "search",
                name,
                f"{s['requests_per_second']:,.0f} req/s",
                _ms(s, "p50_ms"),
                _ms(s, "p99_ms"),
                _ms(s, "max_ms"),
                f"CPU per request: server {s['server_cpu_ms_per_request']:.2f} ms, database "
                f"{s.get('database_cpu_ms_per_request', 0):.2f} ms; failures {s['failures']}",
            )
        out.add_row(
            "",
            "ratio",
            f"{search['throughput_ratio']:.2f} of baseline",
            "",
            "",
            "",
            f"server CPU {search.get('cpu_ratio', math.nan):.1f}x; "
            + _verdict(search, "throughput >= 0.50 of baseline"),
        )
        against = search.get("against_postgraphile") or {}
        if "skipped" in against:
            out.add_row(
                "", "postgraphile", "", "", "", "", f"[yellow]skipped[/]: {against['skipped']}"
            )
        elif against:
            checked = against["same_answers"]
            out.add_row(
                "",
                "ratio",
                f"{against['throughput_ratio']:.2f} of PostGraphile",
                "",
                "",
                "",
                f"server CPU {against['cpu_ratio']:.1f}x, database CPU "
                f"{against['database_cpu_ratio']:.2f}x; same answers to "
                f"{checked['searches']} searches: {'yes' if checked['same'] else '[red]NO[/]'}",
            )
            out.add_row(
                "",
                "",
                "",
                "",
                "",
                "",
                _verdict(against, f"req/s >= PostGraphile {against['version']}'s, CPU <= 2x"),
            )
        out.add_section()
    if fanout := scenarios.get("fanout"):
        for name in ("mentori", "baseline"):
            f = fanout[name]
            out.add_row(
                "fan-out",
                name,
                f"{f['subscribers']:,} subs, {f['events']} events",
                _ms(f, "p50_ms"),
                _ms(f, "p99_ms"),
                _ms(f, "max_ms"),
                f"delivered {100 * f['delivered_share']:.2f}%, "
                f"{f['kib_per_subscriber'] * 1.024:.1f} KB/subscriber "
                f"({f.get('kib_per_subscriber_with_setup', 0) * 1.024:.1f} with set-up)",
            )
        out.add_row(
            "",
            "ratio",
            f"p99 {fanout['p99_ratio']:.1f}x baseline",
            "",
            "",
            "",
            _verdict(fanout, "100% delivered, p99 < 250 ms, < 30 KB/sub, p99 <= 3x"),
        )
        out.add_section()
    if burst := scenarios.get("burst"):
        out.add_row(
            "burst",
            "mentori",
            f"{burst['mutations_per_second']:,.0f} mutations/s",
            _ms(burst, "p50_ms"),
            _ms(burst, "p99_ms"),
            _ms(burst, "max_ms"),
            f"{burst['students']} students -> {burst['mentors']} mentors, "
            f"{burst['matches']} matches, {burst['violations']} violations",
        )
        delivery = burst["invariants"]["delivered_to_coordinators"]
        out.add_row(
            "",
            "",
            "",
            "",
            "",
            "",
            f"event feed {delivery['feed_received']}/{delivery['events']} in order"
            + (", availability watcher ended by server" if delivery["ended_by_server"] else ""),
        )
        out.add_row("", "", "", "", "", "", _verdict(burst, "zero violations"))
    return out


def show(console: Console, results: dict[str, Any]) -> None:
    console.print(table(results))
    load = results["machine"]
    console.print(
        f"load average before {load['load_average_before'][0]}, after "
        f"{load['load_average_after'][0]} on {load['cpus']} CPUs (shared machines are noisy)"
    )


def _bins(samples: list[list[float]]) -> list[float]:
    values = [v for s in samples for v in s if v > 0]
    if not values:
        return [0.0, 1.0]
    low, high = math.log10(min(values) * 1000), math.log10(max(values) * 1000)
    steps = 60
    return [10 ** (low + (high - low + 1e-9) * i / steps) for i in range(steps + 1)]


def _legend(figures: dict[str, Any], label: str) -> str:
    server = figures.get(label)
    if not isinstance(server, dict) or "server_cpu_ms_per_request" not in server:
        return label
    return (
        f"{label}: {server['requests_per_second']:,.0f} req/s, "
        f"{server['server_cpu_ms_per_request']:.1f} ms CPU"
    )


def _search_ratios(search: dict[str, Any]) -> str:
    """Mentori's requests/s and server CPU per search, as ratios to each peer's."""
    lines = [
        f"Mentori/baseline: {search['throughput_ratio']:.2f}x req/s, "
        f"{search.get('cpu_ratio', math.nan):.1f}x CPU"
    ]
    against = search.get("against_postgraphile") or {}
    if "throughput_ratio" in against:
        lines.append(
            f"Mentori/PostGraphile: {against['throughput_ratio']:.2f}x req/s, "
            f"{against['cpu_ratio']:.1f}x CPU ({'met' if against['met'] else 'not met'})"
        )
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scenarios = results["scenarios"]
    panels = [
        (name, title, series)
        for name, title, series in (
            ("search", "search: request latency", ("mentori", "baseline", "postgraphile")),
            ("fanout", "fan-out: commit to arrival", ("mentori", "baseline")),
            ("burst", "burst: mutation latency", ("all",)),
        )
        if name in scenarios and scenarios[name].get("_samples")
    ]
    figure, axes = plt.subplots(1, max(len(panels), 1), figsize=(5.5 * max(len(panels), 1), 4))
    axes = list(axes) if len(panels) > 1 else [axes]
    for axis, (name, title, series) in zip(axes, panels, strict=False):
        samples = scenarios[name]["_samples"]
        drawn = [s for s in series if s in samples]
        bins = _bins([samples[s] for s in drawn])
        for label in drawn:
            values = [1000 * v for v in samples[label]]
            if not values:
                continue  # nothing arrived (the table says so): nothing to draw
            weights = [1 / len(values)] * len(values)  # shares, so unequal counts compare
            axis.hist(
                values,
                bins=bins,
                weights=weights,
                histtype="step",
                linewidth=1.5,
                label=_legend(scenarios[name], label),
            )
        axis.set_xscale("log")
        axis.set_xlabel("milliseconds (log scale)")
        axis.set_ylabel("share of samples")
        if name == "search":
            title += "\n" + _search_ratios(scenarios[name])
        axis.set_title(title, fontsize=9)
        axis.legend(fontsize=8)
    figure.suptitle(f"Mentori bench ({results['plan']}, {results['date']})")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def save(results: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    # The full run is the day's record; smaller runs are kept beside it, not over it.
    day = results["date"][:10] + ("" if results["plan"] == "full" else f"-{results['plan']}")
    json_path = out / f"{day}.json"
    json_path.write_text(json.dumps(public(results), indent=2) + "\n")
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # the bench group is not installed (`make bench` installs it)
        return [json_path]
    return [json_path, plot(results, out / f"{day}.png")]
