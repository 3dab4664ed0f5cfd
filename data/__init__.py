"""Shipped data: the ANVITA case and small register subsets (see SOURCES.md)."""
