"""A real Home Assistant for tests: its own venv (`make test-homeassistant`), config dir and port.

It runs as a separate process on Python 3.13 with the MQTT integration set up through
its own config flow, logs in a user made with `hass --script auth`, and is read through
its REST API; device triggers, which only the websocket API lists, are asked for by a
short script run with Home Assistant's own Python (aiohttp is there).
"""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from board.dev.broker import Mosquitto, free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("WALLBOARD_HA_VENV", ROOT / ".venv-ha"))
PYTHON = VENV / "bin" / "python"
USER, PASSWORD = "wall-test", "wall-test-secret"
CLIENT_ID = "http://127.0.0.1/"  # any URL: the login flow wants one

CONFIGURATION = """\
homeassistant:
  name: Test home
  unit_system: metric
  time_zone: {time_zone}
  latitude: 52.37
  longitude: 4.89
  elevation: 0
http:
  server_host: 127.0.0.1
  server_port: {port}
auth:
api:
config:
device_automation:
logger:
  default: info
"""

_WEBSOCKET_QUERY = """
import asyncio, json, sys
import aiohttp

async def main(url, token, command):
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, **json.loads(command)})
        print(json.dumps(await ws.receive_json()))

asyncio.run(main(*sys.argv[1:]))
"""


def installed() -> bool:
    return PYTHON.exists()


class HomeAssistant:
    def __init__(self, directory: Path, time_zone: str):
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = directory / "home-assistant.log"
        self.token: str | None = None
        self._process: subprocess.Popen | None = None
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "configuration.yaml").write_text(CONFIGURATION.format(port=self.port, time_zone=time_zone))

    def start(self, timeout: float = 300) -> "HomeAssistant":
        subprocess.run(
            [PYTHON, "-m", "homeassistant", "--script", "auth", "-c", self.directory, "add", USER, PASSWORD],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        self._process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "homeassistant",
                "-c",
                self.directory,
                "--skip-pip",
                "--log-file",
                self.log_file,
                "--log-no-color",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while self.token is None:
            if self._process.poll() is not None:
                raise RuntimeError(f"Home Assistant stopped at start; see {self.log_file}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"Home Assistant did not start in {timeout} s; see {self.log_file}")
            try:
                self.token = self._log_in()
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        self.wait_until(lambda: self.get("/api/config")["state"] == "RUNNING", timeout, "Home Assistant running")
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    # -- HTTP ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None, form: dict | None = None) -> Any:
        headers = {}
        data = None
        if form is not None:
            data = "&".join(f"{key}={urllib.request.quote(str(value))}" for key, value in form.items()).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self._request("POST", path, body)

    def _log_in(self) -> str:
        flow = self.post(
            "/auth/login_flow", {"client_id": CLIENT_ID, "handler": ["homeassistant", None], "redirect_uri": CLIENT_ID}
        )
        done = self.post(
            f"/auth/login_flow/{flow['flow_id']}", {"client_id": CLIENT_ID, "username": USER, "password": PASSWORD}
        )
        tokens = self._request(
            "POST",
            "/auth/token",
            form={"grant_type": "authorization_code", "code": done["result"], "client_id": CLIENT_ID},
        )
        return tokens["access_token"]

    def websocket(self, command: dict[str, Any]) -> Any:
        """One websocket API command's result."""
        done = subprocess.run(
            [
                PYTHON,
                "-c",
                _WEBSOCKET_QUERY,
                f"ws://127.0.0.1:{self.port}/api/websocket",
                self.token,
                json.dumps(command),
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        answer = json.loads(done.stdout)
        assert answer["success"], answer
        return answer["result"]

    # -- what a user does -----------------------------------------------------------------

    def add_mqtt(self, broker: Mosquitto, user: str = "homeassistant") -> None:
        """Set up the MQTT integration the way the UI does: its config flow."""
        flow = self.post("/api/config/config_entries/flow", {"handler": "mqtt", "show_advanced_options": False})
        done = self.post(
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {"broker": broker.host, "port": broker.port, "username": user, "password": broker.users[user]},
        )
        assert done["type"] == "create_entry", done

    def states(self) -> dict[str, dict[str, Any]]:
        return {state["entity_id"]: state for state in self.get("/api/states")}

    def state(self, entity_id: str) -> dict[str, Any]:
        return self.get(f"/api/states/{entity_id}")

    def call(self, domain: str, service: str, **data: Any) -> None:
        self.post(f"/api/services/{domain}/{service}", data)

    def template(self, template: str) -> str:
        request = urllib.request.Request(
            self.url + "/api/template",
            data=json.dumps({"template": template}).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode()

    def wait_until(self, condition, timeout: float = 30, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if condition():
                    return
            except (urllib.error.URLError, KeyError, TypeError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"Home Assistant: {what}")
            time.sleep(0.2)

    def log_mark(self) -> int:
        """Where the log ends now, to read only what comes after."""
        return self.log_file.stat().st_size

    def mqtt_log_problems(self, since: int = 0) -> list[str]:
        """Lines (after `since`) in which the MQTT integration, or a template (all are the wall's), warns or errs."""
        with self.log_file.open("rb") as log:
            log.seek(since)
            lines = log.read().decode("utf-8", "replace").splitlines()
        return [
            line
            for line in lines
            if (" WARNING " in line or " ERROR " in line)
            and ("[homeassistant.components.mqtt" in line or "[homeassistant.helpers.template]" in line)
        ]
