"""Fixtures every test of the workspace shares, the core's and every plugin's: see ledgerport.testing.fixtures."""

pytest_plugins = ["ledgerport.testing.fixtures"]
