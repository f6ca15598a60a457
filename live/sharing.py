"""Field metadata that lets alike subscribers share one execution (live/shared.py):
a subscription whose events depend on the viewer's role alone, and a field whose value depends
on who the viewer is. A field that reads the viewer must carry PER_VIEWER
(tests/live/test_shared_subscriptions.py checks)."""

from __future__ import annotations

SHARED_BY_ROLE_KEY = "mentori.shared_by_role"
PER_VIEWER_KEY = "mentori.per_viewer"

SHARED_BY_ROLE = {SHARED_BY_ROLE_KEY: True}
PER_VIEWER = {PER_VIEWER_KEY: True}
