"""Illustrated portraits for the demo wall, drawn by generate.py."""
