"""SQLite persistence: the append-only event log and what is derived from it."""
