"""Shared test setup: pytester runs the plugin in temporary projects."""

pytest_plugins = ["pytester"]
