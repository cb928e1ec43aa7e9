"""Tag readers, the scanner that debounces them, and simulated hardware."""
