"""The wall's state is derived once: the fold of recorded events (`board.core.state.apply`).

Live, at start (a checkpoint plus the events after it) and for the `positions`
table, the same fold decides; whatever happens in between, they agree.
"""

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from board.core.errors import CommandError
from board.core.events import EventType
from board.core.state import WallState, checkpoint_of, state_from_checkpoint
from store.repository import Store
from tests.harness import DAAN, ILSE, ILSE_BADGE, MO_BADGE, SANNE, STRANGER, Wall

TAGS = [SANNE, DAAN, ILSE, MO_BADGE, ILSE_BADGE, STRANGER]
READERS = ["A1", "A2", "B1", "C4", "pad"]
# Small, so a run crosses many checkpoints and every restart starts from one.
CHECKPOINT_EVERY = 3


def stored_positions(store: Store) -> dict[int, str]:
    return store.positions()


def counted_attempts(store: Store, period_id: int) -> int:
    """The period's attempts counted the slow way, row by row."""
    with store.connections.connection() as connection:
        query = "SELECT count(*) FROM attempts WHERE period_id = ? AND NOT voided"
        return connection.execute(query, (period_id,)).fetchone()[0]


class WallLifeStory(RuleBasedStateMachine):
    """Readers see things, admins act, the clock jumps and the wall restarts, in any order."""

    @initialize()
    def a_wall_with_people_and_coaches(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="wall-story-"))
        self.wall = self._start(None)
        self.people = self.wall.add_people()

    def _start(self, previous: Wall | None) -> Wall:
        wall = Wall(self.directory) if previous is None else Wall(self.directory, start=previous.clock.now())
        wall.store.checkpoint_every = CHECKPOINT_EVERY
        return wall

    def teardown(self) -> None:
        if hasattr(self, "wall"):
            self.wall.close()
            shutil.rmtree(self.directory, ignore_errors=True)

    # -- what the readers see ---------------------------------------------------

    @rule(reader=st.sampled_from(READERS), tags=st.sets(st.sampled_from(TAGS), max_size=2))
    def a_reader_sees(self, reader: str, tags: set[str]) -> None:
        self.wall.show(reader, *sorted(tags))

    @rule(reader=st.sampled_from(READERS), broken=st.booleans())
    def a_reader_breaks_or_heals(self, reader: str, broken: bool) -> None:
        self.wall.readers[reader].set_fault("unplugged" if broken else None)
        self.wall.wait(2)

    # -- time ----------------------------------------------------------------------

    @rule(seconds=st.floats(min_value=0, max_value=70))
    def time_passes(self, seconds: float) -> None:
        self.wall.wait(seconds)

    @rule(hours=st.integers(min_value=1, max_value=24 * 9))
    def the_clock_jumps(self, hours: int) -> None:
        """NTP after a long power cut: the clock leaps (never back: the fake clock forbids it)."""
        self.wall.clock.advance(timedelta(hours=hours).total_seconds())
        self.wall.wait(0)

    # -- admins --------------------------------------------------------------------

    @rule(person=st.sampled_from(["Sanne", "Daan", "Ilse"]), coach=st.sampled_from([None, 1, 2]))
    def an_admin_adds_an_attempt(self, person: str, coach: int | None) -> None:
        self._admin(lambda: self.wall.service.add_attempt(self.people[person], coach, "by hand"))

    @rule(attempt_id=st.integers(min_value=1, max_value=12))
    def an_admin_voids_an_attempt(self, attempt_id: int) -> None:
        self._admin(lambda: self.wall.service.void_attempt(attempt_id, "mistake"))

    @rule(person=st.sampled_from(["Sanne", "Daan", "Ilse"]), slot=st.sampled_from([None, "A1", "B1", "C4"]))
    def an_admin_corrects_a_move(self, person: str, slot: str | None) -> None:
        self._admin(lambda: self.wall.service.correct_move(self.people[person], slot, "the wall says so"))

    @rule(goal=st.integers(min_value=0, max_value=6), period=st.sampled_from(["current", "next"]))
    def an_admin_sets_a_goal(self, goal: int, period: str) -> None:
        self._admin(lambda: self.wall.service.set_goal(goal, period))

    @rule()
    def an_admin_closes_the_period(self) -> None:
        self._admin(self.wall.service.close_period)

    @rule(person=st.sampled_from(["Daan"]))
    def an_admin_archives_a_person(self, person: str) -> None:
        self._admin(lambda: self.wall.service.archive_person(self.people[person]))

    def _admin(self, command) -> None:
        try:
            command()
        except CommandError:
            pass  # refused, which records nothing: the invariant still has to hold

    # -- restarts ------------------------------------------------------------------

    @rule()
    def the_wall_restarts(self) -> None:
        self.wall.close()
        self.wall = self._start(self.wall)

    # -- the one truth -------------------------------------------------------------

    @invariant()
    def live_state_equals_the_state_reloaded_from_the_store_and_a_replay_of_the_log(self) -> None:
        live = self.wall.service.state.recorded()
        reader = Store(self.wall.config)
        try:
            reloaded, reloaded_seq = reader.load_state()
            replayed, replayed_seq = reader.replay()
        finally:
            reader.close()
        assert reloaded.recorded() == live
        assert replayed.recorded() == live
        assert reloaded_seq == replayed_seq == self.wall.store.last_seq()
        assert stored_positions(self.wall.store) == {person: slot for person, (slot, _) in live.positions.items()}
        if live.period is not None:  # the counter written with each attempt, the fold's count and the rows agree
            counter = self.wall.store.thermometer(live.period.id)
            assert counter == live.period.count == sum(live.period.days.values()) == sum(live.period.tries.values())
            assert counter == counted_attempts(self.wall.store, live.period.id)


TestWallLifeStory = WallLifeStory.TestCase
TestWallLifeStory.settings = settings(
    max_examples=20, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_a_checkpoint_reads_back_as_the_state_it_was_written_from(wall):
    wall.show("A1", SANNE)
    wall.show("B1", DAAN)
    wall.tap("B1", MO_BADGE)
    wall.show("A1")
    wall.wait(20)
    wall.service.set_goal(9, "next")
    state = wall.service.state.recorded()
    assert state_from_checkpoint(checkpoint_of(state), wall.config.tz) == state
    assert state != WallState()  # the story above left something to compare


def test_events_another_process_recorded_are_folded_in_log_order_before_our_own(wall):
    """The CLI writes to the same log while the wall runs; the wall's next write folds both."""
    from board.wall.service import WallService

    cli_store = Store(wall.config)
    cli = WallService(wall.config, cli_store, {}, wall.clock)
    cli.add_attempt(wall.people["Sanne"], None, "entered at the desk")
    cli_store.close()
    [placed] = wall.show("A1", DAAN)
    assert placed.type is EventType.CARD_PLACED
    live = wall.service.state
    assert live.period.count == 1 and live.positions[wall.people["Daan"]][0] == "A1"
    assert live.recorded() == Store(wall.config).replay()[0].recorded()


def test_a_checkpoint_of_another_format_is_ignored_and_the_whole_log_replayed(wall):
    """A release that changes the fold must not start from a state the old fold wrote."""
    wall.show("A1", SANNE)
    seq = wall.store.last_seq()
    with wall.store.connections.transaction(write=True) as connection:
        connection.execute("INSERT INTO checkpoint (id, format, seq, state) VALUES (1, 0, ?, '{}')", (seq,))
    state, last = Store(wall.config).load_state()
    assert last == seq and state.positions[wall.people["Sanne"]][0] == "A1"
