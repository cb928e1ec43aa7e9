"""The `[mqtt]` section of the wall's config file."""

import re
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# A topic we publish under: no wildcards, no empty levels, no control characters.
_TOPIC_PREFIX = re.compile(r"[^\s#+/\x00-\x1f\x7f]+(/[^\s#+/\x00-\x1f\x7f]+)*")


class TlsConfig(BaseModel):
    """Verify the broker with `ca_file`; add a client certificate if the broker asks for one."""

    model_config = ConfigDict(extra="forbid")

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> "TlsConfig":
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        return self


def bridge_base(board_id: str) -> str:
    """A bridged wall's topics: the company broker's ACL gives user <board_id> exactly this base."""
    return f"wallboard/{board_id}"


class BridgeConfig(BaseModel):
    """`[mqtt.bridge]`: the company broker this Pi's Mosquitto forwards the wall to (docs/fleet.md).

    Written by `wallboard bridge setup` (deploy/install.sh --company-broker), which also
    claims the board id there; Mosquitto's bridge section is generated from it.
    """

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, pattern=r"^[^\s:/]+$")
    port: int = Field(8883, ge=1, le=65535)
    ca_file: Path  # the company's CA: the bridge speaks TLS only
    username: str | None = Field(None, min_length=1)  # default: the board id (the company ACL's %u)
    password_file: Path
    reconnect_max_delay: int = Field(10, ge=1, le=3600)  # seconds between tries, at most, while it is away

    def user(self, board_id: str) -> str:
        return self.username or board_id

    def broker(self, board_id: str) -> "MqttConfig":
        """The company broker as a client of it sees it: TLS, this wall's user."""
        return MqttConfig(
            enabled=True,
            host=self.host,
            port=self.port,
            username=self.user(board_id),
            password_file=self.password_file,
            tls=TlsConfig(ca_file=self.ca_file),
        )


class MqttConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    host: str = "localhost"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    # A file holding only the password, so the config file itself can be world-readable.
    password_file: Path | None = None
    tls: TlsConfig | None = None
    # Default: wallboard-<board_id>-<16 random hex digits>, new at every start, so no other
    # broker user can take the wall's session over by connecting with its client id.
    client_id: str | None = Field(None, min_length=1, max_length=64)
    base_topic: str | None = Field(None, pattern=_TOPIC_PREFIX.pattern)  # default: wallboard/<board_id>
    # "auto" speaks MQTT 5 and falls back to 3.1.1 when the broker refuses 5.
    protocol: Literal["auto", "5", "3.1.1"] = "auto"
    keepalive: int = Field(30, ge=5, le=3600)
    reconnect_min_delay: float = Field(1.0, gt=0)
    reconnect_max_delay: float = Field(60.0, gt=0)
    # Requests larger than this are refused with payload_too_large (a photo travels base64 inside one).
    max_payload_bytes: int = Field(4 * 1024 * 1024, ge=1024)
    discovery: bool = True  # Home Assistant MQTT discovery
    discovery_prefix: str = Field("homeassistant", pattern=_TOPIC_PREFIX.pattern)
    # A page about this wall (its admin page, the company dashboard): Home Assistant links to it.
    discovery_configuration_url: str | None = Field(None, max_length=255, pattern=r"^https?://[^\s]+$")
    bridge: BridgeConfig | None = None  # the company broker, when the wall is part of a fleet

    @model_validator(mode="after")
    def _delays_in_order(self) -> "MqttConfig":
        if self.reconnect_min_delay > self.reconnect_max_delay:
            raise ValueError("reconnect_min_delay must not exceed reconnect_max_delay")
        if self.password_file is not None and self.username is None:
            raise ValueError("password_file needs a username")
        return self

    def topic_base(self, board_id: str) -> str:
        return self.base_topic or f"wallboard/{board_id}"

    def effective_client_id(self, board_id: str) -> str:
        """The configured client id, else an unguessable one (a session only lives as long as the process)."""
        return self.client_id or f"wallboard-{board_id}-{secrets.token_hex(8)}"

    def secure(self, client) -> None:
        """Give a paho client this broker's credentials and TLS settings."""
        if self.username is not None:
            client.username_pw_set(self.username, self.read_password())
        if self.tls is not None:
            client.tls_set(
                ca_certs=str(self.tls.ca_file),
                certfile=str(self.tls.cert_file) if self.tls.cert_file else None,
                keyfile=str(self.tls.key_file) if self.tls.key_file else None,
            )

    def read_password(self) -> str | None:
        """The password, read when connecting so a rotated file needs no config change."""
        if self.password_file is None:
            return None
        return self.password_file.read_text().strip()
