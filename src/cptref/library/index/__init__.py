"""library/index."""
