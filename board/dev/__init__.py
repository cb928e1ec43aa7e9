"""For developers: the demo wall, scenario replay, benchmarks and a private Mosquitto for tests."""
