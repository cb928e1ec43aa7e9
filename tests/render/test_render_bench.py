"""The display benchmark measures (the figures themselves are not asserted) and an idle wall draws nothing."""

from render.bench import run
from render.scene import FACES_KEPT


def test_the_benchmark_reports_draw_times_and_an_idle_loop_that_draws_nothing():
    results = run(idle_seconds=0.3, levels=2, slots_per_level=3, repeats=2)
    assert results["photos"] == 6
    assert results["first_frame_ms"] > 0 and results["full_frame_ms_median"] > 0
    assert results["card_move_frame_ms_median"] > 0 and results["rebuild_frame_ms_median"] > 0
    assert 6 <= results["faces_kept"] <= FACES_KEPT  # every card's, and the swapped ones' at their new angles
    assert results["idle_frames_drawn"] == 0
    assert results["idle_cpu_seconds"] >= 0
