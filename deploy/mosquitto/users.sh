#!/usr/bin/env bash
# Create or update a broker user: users.sh <wallboard|admin|homeassistant|viewer|NAME> [password file]
# Prompts for the password (never on the command line, so it stays out of shell history).
# The roles wallboard, admin, homeassistant and viewer are the users named in the ACL.
set -euo pipefail
user=${1:?usage: users.sh USER [PASSWORD_FILE]}
password_file=${2:-/etc/mosquitto/wallboard.passwd}
if [ -f "$password_file" ]; then
  mosquitto_passwd "$password_file" "$user"
else
  mosquitto_passwd -c "$password_file" "$user"
fi
# Mosquitto drops to the mosquitto user and must be able to read the file.
if id mosquitto >/dev/null 2>&1; then
  chown mosquitto:mosquitto "$password_file"
fi
chmod 0640 "$password_file"
echo "user $user saved in $password_file; reload the broker: systemctl reload mosquitto"
