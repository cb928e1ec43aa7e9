#!/usr/bin/env bash
# Proof that deploy/install.sh installs a working wall on 64-bit Debian Bookworm (what
# Raspberry Pi OS Bookworm is built on), from an x86 machine: debootstrap an arm64
# root, run install.sh in it under qemu-user-static (binfmt_misc), three times (install,
# upgrade, an upgrade whose release does not start and is rolled back), and check what
# a Pi needs. `make check-arm64` runs it; needs root.
#   ARM64_WORK  where the roots go (default /var/tmp/wallboard-arm64); the debootstrapped
#               base is kept there and copied for every run, so only the first run downloads it.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
WORK=${ARM64_WORK:-/var/tmp/wallboard-arm64}
BASE="$WORK/base"
ROOT="$WORK/run"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
started=$(date +%s)

say() { printf '==> %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root "$@"; }

[ "$(id -u)" = 0 ] || fail "run as root (debootstrap and chroot need it)"

say "Host tools: debootstrap, qemu-user-static, binfmt-support"
if ! command -v debootstrap >/dev/null || [ ! -e /usr/bin/qemu-aarch64-static ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap qemu-user-static binfmt-support
fi
# Containers often come without binfmt_misc mounted; the kernel must offer it.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
        fail "cannot mount binfmt_misc: this kernel or container cannot run foreign binaries (no binfmt_misc)"
fi
update-binfmts --enable qemu-aarch64 2>/dev/null || true
grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null ||
    fail "binfmt_misc has no enabled qemu-aarch64 entry (update-binfmts --display qemu-aarch64)"

if [ ! -x "$BASE/usr/bin/apt-get" ]; then
    say "debootstrap Debian Bookworm arm64 into $BASE"
    rm -rf "$BASE"
    debootstrap --arch=arm64 --variant=minbase --include=ca-certificates bookworm "$BASE" "$MIRROR"
fi

unmount_all() {
    for mount_point in dev/pts dev sys proc; do
        mountpoint -q "$ROOT/$mount_point" && umount -l "$ROOT/$mount_point"
    done
    return 0
}
trap unmount_all EXIT

say "Fresh copy of the base in $ROOT"
unmount_all
rm -rf "$ROOT"
cp -a "$BASE" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$ROOT/etc/hosts"  # as on a Pi
# Package scripts must not try to start daemons in a chroot.
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
in_root uname -m | grep -qx aarch64 || fail "the chroot does not run as aarch64"

say "What every Pi OS has: systemd, sudo"
in_root apt-get update -q
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends systemd sudo

say "The project into /root/src"
mkdir -p "$ROOT/root/src"
tar -C "$SRC" --exclude=.git --exclude=.venv --exclude=demo-data --exclude='*.egg-info' --exclude=build \
    --exclude=bench-results.json -cf - . | tar -C "$ROOT/root/src" --no-same-owner -xf -

# A network that inspects TLS (PIP_CERT names its CA bundle on this machine) must be
# trusted inside the chroot too, or pip cannot reach PyPI.
pip_cert=()
if [ -n "${PIP_CERT:-}" ] && [ -f "$PIP_CERT" ]; then
    cp "$PIP_CERT" "$ROOT/etc/ssl/certs/host-ca-bundle.crt"
    pip_cert=(PIP_CERT=/etc/ssl/certs/host-ca-bundle.crt)
fi

# No systemd runs in the chroot: tests/deploy/fake-host.sh stands in for it (install.sh's seam).
fake_host=(HOST_COMMANDS=/root/src/tests/deploy/fake-host.sh FAKE_HOST_DIR=/root/fake-host)

say "install.sh, first install"
in_root env "${fake_host[@]}" "${pip_cert[@]}" /root/src/deploy/install.sh

say "install.sh again: an upgrade"
sleep 1  # a new release stamp
in_root env "${fake_host[@]}" "${pip_cert[@]}" /root/src/deploy/install.sh

say "Checks"
in_root /opt/wallboard/venv/bin/python - <<'EOF'
import importlib.metadata as metadata
import platform
from pathlib import Path

assert platform.machine() == "aarch64", platform.machine()
import pygame
from render.screen import loaded_sdl_library, sdl_video_drivers
drivers = sdl_video_drivers()
assert "kmsdrm" in drivers, f"{loaded_sdl_library()} has no KMSDRM: {drivers}"
print(f"pygame {pygame.version.ver} (SDL {'.'.join(map(str, pygame.get_sdl_version()))}), drivers {drivers}")

def machine_of(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[18:20], "little")  # ELF e_machine; 183 = AArch64

import spidev
import lgpio
import gpiozero.pins.lgpio  # noqa: F401  the factory sensors/pins.py picks on a Pi
for module in (spidev, lgpio):
    print(f"{module.__name__} {metadata.version(module.__name__)} from {module.__file__}")
for library in Path(lgpio.__file__).parent.glob("_lgpio*.so"):
    assert machine_of(library) == 183, library
assert machine_of(Path(spidev.__file__)) == 183
try:
    import RPi.GPIO  # noqa: F401
except RuntimeError as error:  # its compiled module loaded and looked for a Pi
    assert "only be run on a Raspberry Pi" in str(error), error
    print(f"RPi.GPIO {metadata.version('RPi.GPIO')} built for aarch64 (refuses to run off a Pi: {error})")
else:
    raise AssertionError("RPi.GPIO imported off a Pi")
print(f"mfrc522 {metadata.version('mfrc522')} installed (imports through RPi.GPIO on a Pi)")
EOF
in_root /opt/wallboard/venv/bin/wallboard --version
say "wallboard doctor (a chroot is no Pi: findings expected, a crash is not)"
# The installed Mosquitto, started by hand (no systemd here), so the doctor checks the
# wall's broker password for real; in a network namespace of its own, so its
# 127.0.0.1:1883 is the chroot's whatever this machine runs on that port.
mkdir -p "$ROOT/run/mosquitto"
in_root chown mosquitto:mosquitto /run/mosquitto
cat > "$ROOT/root/doctor.sh" <<'EOF'
mosquitto -c /etc/mosquitto/mosquitto.conf -d
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && break; sleep 0.2; done
runuser -u wallboard -- /opt/wallboard/venv/bin/wallboard --config /etc/wallboard/wallboard.toml doctor
status=$?
kill "$(cat /run/mosquitto/mosquitto.pid)"
exit $status
EOF
set +e
unshare --net bash -c "ip link set lo up && chroot '$ROOT' /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root bash /root/doctor.sh" \
    | tee "$WORK/doctor.txt"
doctor_exit=${PIPESTATUS[0]}
set -e
[ "$doctor_exit" -le 1 ] || fail "wallboard doctor crashed (exit $doctor_exit)"
# Nine checks and the summary, in the installed config's language (Dutch).
[ "$(grep -c . "$WORK/doctor.txt")" = 10 ] || fail "wallboard doctor printed no line for some check"
grep -q "^ok      broker    localhost:1883 als wallboard accepteerde" "$WORK/doctor.txt" ||
    fail "the installed broker did not accept the wall's own credentials"

expect_mode() {  # path mode owner:group
    actual=$(in_root stat -c '%a %U:%G' "$1")  # owners as the Pi names them
    [ "$actual" = "$2 $3" ] || fail "$1 is $actual, expected $2 $3"
    echo "ok  $1  $actual"
}
expect_mode /etc/systemd/system/wallboard.service 644 root:root
expect_mode /etc/mosquitto/conf.d/wallboard.conf 644 root:root
expect_mode /etc/mosquitto/wallboard.acl 644 root:root
expect_mode /etc/mosquitto/wallboard.passwd 640 mosquitto:mosquitto
expect_mode /etc/wallboard 750 root:wallboard
expect_mode /etc/wallboard/wallboard.toml 640 root:wallboard
expect_mode /etc/wallboard/mqtt-password 640 root:wallboard
expect_mode /var/lib/wallboard 750 wallboard:wallboard
expect_mode /var/lib/wallboard/wallboard.db 640 wallboard:wallboard
releases=$(ls "$ROOT/opt/wallboard/releases" | wc -l)
[ "$releases" = 2 ] || fail "expected the new and the previous release, found $releases"
ls "$ROOT"/var/lib/wallboard/backups/before-*.db >/dev/null || fail "the upgrade made no database backup"
commands="$ROOT/root/fake-host/commands"
grep -qx "systemctl enable wallboard" "$commands" || fail "install.sh did not enable the unit"
grep -qx "systemctl stop wallboard" "$commands" || fail "the upgrade did not stop the wall"
[ "$(grep -cx "systemctl start wallboard" "$commands")" = 2 ] || fail "the upgrade did not start the wall again"
echo "host commands install.sh issued (twice):"
sed 's/^/    /' "$commands"
in_root systemd-analyze security --offline=yes --threshold=25 /etc/systemd/system/wallboard.service | tail -1

say "install.sh with a release that does not start: back to the previous one"
good=$(readlink "$ROOT/opt/wallboard/venv")
good_version=$(in_root /opt/wallboard/venv/bin/wallboard --version)
rm -rf "$ROOT/root/src-broken"
cp -a "$ROOT/root/src" "$ROOT/root/src-broken"
sed -i 's/^version = "[^"]*"/version = "0.0.0+broken"/' "$ROOT/root/src-broken/pyproject.toml"
sleep 1  # a new release stamp
set +e
in_root env "${fake_host[@]}" FAKE_HOST_BROKEN_VERSION=0.0.0+broken "${pip_cert[@]}" \
    /root/src-broken/deploy/install.sh 2>&1 | tee "$WORK/broken-upgrade.txt"
broken_exit=${PIPESTATUS[0]}
set -e
[ "$broken_exit" = 1 ] || fail "install.sh exited $broken_exit after a release that did not start, expected 1"
[ "$(readlink "$ROOT/opt/wallboard/venv")" = "$good" ] || fail "the venv is not the previous release again"
for message in "!!  Rolled back: /opt/wallboard/venv is $good again" \
    "!!  The previous release runs again; the upgrade failed: fix the problem above and run install.sh again"; do
    grep -qxF "$message" "$WORK/broken-upgrade.txt" || fail "install.sh did not say: $message"
done
grep -q '^!!  Database restored from /var/lib/wallboard/backups/before-.*\.db (taken before the migration)$' \
    "$WORK/broken-upgrade.txt" || fail "install.sh did not restore the database backup"
[ "$(tail -1 "$ROOT/root/fake-host/starts")" = "${good_version#wallboard } $good active" ] || fail "the previous release was not started again"

say "arm64 install proof passed"
