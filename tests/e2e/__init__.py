"""Helpers of the browser tests (tests/test_browser_*.py): the served example portal, Chromium, axe, vnu."""
