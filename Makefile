# Two commands for a fresh machine: `make demo` and `make test`.
# Everything runs from the project's own venv: on a Pi, `board` is also the name
# of Adafruit Blinka's module, and a system-wide install would shadow ours.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHECK_STAMP := $(VENV)/.check-installed
APT    := DEBIAN_FRONTEND=noninteractive apt-get -y -q
# Names in Arabic, Chinese or with an emoji: the screen falls back to these (render/text.py).
FONTS  := fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji

.PHONY: demo test test-dates test-homeassistant check format bench venv system-packages clean check-pi check-arm64

demo: $(STAMP)
	$(BIN)/wallboard demo

test: $(STAMP) system-packages
	$(BIN)/python -m pytest -q

# Slow proofs for the Pi, not part of `make test` (pyproject.toml deselects `slow`): the aarch64 pygame wheel pip would
# install has KMSDRM (downloads it), and deploy/install.sh works on arm64 Debian
# (debootstrap + qemu-user-static; root; ~15-25 minutes, see docs/install.md).
check-pi: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

check-arm64:
	deploy/check-arm64.sh

# The suite again at moments that stress the wall (tests/timeshift moves the clock
# of every Python process of the run; monotonic time stays real): just after a
# period starts (Monday 00:00:30 in Amsterdam), a period starting mid-run
# (Sunday 23:59:40), the night the clocks go back (on a machine in another time
# zone), and 29 February, all four at once. CI runs these after `make test`; the soak
# test (minutes of real time, no dates in it) runs once, in `make test`.
test-dates: $(STAMP) system-packages
	tests/timeshift/run-at-moments.sh $(BIN)/python 2027-01-03T23:00:30Z 2027-06-06T21:59:40Z \
		"2027-10-31T00:45:00Z TZ=America/Sao_Paulo" 2028-02-29T11:00:00Z

# The wall in a real Home Assistant (tests/mqtt/test_home_assistant.py): a pinned
# release in its own venv, on the Python 3.13 it needs (Debian's python3.13, or a
# pyenv build). Without one the test is skipped, saying so. Not part of `make test`:
# installing Home Assistant takes minutes.
HA_VERSION := 2025.4.4
HA_VENV    := .venv-ha
HA_STAMP   := $(HA_VENV)/.installed-$(HA_VERSION)
HA_PYTHON  ?= $(firstword $(wildcard /usr/bin/python3.13 /usr/local/bin/python3.13 $(HOME)/.pyenv/versions/3.13*/bin/python3.13))

test-homeassistant: $(STAMP) system-packages $(HA_STAMP)
	@if [ -f $(HA_STAMP) ]; then \
		WALLBOARD_HA_VENV=$(HA_VENV) $(BIN)/python -m pytest -q -m homeassistant tests/mqtt/test_home_assistant.py; \
	else \
		echo "SKIPPED: the Home Assistant test (no Python 3.13 to install Home Assistant $(HA_VERSION) with)"; \
	fi

$(HA_STAMP):
	@if [ -z "$(HA_PYTHON)" ]; then \
		echo "No Python 3.13 found for Home Assistant $(HA_VERSION) (apt-get install python3.13, or HA_PYTHON=...): its test will be skipped"; \
	else \
		rm -rf $(HA_VENV) && $(HA_PYTHON) -m venv $(HA_VENV) && \
		$(HA_VENV)/bin/python -m pip install -q --upgrade pip && \
		$(HA_VENV)/bin/python -m pip install -q homeassistant==$(HA_VERSION) && \
		$(HA_VENV)/bin/python -m pip install -q $$($(HA_VENV)/bin/python tests/mqtt/home_assistant_requirements.py) && \
		touch $@; \
	fi

# Lint, format and types: ruff over everything, mypy strict on board/core and board/wall.
check: $(CHECK_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(CHECK_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

$(CHECK_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[check]'
	touch $(CHECK_STAMP)

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
# The screen tests draw names in every script, so they need the fallback fonts.
# The harvest report tests turn its PDF into pages with poppler's pdftoppm and pdftotext.
# The company dashboard's browser test drives Debian's Chromium with Playwright (no browser download).
system-packages:
	@command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install mosquitto mosquitto-clients"; exit 1; fi; \
		apt-get update -q && $(APT) install mosquitto mosquitto-clients; }
	@[ -f /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf ] && [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] \
		&& [ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install $(FONTS)"; exit 1; fi; \
		apt-get update -q && $(APT) install $(FONTS); }
	@command -v openssl >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install openssl"; exit 1; fi; \
		apt-get update -q && $(APT) install openssl; }
	@command -v pdftoppm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install poppler-utils"; exit 1; fi; \
		apt-get update -q && $(APT) install poppler-utils; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install postgresql"; exit 1; fi; \
		apt-get update -q && $(APT) install postgresql; }
	@command -v systemd-analyze >/dev/null 2>&1 || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install systemd"; exit 1; fi; \
		apt-get update -q && $(APT) install systemd; }
	@[ -x /usr/bin/chromium ] || { \
		if [ "$$(id -u)" != 0 ]; then echo "Please run: sudo apt-get install chromium"; exit 1; fi; \
		apt-get update -q && $(APT) install chromium; }

clean:
	rm -rf $(VENV) $(HA_VENV) demo-data .pytest_cache bench-results.json
