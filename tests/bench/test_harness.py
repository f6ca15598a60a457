"""The bench harness itself, run tiny: it must produce well-formed results. No timing is
asserted here; speed is what `make bench` reports."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import database, postgraphile_peer
from tests.environment import need

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.postgres
def test_a_tiny_bench_run_writes_results_for_every_scenario(tmp_path: Path) -> None:
    url = need("PostgreSQL", "TEST_DATABASE_URL")
    name = f"mentori_bench_test_{os.getpid()}"
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench",
                "--plan",
                "tiny",
                "--postgres",
                url,
                "--database",
                name,
                "--out",
                str(tmp_path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        asyncio.run(database.drop(url, name, f"{name}_seed_60_200"))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (written,) = tmp_path.glob("*.json")
    results = json.loads(written.read_text())

    search = results["scenarios"]["search"]
    assert search["same_response"], "Mentori and the baseline answered the search differently"
    for server in ("mentori", "baseline"):
        assert search[server]["count"] > 0
        assert search[server]["failures"] == 0
        assert search[server]["p50_ms"] <= search[server]["p99_ms"] <= search[server]["max_ms"]
    against = search["against_postgraphile"]
    if postgraphile_peer.installed():  # `make bench` installs it; the tests never do
        assert against["same_answers"]["same"], against["same_answers"]
        assert search["postgraphile"]["failures"] == 0
    else:
        assert "skipped" in against

    burst = results["scenarios"]["burst"]
    assert burst["mutations"] > 0
    assert burst["unexpected_outcomes"] == {}
    assert burst["violations"] == 0, burst["invariants"]

    fanout = results["scenarios"]["fanout"]
    for server in ("mentori", "baseline"):
        assert fanout[server]["subscribers"] > 0
        assert fanout[server]["refused"] == 0
        assert fanout[server]["deliveries_expected"] > 0
        assert fanout[server]["delivered_share"] == 1.0
        assert fanout[server]["unexpected"] == 0
    assert "Mentori bench (tiny" in run.stdout
