"""The screen and the LED thermometer that mirror the wall."""
