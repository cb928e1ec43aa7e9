"""Type=notify: ready, the watchdog, and no event stamped before the clock can be trusted."""

import socket
from datetime import UTC, datetime, timedelta

import pytest

from board.app.systemd import EARLIEST_TRUSTED_TIME, Systemd, wait_for_trusted_clock


@pytest.fixture
def notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(5)
    yield sock
    sock.close()


def received(sock) -> list[str]:
    messages = []
    sock.setblocking(False)
    try:
        while True:
            messages.append(sock.recv(4096).decode())
    except BlockingIOError:
        return messages
    finally:
        sock.setblocking(True)


def test_ready_and_status_reach_systemds_socket(tmp_path, notify_socket):
    systemd = Systemd({"NOTIFY_SOCKET": str(tmp_path / "notify")})
    systemd.ready("wall running; screen: kmsdrm")
    assert notify_socket.recv(4096).decode() == "READY=1\nSTATUS=wall running; screen: kmsdrm"


def test_the_watchdog_is_petted_twice_a_period_however_often_the_loop_runs(tmp_path, notify_socket):
    now = [0.0]
    systemd = Systemd({"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "30000000"}, lambda: now[0])
    for _ in range(30):  # the loop runs every second for 30 s
        systemd.pet()
        now[0] += 1.0
    assert received(notify_socket) == ["WATCHDOG=1"] * 2


def test_outside_systemd_nothing_is_sent_and_nothing_fails():
    systemd = Systemd({})
    assert not systemd.enabled
    systemd.ready("x")
    systemd.pet()


def test_a_clock_before_the_last_recorded_event_is_waited_for(tmp_path, notify_socket):
    last = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    now = [datetime(1970, 1, 1, tzinfo=UTC)]
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 3:  # NTP answers
            now[0] = last + timedelta(minutes=1)

    wait_for_trusted_clock(lambda: now[0], last, Systemd({"NOTIFY_SOCKET": str(tmp_path / "notify")}), sleep)
    assert len(naps) == 3
    messages = received(notify_socket)
    assert messages[0].startswith("STATUS=waiting for the clock: it says 1970-01-01 00:00, before 2026-11-30 09:00")
    assert messages[1:] == ["EXTEND_TIMEOUT_USEC=15000000"] * 3


def test_a_fresh_wall_waits_only_for_a_clock_before_the_earliest_trusted_time():
    naps = []
    wait_for_trusted_clock(lambda: EARLIEST_TRUSTED_TIME + timedelta(days=3), None, Systemd({}), naps.append)
    assert naps == []
