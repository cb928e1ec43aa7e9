"""The screen and the LED thermometer that mirror the wall."""

import os

# pygame greets on stdout when imported; `wallboard bench` and `demo --headless` print JSON there.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
