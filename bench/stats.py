"""Latency summaries: every sample is kept, percentiles are exact."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return math.nan
    rank = max(0, min(len(sorted_values) - 1, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    """Milliseconds: count, mean, p50, p90, p99, max."""
    values = sorted(seconds)
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "mean_ms": round(1000 * sum(values) / len(values), 3),
        "p50_ms": round(1000 * percentile(values, 0.50), 3),
        "p90_ms": round(1000 * percentile(values, 0.90), 3),
        "p99_ms": round(1000 * percentile(values, 0.99), 3),
        "max_ms": round(1000 * values[-1], 3),
    }


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 3) if denominator else math.nan
