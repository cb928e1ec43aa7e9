#!/usr/bin/env bash
# Bridge this Pi's Mosquitto to the company broker (docs/fleet.md). deploy/install.sh runs it
# with the --company-* options it was given:
#   company-bridge.sh --company-broker HOST[:PORT] --company-ca FILE --company-password-file FILE
#                     [--company-user NAME] [--take-over]
#       claims the board id on the company broker, saves [mqtt.bridge] in wallboard.toml and
#       writes Mosquitto's bridge section. Refused there (another wall has this board id):
#       nothing here changes.
#   company-bridge.sh            writes the bridge section again, as this release makes it,
#                                when wallboard.toml has one; otherwise does nothing.
#   company-bridge.sh --check …  only checks the options (install.sh, before it changes anything).
# WALLBOARD (the command), CONF_DIR (wallboard.toml) and MOSQUITTO_DIR (/etc/mosquitto) say where.
set -euo pipefail

WALLBOARD=${WALLBOARD:-/opt/wallboard/venv/bin/wallboard}
CONF_DIR=${CONF_DIR:-/etc/wallboard}
MOSQUITTO_DIR=${MOSQUITTO_DIR:-/etc/mosquitto}
CONFIG="$CONF_DIR/wallboard.toml"
SECTION="$MOSQUITTO_DIR/conf.d/wallboard.bridge.conf"
CA="$MOSQUITTO_DIR/certs/company-ca.crt"  # where Mosquitto (as the mosquitto user) reads it
PASSWORD="$CONF_DIR/company-broker-password"

fail() { echo "company-bridge: $*" >&2; exit 2; }

check_only=false
broker="" ca="" password_file="" user="" take_over=()
while [ $# -gt 0 ]; do
    case "$1" in
        --check) check_only=true; shift ;;
        --company-broker) broker=${2:-}; [ -n "$broker" ] || fail "--company-broker needs HOST[:PORT]"; shift 2 ;;
        --company-ca) ca=${2:-}; shift 2 ;;
        --company-password-file) password_file=${2:-}; shift 2 ;;
        --company-user) user=${2:-}; shift 2 ;;
        --take-over) take_over=(--take-over); shift ;;
        *) fail "unknown option $1 (see the top of $0)" ;;
    esac
done

if [ -z "$broker" ]; then
    [ -z "$ca$password_file$user" ] && [ ${#take_over[@]} = 0 ] ||
        fail "--company-ca, --company-password-file, --company-user and --take-over go with --company-broker HOST[:PORT]"
    $check_only && exit 0
    if grep -q '^\[mqtt\.bridge\]' "$CONFIG" 2>/dev/null; then
        echo "==> Bridge to the company broker: the section for this release"
        "$WALLBOARD" --config "$CONFIG" bridge conf --out "$SECTION"
    fi
    exit 0
fi
[ -n "$ca" ] && [ -f "$ca" ] || fail "--company-ca FILE: the company's CA certificate (PEM) is needed"
[ -n "$password_file" ] && [ -f "$password_file" ] ||
    fail "--company-password-file FILE: a file holding only this wall's password on the company broker"
$check_only && exit 0

echo "==> Bridge to the company broker $broker"
# The CA and the password go where Mosquitto and the config expect them; if the company
# broker refuses this wall, the ones there before come back.
for target in "$CA" "$PASSWORD"; do
    if [ -f "$target" ]; then cp -p "$target" "$target.before"; else rm -f "$target.before"; fi
done
install -d -m 0755 "$MOSQUITTO_DIR/certs"
install -m 0644 "$ca" "$CA"
install -m 0600 "$password_file" "$PASSWORD"
if ! "$WALLBOARD" --config "$CONFIG" bridge setup --company-broker "$broker" --ca "$CA" \
    --password-file "$PASSWORD" --mosquitto-conf "$SECTION" ${user:+--user "$user"} "${take_over[@]}"; then
    for target in "$CA" "$PASSWORD"; do
        if [ -f "$target.before" ]; then mv "$target.before" "$target"; else rm -f "$target"; fi
    done
    echo "!!  No bridge: nothing changed (see above)" >&2
    exit 1
fi
rm -f "$CA.before" "$PASSWORD.before"
