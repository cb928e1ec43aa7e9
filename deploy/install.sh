#!/usr/bin/env bash
# Install or upgrade Polaroid Wall as a service on Raspberry Pi OS Bookworm (or Debian 12), 64-bit.
#   sudo deploy/install.sh            from a clone of the repository
# Safe to run again: it upgrades the code and keeps config, data and passwords. An
# upgrade stops the wall, backs up and migrates the database as the wallboard user,
# and starts the new version; if that does not come up, the previous version and
# its database come back. PREFIX, CONF_DIR and DATA_DIR may be set to install elsewhere.
#
# Everything that acts on the running system (systemctl, journalctl, raspi-config) goes
# through `host`. With HOST_COMMANDS=<program> that program runs in their place (the
# command is its arguments): a chroot without a running systemd installs the same way,
# with tests/deploy/fake-host.sh standing in for systemd (deploy/check-arm64.sh, tests/deploy).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/opt/wallboard}
CONF_DIR=${CONF_DIR:-/etc/wallboard}
DATA_DIR=${DATA_DIR:-/var/lib/wallboard}
USER_NAME=wallboard
UNIT=/etc/systemd/system/wallboard.service
STAMP=$(date -u +%Y%m%d-%H%M%S)
RELEASE="$PREFIX/releases/$STAMP"
HOST_COMMANDS=${HOST_COMMANDS:-}

host() {
    if [ -n "$HOST_COMMANDS" ]; then "$HOST_COMMANDS" "$@"; else "$@"; fi
}

has_systemd() { [ -n "$HOST_COMMANDS" ] || [ -d /run/systemd/system ]; }
wall_running() { [ -f "$UNIT" ] && has_systemd && host systemctl is-active --quiet wallboard; }
as_wall_user() { runuser -u "$USER_NAME" -- "$@"; }

if [ "$(id -u)" != 0 ]; then
    echo "Run as root: sudo $0" >&2
    exit 1
fi

echo "==> System packages"
apt-get update -q
# gcc, python3-dev and swig build spidev, RPi.GPIO and lgpio (no aarch64 wheels on PyPI);
# v4l-utils brings cec-ctl, which puts the TV in standby at night; the Noto fonts draw
# names in Arabic, Chinese or with an emoji (render/text.py).
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    python3-venv python3-dev gcc libc6-dev swig mosquitto mosquitto-clients v4l-utils \
    fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji

if command -v raspi-config >/dev/null 2>&1; then
    echo "==> SPI on (raspi-config; a reboot makes /dev/spidev0.* appear if it was off)"
    host raspi-config nonint do_spi 0
fi

echo "==> Service user '$USER_NAME'"
id -u "$USER_NAME" >/dev/null 2>&1 ||
    useradd --system --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
for group in video render input spi gpio; do
    if getent group "$group" >/dev/null; then usermod -aG "$group" "$USER_NAME"; fi
done

echo "==> Code: release $STAMP in $RELEASE"
mkdir -p "$PREFIX/releases" "$CONF_DIR" "$DATA_DIR"
rm -rf "$PREFIX/src.new"
mkdir -p "$PREFIX/src.new"
# --no-same-owner: files belong to root, not to whoever owns the clone.
tar -C "$SRC" --exclude=.git --exclude=.venv --exclude=demo-data --exclude='*.egg-info' --exclude=build -cf - . |
    tar -C "$PREFIX/src.new" --no-same-owner -xf -
python3 -m venv "$RELEASE"
"$RELEASE/bin/python" -m pip install -q --upgrade pip
# PYPI=1 makes lgpio's source build link its C library in (Debian has no liblgpio).
PYPI=1 "$RELEASE/bin/python" -m pip install -q "$PREFIX/src.new"
"$RELEASE/bin/wallboard" --version
rm -rf "$PREFIX/src"
mv "$PREFIX/src.new" "$PREFIX/src"

echo "==> Config in $CONF_DIR, data in $DATA_DIR"
fresh_config=false
if [ ! -f "$CONF_DIR/wallboard.toml" ]; then
    "$RELEASE/bin/wallboard" --config "$CONF_DIR/wallboard.toml" init --data-dir "$DATA_DIR"
    fresh_config=true
fi
chown -R "$USER_NAME:$USER_NAME" "$DATA_DIR"
chmod -R o-rwx "$DATA_DIR"  # photos and names of people: not for every local user
chmod 0750 "$DATA_DIR"
chown root:"$USER_NAME" "$CONF_DIR" "$CONF_DIR/wallboard.toml"
chmod 0750 "$CONF_DIR"
chmod 0640 "$CONF_DIR/wallboard.toml"

if [ -d "$SRC/deploy/mosquitto" ] && [ -d /etc/mosquitto/conf.d ]; then
    echo "==> Mosquitto: on 127.0.0.1, users and ACL"
    install -m 0644 "$SRC/deploy/mosquitto/wallboard.conf" /etc/mosquitto/conf.d/wallboard.conf
    install -m 0644 "$SRC/deploy/mosquitto/acl" /etc/mosquitto/wallboard.acl
    if [ -f /etc/mosquitto/certs/wallboard.crt ] && [ -f /etc/mosquitto/certs/wallboard.key ]; then
        echo "    certificates found: TLS listener on port 8883 for the network"
        install -m 0644 "$SRC/deploy/mosquitto/wallboard.tls.conf" /etc/mosquitto/conf.d/wallboard.tls.conf
    fi
    password_file=/etc/mosquitto/wallboard.passwd
    secret="$CONF_DIR/mqtt-password"
    if [ ! -f "$secret" ]; then
        (umask 027 && head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$secret")
        chown root:"$USER_NAME" "$secret"
    fi
    [ -f "$password_file" ] || { touch "$password_file"; chmod 0640 "$password_file"; }
    mosquitto_passwd -b "$password_file" "$USER_NAME" "$(cat "$secret")"
    chown mosquitto:mosquitto "$password_file" 2>/dev/null || true
    if $fresh_config; then
        # A new wall talks to the local broker as the wallboard user from the start.
        sed -i -e 's|^enabled = false\( *# publish\)|enabled = true \1|' \
            -e "s|^# username = \"wallboard\" *|username = \"$USER_NAME\" |" \
            -e "s|^# password_file = \"[^\"]*\" *|password_file = \"$secret\" |" \
            "$CONF_DIR/wallboard.toml"
    fi
    host systemctl restart mosquitto
    echo "    Add an admin for yourself: sudo $PREFIX/src/deploy/mosquitto/users.sh admin"
    echo "    Home Assistant's account (docs/home-assistant.md): sudo $PREFIX/src/deploy/mosquitto/users.sh homeassistant"
fi

previous=""
if [ -L "$PREFIX/venv" ]; then
    previous=$(readlink "$PREFIX/venv")
elif [ -d "$PREFIX/venv" ]; then  # an install from before releases: keep it by name for a roll-back
    mv "$PREFIX/venv" "$PREFIX/venv.legacy"
    previous="$PREFIX/venv.legacy"
fi

was_running=false
if wall_running; then
    was_running=true
    echo "==> Stopping the running wall for the upgrade"
    host systemctl stop wallboard
fi

database=$("$RELEASE/bin/python" - "$CONF_DIR/wallboard.toml" <<'EOF'
import sys
from board.app.config import load_config
print(load_config(sys.argv[1]).database_url.removeprefix("sqlite:///"))
EOF
)
backup=""
if [ -n "$previous" ] && [ -f "$database" ]; then
    backup="$DATA_DIR/backups/before-$STAMP.db"
    echo "==> Database backup: $backup"
    as_wall_user mkdir -p "$DATA_DIR/backups"
    as_wall_user "$RELEASE/bin/python" -c '
import sqlite3, sys
source, target = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
source.backup(target)' "$database" "$backup"
fi
echo "==> Database migration (as $USER_NAME)"
as_wall_user "$RELEASE/bin/wallboard" --config "$CONF_DIR/wallboard.toml" db upgrade

ln -sfn "$RELEASE" "$PREFIX/venv.new"
mv -T "$PREFIX/venv.new" "$PREFIX/venv"

roll_back() {  # $1: what failed
    echo "!!  Release $STAMP did not come up: $1. The journal says:" >&2
    host journalctl -u wallboard -n 30 --no-pager >&2 || true
    host systemctl stop wallboard || true
    if [ -z "$previous" ]; then
        echo "!!  No previous release to go back to: fix the problem above and run install.sh again" >&2
        exit 1
    fi
    rm -f "$PREFIX/venv"
    if [ "$previous" = "$PREFIX/venv.legacy" ]; then mv "$PREFIX/venv.legacy" "$PREFIX/venv"; else ln -sfn "$previous" "$PREFIX/venv"; fi
    echo "!!  Rolled back: $PREFIX/venv is $previous again" >&2
    if [ -n "$backup" ]; then
        rm -f "$database-wal" "$database-shm"
        as_wall_user cp "$backup" "$database"
        echo "!!  Database restored from $backup (taken before the migration)" >&2
    fi
    host systemctl reset-failed wallboard || true
    if host systemctl start wallboard && host systemctl is-active --quiet wallboard; then
        echo "!!  The previous release runs again; the upgrade failed: fix the problem above and run install.sh again" >&2
    else
        echo "!!  The previous release did not start either: journalctl -u wallboard" >&2
    fi
    exit 1
}

if has_systemd && [ -d /etc/systemd/system ]; then
    echo "==> systemd unit"
    sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@CONF_DIR@|$CONF_DIR|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
        "$SRC/deploy/wallboard.service" > "$UNIT"
    chmod 0644 "$UNIT"
    for unit in wallboard-backup.service wallboard-backup.timer; do  # the nightly backup
        sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@CONF_DIR@|$CONF_DIR|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
            "$SRC/deploy/$unit" > "/etc/systemd/system/$unit"
        chmod 0644 "/etc/systemd/system/$unit"
    done
    host systemctl daemon-reload
    host systemctl enable wallboard
    host systemctl enable --now wallboard-backup.timer
    # Type=notify: start returns once the wall said READY (screen open, service running).
    echo "==> Starting the wall"
    if ! host systemctl start wallboard; then
        roll_back "the start of wallboard.service failed"
    elif ! host systemctl is-active --quiet wallboard; then
        roll_back "wallboard.service was not active after its start"
    fi
    $was_running && echo "    upgraded: the wall runs release $STAMP"
    echo "Done. Logs: journalctl -u wallboard -f    Check: sudo -u $USER_NAME $PREFIX/venv/bin/wallboard doctor"
else
    echo "No systemd here: start it with  $PREFIX/venv/bin/wallboard --config $CONF_DIR/wallboard.toml run"
fi

# Keep this release and the one before it; older ones go.
for old in "$PREFIX"/releases/*; do
    [ "$old" = "$RELEASE" ] || [ "$old" = "$previous" ] || rm -rf "$old"
done
rm -rf "$PREFIX/venv.legacy"
