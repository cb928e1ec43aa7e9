"""Many walls, one company view: the collector's database, the collector and its bench."""
