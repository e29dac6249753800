"""Shared fixtures come from the plugin modules in tests/fixtures, one seam each."""

pytest_plugins = ["tests.fixtures.otel", "tests.fixtures.store", "tests.fixtures.provider", "tests.fixtures.sampling"]
