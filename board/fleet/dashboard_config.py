"""The company dashboard's config file: who may look, in which language, and how walls are grouped.

Passwords and tokens are kept only as hashes (`wallboard fleet password` and
`wallboard fleet token` print the lines to paste), so the file does not give
access to whoever reads it.
"""

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from werkzeug.security import check_password_hash, generate_password_hash

from board.app.config import read_config_text, validate_toml
from board.core.settings import known_timezone

DEFAULT_DASHBOARD_CONFIG = "fleet-dashboard.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class User(_Section):
    name: str = Field(min_length=1, max_length=64)
    password_hash: str = Field(min_length=20, description="from `wallboard fleet password NAME`")


class DashboardConfig(_Section):
    title: str = Field(default="Polaroid Wall", min_length=1, max_length=80)
    language: Literal["nl", "en"] = "nl"
    timezone: str = "Europe/Amsterdam"  # how the dashboard tells the time, and the harvest's days
    quiet_hours: float = Field(default=24.0, gt=0, le=24 * 30, description="a wall without events this long is quiet")
    goal_per_person_per_week: float = Field(
        default=2.0, gt=0, le=1000, description="the ranking's yardstick: confirmed attempts per person per week"
    )
    secret_key: str | None = Field(
        default=None, min_length=32, description="signs the login cookie; default: a new one at every start"
    )
    users: list[User] = []
    token_hashes: list[str] = Field(default=[], description="SHA-256 (hex) of each token; `wallboard fleet token`")
    locations: dict[str, list[str]] = Field(default={}, description="location name -> its walls' board ids")

    _known_timezone = field_validator("timezone")(known_timezone)

    @field_validator("token_hashes")
    @classmethod
    def _hex_digests(cls, hashes: list[str]) -> list[str]:
        for digest in hashes:
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError("each token hash is 64 lower-case hex characters (SHA-256)")
        return hashes

    @model_validator(mode="after")
    def _someone_may_look(self) -> "DashboardConfig":
        """A read-only page is still the company's data: never serve it without a login or a token."""
        if not self.users and not self.token_hashes:
            raise ValueError("no [[users]] and no token_hashes: nobody could log in (wallboard fleet password NAME)")
        names = [user.name for user in self.users]
        if len(set(names)) != len(names):
            raise ValueError("a user name appears twice")
        walls = [board_id for board_ids in self.locations.values() for board_id in board_ids]
        if twice := sorted({board_id for board_id in walls if walls.count(board_id) > 1}):
            raise ValueError(f"walls in two locations: {', '.join(twice)}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def location_of(self, board_id: str) -> str | None:
        return next((name for name, walls in self.locations.items() if board_id in walls), None)

    def check_password(self, name: str, password: str) -> bool:
        user = next((user for user in self.users if user.name == name), None)
        return user is not None and check_password_hash(user.password_hash, password)

    def check_token(self, token: str) -> bool:
        digest = token_hash(token)
        return any(hmac.compare_digest(digest, known) for known in self.token_hashes)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and the hash the config keeps of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def password_hash(password: str) -> str:
    return generate_password_hash(password)


def load_dashboard_config(path: str | Path) -> DashboardConfig:
    """Read and validate the dashboard's config; raise ConfigError listing every problem by field and line."""
    path = Path(path)
    return validate_toml(DashboardConfig, read_config_text(path), path)
