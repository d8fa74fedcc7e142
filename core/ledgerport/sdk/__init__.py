"""What plugin authors build on: connectors and their streams, sinks, output files, sandboxes, hooks.

Import these names from `ledgerport` itself; the modules here are where they live.
"""
