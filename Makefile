# Two commands for a fresh machine: `make demo` and `make test`.
# Everything runs from the project's own venv: on a Pi, `board` is also the name
# of Adafruit Blinka's module, and a system-wide install would shadow ours.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
APT    := DEBIAN_FRONTEND=noninteractive apt-get -y -q

.PHONY: demo test bench venv system-packages clean check-pi check-arm64

demo: $(STAMP)
	$(BIN)/wallboard demo

test: $(STAMP) system-packages
	$(BIN)/python -m pytest -q -m "not slow"

# Slow proofs for the Pi, not part of `make test`: the aarch64 pygame wheel pip would
# install has KMSDRM (downloads it), and deploy/install.sh works on arm64 Debian
# (debootstrap + qemu-user-static; root; ~15-25 minutes, see docs/install.md).
check-pi: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

check-arm64:
	deploy/check-arm64.sh

bench: $(STAMP)
	$(BIN)/wallboard bench --out bench-results.json

venv: $(STAMP)

# Debian splits venv support out of python3; install it when it is missing.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || $(MAKE) --no-print-directory apt-python-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# pygame and pygame-ce share the `pygame` folder: drop the old one before installing -ce.
	$(BIN)/python -m pip uninstall -q -y pygame 2>/dev/null || true
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

.PHONY: apt-python-venv
apt-python-venv:
	@if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install python3-venv"; exit 1; fi
	apt-get update -q && $(APT) install python3-venv

# The MQTT tests start their own Mosquitto; they only need the binary, and the
# TLS tests make their certificates with the openssl command; systemd-analyze rates the unit.
system-packages:
	@command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install mosquitto mosquitto-clients"; exit 1; fi; \
		apt-get update -q && $(APT) install mosquitto mosquitto-clients; }
	@command -v openssl >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install openssl"; exit 1; fi; \
		apt-get update -q && $(APT) install openssl; }
	@command -v systemd-analyze >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install systemd"; exit 1; fi; \
		apt-get update -q && $(APT) install systemd; }

clean:
	rm -rf $(VENV) demo-data .pytest_cache bench-results.json
