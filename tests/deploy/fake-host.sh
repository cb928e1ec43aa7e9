#!/usr/bin/env bash
# systemd for deploy/install.sh where none runs (a chroot): install.sh runs this in place
# of systemctl, journalctl and raspi-config when HOST_COMMANDS names it. It writes every
# command to $FAKE_HOST_DIR/commands and keeps which units are active. Starting
# wallboard runs the unit's ExecStart program with --version, as systemd would run the
# release /opt/wallboard/venv points at; the release whose version is
# $FAKE_HOST_BROKEN_VERSION exits before READY, so its start fails as a broken release's
# would. $FAKE_HOST_DIR/starts lists every start of the wall: version, release, outcome.
set -euo pipefail
state=${FAKE_HOST_DIR:?FAKE_HOST_DIR: the folder for the fake systemd log and state}
mkdir -p "$state/active"
echo "$*" >> "$state/commands"

start() {  # $1: unit
    if [ "$1" = wallboard ]; then
        local program version release
        program=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' /etc/systemd/system/wallboard.service)
        version=$("$program" --version)
        version=${version#wallboard }
        release=$(readlink -f "$(dirname "$program")/..")
        if [ "$version" = "${FAKE_HOST_BROKEN_VERSION:-}" ]; then
            echo "$version $release failed" >> "$state/starts"
            echo "wallboard.service: wallboard $version from $release exited before READY" >> "$state/journal"
            echo "Job for wallboard.service failed because the control process exited with error code." >&2
            return 1
        fi
        echo "$version $release active" >> "$state/starts"
        echo "wallboard.service: wallboard $version from $release is ready" >> "$state/journal"
    fi
    touch "$state/active/$1"
}

command=$1
shift
case $command in
systemctl)
    now=false
    words=()
    for word; do
        case $word in
        --now) now=true ;;
        --quiet) ;;
        *) words+=("$word") ;;
        esac
    done
    unit=${words[1]:-}
    case ${words[0]} in
    daemon-reload | reset-failed) ;;
    enable) if $now && [ ! -e "$state/active/$unit" ]; then start "$unit"; fi ;;  # --now leaves a running unit alone
    start) [ -e "$state/active/$unit" ] || start "$unit" ;;
    restart) rm -f "$state/active/$unit" && start "$unit" ;;
    stop) rm -f "$state/active/$unit" ;;
    is-active) [ -e "$state/active/$unit" ] || exit 3 ;;
    *) echo "fake-host.sh: systemctl ${words[0]} is not modelled" >&2 && exit 1 ;;
    esac
    ;;
journalctl) cat "$state/journal" 2>/dev/null || true ;;
raspi-config) ;;
*) echo "fake-host.sh: $command is not a host command install.sh may run" >&2 && exit 1 ;;
esac
