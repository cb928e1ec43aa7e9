# Two commands for a fresh machine: `make demo` and `make test`.
# Everything runs from the project's own venv: on a Pi, `board` is also the name
# of Adafruit Blinka's module, and a system-wide install would shadow ours.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
APT    := DEBIAN_FRONTEND=noninteractive apt-get -y -q

.PHONY: demo test test-dates bench venv system-packages clean

demo: $(STAMP)
	$(BIN)/wallboard demo

test: $(STAMP) system-packages
	$(BIN)/python -m pytest -q

# The suite again at moments that stress the wall (tests/timeshift moves the clock
# of every Python process of the run; monotonic time stays real): just after a
# period starts (Monday 00:00:30 in Amsterdam), a period starting mid-run
# (Sunday 23:59:40), the night the clocks go back (on a machine in another time
# zone), and 29 February. CI runs these after `make test`.
test-dates: $(STAMP) system-packages
	WALLBOARD_TEST_NOW=2027-01-03T23:00:30Z $(BIN)/python -m pytest -q
	WALLBOARD_TEST_NOW=2027-06-06T21:59:40Z $(BIN)/python -m pytest -q
	WALLBOARD_TEST_NOW=2027-10-31T00:45:00Z TZ=America/Sao_Paulo $(BIN)/python -m pytest -q
	WALLBOARD_TEST_NOW=2028-02-29T11:00:00Z $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/wallboard bench --out bench-results.json

venv: $(STAMP)

# Debian splits venv support out of python3; install it when it is missing.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || $(MAKE) --no-print-directory apt-python-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

.PHONY: apt-python-venv
apt-python-venv:
	@if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install python3-venv"; exit 1; fi
	apt-get update -q && $(APT) install python3-venv

# The MQTT tests start their own Mosquitto; they only need the binary, and the
# TLS tests make their certificates with the openssl command. The harvest report
# tests turn its PDF into pages with poppler's pdftoppm and pdftotext.
system-packages:
	@command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install mosquitto mosquitto-clients"; exit 1; fi; \
		apt-get update -q && $(APT) install mosquitto mosquitto-clients; }
	@command -v openssl >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install openssl"; exit 1; fi; \
		apt-get update -q && $(APT) install openssl; }
	@command -v pdftoppm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install poppler-utils"; exit 1; fi; \
		apt-get update -q && $(APT) install poppler-utils; }

clean:
	rm -rf $(VENV) demo-data .pytest_cache bench-results.json
