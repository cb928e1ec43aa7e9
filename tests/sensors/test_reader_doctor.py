"""`wallboard doctor --readers` and the reader benchmark, on an emulated wall."""

import io

from sensors.bench_readers import run
from sensors.doctor import print_probe_table, probe_readers, watch_readers
from sensors.emulated import EmulatedWall
from sensors.hardware import ReadersConfig
from sensors.sim import SimulatedReader

CARD = "04A1B2C3D4E5F6"
BADGE = "DEADBEEF"


def emulated_wall():
    config = ReadersConfig(
        kind="rc522",
        decoder={"address_pins": [5, 6, 13], "enable": "ce0"},
        wiring={"A1": {"chip_select": "decoder0"}, "A2": {"chip_select": "decoder1"}, "pad": {"chip_select": "ce1"}},
    )
    wall = EmulatedWall(config)
    return wall, wall.build_readers()


def test_the_probe_table_shows_each_readers_wiring_chip_tags_and_poll_time():
    wall, readers = emulated_wall()
    wall.chips["A1"].place(CARD)
    wall.chips["pad"].place(BADGE)
    wall.chips["A2"].unplug()
    wall.settle()
    out = io.StringIO()
    print_probe_table(probe_readers(readers, clock=wall.clock.now), out, "en")
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["reader", "chip", "select", "chip", "poll", "ms", "tags", "present", "now"]
    a1, a2, pad = lines[1:4]
    assert a1.split()[:5] == ["A1", "spi0.0", "DEC0", "MFRC522", "v2.0"] and a1.endswith(CARD)
    assert "FAULT: A2" in a2 and "no chip answers" in a2
    assert pad.startswith("pad") and "spi0.1 CE1" in pad and pad.endswith(BADGE)
    poll_ms = float(a1.split()[6])
    assert 1 < poll_ms < 10
    assert lines[4] == "2 of 3 readers answer; 1 faulty"


def test_simulated_readers_are_probed_too():
    reader = SimulatedReader("A1")
    reader.set_tags([CARD])
    out = io.StringIO()
    print_probe_table(probe_readers({"A1": reader}), out, "en")
    assert "simulated" in out.getvalue() and CARD in out.getvalue()


def test_a_driver_bug_shows_up_in_the_table_and_the_other_readers_are_still_probed():
    class BuggyReader(SimulatedReader):
        def poll(self):
            raise IndexError("list index out of range")

    healthy = SimulatedReader("A2")
    healthy.set_tags([CARD])
    out = io.StringIO()
    print_probe_table(probe_readers({"A1": BuggyReader("A1"), "A2": healthy}), out, "en")
    assert "FAULT: IndexError: list index out of range" in out.getvalue()
    assert CARD in out.getvalue() and "1 of 2 readers answer; 1 faulty" in out.getvalue()


def test_live_mode_prints_tags_as_they_come_and_go_and_readers_as_they_fail():
    wall, readers = emulated_wall()
    a1 = wall.chips["A1"]
    script = iter(
        [
            lambda: a1.place(CARD),
            lambda: None,
            lambda: a1.remove(*a1.tags),
            lambda: wall.chips["pad"].unplug(),
            lambda: wall.chips["pad"].plug_in(),
            lambda: wall.clock.advance(1.0),  # past the retry pause
            lambda: None,
        ]
    )

    def sleep(seconds):
        wall.clock.advance(seconds)
        next(script)()

    out = io.StringIO()
    watch_readers(readers, out, "en", sweeps=7, interval_s=0.1, clock=wall.clock.now, sleep=sleep)
    events = [line.split(maxsplit=1)[1] for line in out.getvalue().splitlines()]
    assert events[:2] == [f"+A1  {CARD}", f"-A1  {CARD}"]
    assert events[2].startswith("!pad  pad (spi0.1 CE1): ")
    assert events[3:] == ["=pad  answers again"]


def test_the_benchmark_finds_our_driver_far_cheaper_on_empty_slots_and_always_seeing_the_card():
    results = run(polls=20, overheads_us=(20, 300), sweep_speeds_hz=(4_000_000,), sweep_overheads_us=(20,))
    ours, package = results["per_poll"]["rc522"], results["per_poll"]["mfrc522_tutorial"]
    assert all(ours[key]["card_seen_share"] == 1.0 for key in ours)
    assert all(ours[key]["badge_and_card_both_seen_share"] == 1.0 for key in ours)
    assert package["20us"]["card_seen_share"] == 0.5  # every other read
    assert min(results["empty_slot_transfer_ratio_package_to_ours"].values()) >= 20
    sweep = {load: figures["ms"] for load, figures in results["sweep_24_slots"]["4MHz"]["20us"].items()}
    assert sweep["empty"] < sweep["half"] < sweep["full"]
    assert sweep["full"] < results["sweep_24_slots_ms_one_reader_at_a_time_at_spi_speed"]["20us"]["full"]
    assert results["targets"]["card_seen_on_99_9_percent_of_polls"]
    assert results["chip"].startswith("worst case") and results["per_poll_frame_error_rate"] == 0.01
    off = results["per_poll_rc522_antenna_off_between_polls"]["20us"]
    assert off["empty_slot"]["ms"] > 5 > ours["20us"]["empty_slot"]["ms"]  # ISO's 5 ms power-up, each poll
