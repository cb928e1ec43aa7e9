"""Installation files: install script, systemd unit, Mosquitto config (data, no code)."""
