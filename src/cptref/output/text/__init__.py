"""output/text."""
