#!/usr/bin/env bash
# Install Polaroid Wall as a service on Raspberry Pi OS Bookworm (or Debian 12).
#   sudo deploy/install.sh            from a clone of the repository
# Safe to run again: it upgrades the code and keeps config, data and passwords.
# PREFIX, CONF_DIR and DATA_DIR may be set to install elsewhere.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/opt/wallboard}
CONF_DIR=${CONF_DIR:-/etc/wallboard}
DATA_DIR=${DATA_DIR:-/var/lib/wallboard}
USER_NAME=wallboard

if [ "$(id -u)" != 0 ]; then
    echo "Run as root: sudo $0" >&2
    exit 1
fi

echo "==> System packages"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv mosquitto mosquitto-clients

echo "==> Service user '$USER_NAME'"
id -u "$USER_NAME" >/dev/null 2>&1 ||
    useradd --system --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
for group in video render input spi gpio; do
    if getent group "$group" >/dev/null; then usermod -aG "$group" "$USER_NAME"; fi
done

echo "==> Code in $PREFIX"
mkdir -p "$PREFIX/src" "$CONF_DIR" "$DATA_DIR"
tar -C "$SRC" --exclude=.git --exclude=.venv --exclude=demo-data --exclude='*.egg-info' -cf - . |
    tar -C "$PREFIX/src" -xf -
[ -x "$PREFIX/venv/bin/python" ] || python3 -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/python" -m pip install -q --upgrade pip
"$PREFIX/venv/bin/python" -m pip install -q "$PREFIX/src"

echo "==> Config in $CONF_DIR, data in $DATA_DIR"
fresh_config=false
if [ ! -f "$CONF_DIR/wallboard.toml" ]; then
    "$PREFIX/venv/bin/wallboard" --config "$CONF_DIR/wallboard.toml" init --data-dir "$DATA_DIR"
    fresh_config=true
fi
chown -R "$USER_NAME:$USER_NAME" "$DATA_DIR"
chown root:"$USER_NAME" "$CONF_DIR" "$CONF_DIR/wallboard.toml"
chmod 0750 "$CONF_DIR"
chmod 0640 "$CONF_DIR/wallboard.toml"
"$PREFIX/venv/bin/wallboard" --config "$CONF_DIR/wallboard.toml" db upgrade

if [ -d "$SRC/deploy/mosquitto" ] && [ -d /etc/mosquitto/conf.d ]; then
    echo "==> Mosquitto: users and ACL"
    install -m 0644 "$SRC/deploy/mosquitto/wallboard.conf" /etc/mosquitto/conf.d/wallboard.conf
    install -m 0644 "$SRC/deploy/mosquitto/acl" /etc/mosquitto/wallboard.acl
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
    echo "    Add an admin for yourself: sudo $PREFIX/src/deploy/mosquitto/users.sh admin"
    echo "    Home Assistant's account (docs/home-assistant.md): sudo $PREFIX/src/deploy/mosquitto/users.sh homeassistant"
fi

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    echo "==> systemd unit"
    sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@CONF_DIR@|$CONF_DIR|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
        "$SRC/deploy/wallboard.service" > /etc/systemd/system/wallboard.service
    systemctl daemon-reload
    systemctl restart mosquitto || true
    systemctl enable --now wallboard
    echo "Done. Logs: journalctl -u wallboard -f"
else
    echo "No systemd here: start it with  $PREFIX/venv/bin/wallboard --config $CONF_DIR/wallboard.toml run"
fi
