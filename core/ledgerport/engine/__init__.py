"""The engine: settings, plugin loading, the state store and the sync loop that drives connectors into sinks."""
