"""Print the Python requirements of what the Home Assistant test loads; run with Home Assistant's Python.

Home Assistant installs an integration's requirements when it first sets it up; the
test starts it with --skip-pip (no installing while a test runs), so `make
test-homeassistant` installs them beforehand: those of the integrations every Home
Assistant sets up, of the ones the test's configuration names, and of their dependencies.
"""

import json
from pathlib import Path

from homeassistant import bootstrap, components

TESTED = {"mqtt", "api", "auth", "config", "device_automation", "sensor", "binary_sensor", "event", "text", "number"}


def manifest(domain: str) -> dict:
    return json.loads((Path(components.__path__[0]) / domain / "manifest.json").read_text())


def requirements(domains: set[str]) -> set[str]:
    wanted, seen = set(), set()
    todo = list(domains)
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        found = manifest(domain)
        wanted.update(found.get("requirements", []))
        todo.extend(found.get("dependencies", []))
    return wanted


if __name__ == "__main__":
    started = (
        bootstrap.CORE_INTEGRATIONS
        | bootstrap.LOGGING_AND_HTTP_DEPS_INTEGRATIONS
        | bootstrap.FRONTEND_INTEGRATIONS
        | bootstrap.DEFAULT_INTEGRATIONS
        | TESTED
    )
    print("\n".join(sorted(requirements(started))))
