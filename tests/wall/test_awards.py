"""The awards of a period, checked against results worked out by hand.

The rules are pure functions over the event log, so these tests write small logs
by hand: a wall of four levels (A at the bottom to D at the top), the week of
Monday 23 November 2026 as the period, the week before as the previous one.
"""

from datetime import datetime, timedelta

from board.core.events import EventType, WallEvent
from board.core.harvest import PeriodSpan
from board.core.settings import AwardKind, Level, WallSettings
from board.wall.harvest import compute_harvest
from tests.harness import AMSTERDAM

SETTINGS = WallSettings(
    language="en",
    levels=[
        Level(id=level, name=name, slots=[f"{level}{n}" for n in range(1, 5)])
        for level, name in [("A", "Start"), ("B", "On the way"), ("C", "Almost"), ("D", "Top")]
    ],
)
PREVIOUS = PeriodSpan(datetime(2026, 11, 16, tzinfo=AMSTERDAM), datetime(2026, 11, 23, tzinfo=AMSTERDAM), 1, 10)
WEEK = PeriodSpan(datetime(2026, 11, 23, tzinfo=AMSTERDAM), datetime(2026, 11, 30, tzinfo=AMSTERDAM), 2, 6)
SANNE, DAAN, ILSE, PIET = 1, 2, 3, 4
NAMES = {SANNE: "Sanne", DAAN: "Daan", ILSE: "Ilse", PIET: "Piet"}
MO, ANNA = 11, 12
COACHES = {MO: "Mo", ANNA: "Anna"}


def day(n: int, hour: int = 10) -> datetime:
    """Day n of the period (0 = Monday 23 November), at `hour`; negative days are the week before."""
    return WEEK.starts_at + timedelta(days=n, hours=hour)


class Log:
    """Writes an event log the way the wall would have recorded it."""

    def __init__(self):
        self.events: list[WallEvent] = []
        self._attempts = 0

    def _add(
        self,
        kind: EventType,
        at: datetime,
        person: int | None = None,
        slot: str | None = None,
        coach: int | None = None,
        **details,
    ) -> None:
        if person is not None:
            details["person_name"] = NAMES[person]
        if coach is not None:
            details["coach_name"] = COACHES[coach]
        self.events.append(
            WallEvent(
                kind, person_id=person, slot_id=slot, coach_id=coach, details=details, seq=len(self.events) + 1, at=at
            )
        )

    def hang(self, person: int, slot: str, at: datetime) -> None:
        self._add(EventType.CARD_PLACED, at, person, slot)

    def move(self, person: int, slot: str, at: datetime) -> None:
        self._add(EventType.CARD_MOVED, at, person, slot)

    def correct(self, person: int, slot: str | None, at: datetime) -> None:
        self._add(EventType.MOVE_CORRECTED, at, person, slot, to_slot=slot, reason="reader was wrong")

    def archive(self, person: int, at: datetime) -> None:
        self._add(EventType.PERSON_ARCHIVED, at, person)

    def attempt(self, person: int, coach: int | None, at: datetime) -> int:
        self._attempts += 1
        self._add(EventType.ATTEMPT_CONFIRMED, at, person, coach=coach, attempt_id=self._attempts, period_id=0)
        return self._attempts

    def void(self, attempt_id: int, at: datetime) -> None:
        self._add(EventType.ATTEMPT_VOIDED, at, attempt_id=attempt_id, reason="entered twice")

    def harvest(self, span: PeriodSpan = WEEK, previous: PeriodSpan | None = PREVIOUS, settings=SETTINGS):
        return compute_harvest(sorted(self.events, key=lambda e: e.seq), settings, span, previous)


def award(harvest, kind: AwardKind):
    return next((a for a in harvest.awards if a.kind is kind), None)


def winners(harvest, kind: AwardKind) -> list[tuple[str, int]]:
    found = award(harvest, kind)
    return [] if found is None else [(w.name, w.value) for w in found.winners]


# -- biggest climber -----------------------------------------------------------------


def test_the_climber_is_who_climbed_most_levels_in_the_period():
    log = Log()
    log.hang(SANNE, "A1", day(-3))
    log.hang(DAAN, "A2", day(-3))
    log.move(SANNE, "B1", day(1))
    log.move(SANNE, "C1", day(2))  # two levels
    log.move(DAAN, "B2", day(2))  # one level
    assert winners(log.harvest(), AwardKind.CLIMBER) == [("Sanne", 2)]
    assert award(log.harvest(), AwardKind.CLIMBER).line == "Sanne climbed 2 levels, from Start to Almost."


def test_climbers_with_as_many_levels_are_told_apart_by_who_started_lowest():
    log = Log()
    log.hang(SANNE, "A1", day(-3))
    log.hang(DAAN, "B2", day(-3))
    log.move(SANNE, "C1", day(1))  # A -> C: two levels from the bottom
    log.move(DAAN, "D2", day(1))  # B -> D: two levels from one up
    for hour in (11, 12, 13):
        log.attempt(DAAN, MO, day(1, hour))  # more attempts does not beat a lower start
    assert winners(log.harvest(), AwardKind.CLIMBER) == [("Sanne", 2)]


def test_then_by_most_attempts_and_an_exact_tie_is_shared():
    log = Log()
    log.hang(SANNE, "A1", day(-3))
    log.hang(DAAN, "A2", day(-3))
    log.move(SANNE, "C1", day(1))
    log.move(DAAN, "C2", day(1))
    log.attempt(SANNE, MO, day(1, 11))
    log.attempt(DAAN, MO, day(1, 12))
    log.attempt(DAAN, MO, day(2, 12))
    assert winners(log.harvest(), AwardKind.CLIMBER) == [("Daan", 2)]
    log.attempt(SANNE, MO, day(3, 12))  # now two each: same levels, same start, same attempts
    tie = award(log.harvest(), AwardKind.CLIMBER)
    assert [(w.name, w.value) for w in tie.winners] == [("Sanne", 2), ("Daan", 2)]
    assert tie.line == "Sanne and Daan each climbed 2 levels."


def test_a_first_period_counts_from_where_the_card_was_first_hung():
    log = Log()
    log.hang(ILSE, "B3", day(1))  # new on the wall, one level up
    log.move(ILSE, "D3", day(3))
    row = next(row for row in log.harvest().people if row.id == ILSE)
    assert (row.start_level, row.end_level, row.climbed) == (1, 3, 2)


def test_a_corrected_move_counts_as_the_correction_says():
    log = Log()
    log.hang(PIET, "A4", day(-3))
    log.move(PIET, "D4", day(1))  # a glitch recorded him at the top...
    log.correct(PIET, "B4", day(1, 11))  # ...the admin puts it right: he is one up
    log.hang(SANNE, "A1", day(-3))
    log.move(SANNE, "C1", day(2))
    log.correct(SANNE, "A1", day(2, 11))  # never moved at all
    harvest = log.harvest()
    assert winners(harvest, AwardKind.CLIMBER) == [("Piet", 1)]
    assert {row.name: row.climbed for row in harvest.people} == {"Sanne": 0, "Piet": 1}


def test_a_card_off_the_wall_keeps_its_last_level():
    log = Log()
    log.hang(SANNE, "A1", day(-3))
    log.move(SANNE, "B1", day(1))
    log._add(EventType.CARD_OFF_WALL, day(2), SANNE, "B1")
    assert winners(log.harvest(), AwardKind.CLIMBER) == [("Sanne", 1)]
    assert log.harvest().wall_after == {}


def test_nobody_climbing_gives_no_climber_award():
    log = Log()
    log.hang(SANNE, "B1", day(-3))
    log.move(SANNE, "A1", day(1))  # down is no climb
    assert award(log.harvest(), AwardKind.CLIMBER) is None


# -- attempts --------------------------------------------------------------------------


def test_voided_attempts_do_not_count_even_when_voided_after_the_period():
    log = Log()
    first = log.attempt(SANNE, MO, day(0))
    log.attempt(SANNE, MO, day(1))
    log.attempt(SANNE, MO, day(2))
    log.attempt(DAAN, MO, day(1))
    log.attempt(DAAN, ANNA, day(2))
    assert winners(log.harvest(), AwardKind.MOST_ATTEMPTS) == [("Sanne", 3)]
    log.void(first, day(9))  # the next week
    harvest = log.harvest()
    assert harvest.count == 4
    assert winners(harvest, AwardKind.MOST_ATTEMPTS) == [("Sanne", 2), ("Daan", 2)]
    assert award(harvest, AwardKind.MOST_ATTEMPTS).line == "Sanne and Daan each gave it a go 2 times."


def test_first_attempt_goes_to_everyone_whose_first_counted_attempt_fell_in_the_period():
    log = Log()
    log.attempt(DAAN, MO, day(-2))  # Daan tried last week
    voided = log.attempt(SANNE, MO, day(-2))  # Sanne's try last week was voided
    log.void(voided, day(-2, 11))
    log.attempt(SANNE, MO, day(1))
    log.attempt(DAAN, MO, day(1))
    log.attempt(ILSE, ANNA, day(2))
    log.attempt(PIET, None, day(3))  # added by hand by an admin: it counts for Piet
    assert winners(log.harvest(), AwardKind.FIRST_ATTEMPT) == [("Sanne", 1), ("Ilse", 1), ("Piet", 1)]
    assert award(log.harvest(), AwardKind.FIRST_ATTEMPT).line == "A first attempt: Sanne, Ilse and Piet. Welcome!"


# -- coach of the period -------------------------------------------------------------------


def test_the_coach_of_the_period_confirmed_most_different_people_then_most_attempts():
    log = Log()
    for hour in (9, 10, 11, 12):
        log.attempt(SANNE, MO, day(1, hour))  # Mo: 4 attempts, 1 person
    log.attempt(SANNE, ANNA, day(2))
    log.attempt(DAAN, ANNA, day(2))  # Anna: 2 attempts, 2 people
    log.attempt(ILSE, None, day(3))  # an admin's: no coach
    harvest = log.harvest()
    assert winners(harvest, AwardKind.COACH) == [("Anna", 2)]
    assert award(harvest, AwardKind.COACH).line == "Anna confirmed 2 attempts by 2 people."
    assert [(c.name, c.confirmations, c.people) for c in harvest.coaches] == [("Anna", 2, 2), ("Mo", 4, 1)]


# -- streak ---------------------------------------------------------------------------------


def test_the_streak_counts_consecutive_working_days_and_skips_the_weekend():
    log = Log()
    for n in (0, 1, 3):  # Mon, Tue, Thu: two in a row
        log.attempt(SANNE, MO, day(n))
    for n in (2, 3, 4, 5):  # Wed to Sat: Saturday is no working day, three in a row
        log.attempt(DAAN, MO, day(n))
    assert winners(log.harvest(), AwardKind.STREAK) == [("Daan", 3)]
    fortnight = PeriodSpan(WEEK.starts_at, WEEK.ends_at + timedelta(days=7))
    log.attempt(SANNE, MO, day(7))
    log.attempt(SANNE, MO, day(8))  # Thu; then Mon and Tue of the next week: Thu, Mon, Tue is not a run...
    log.attempt(SANNE, MO, day(4))  # ...until Friday fills the gap: Thu, Fri, Mon, Tue
    assert winners(log.harvest(fortnight), AwardKind.STREAK) == [("Sanne", 4)]


def test_a_single_day_is_no_streak():
    log = Log()
    log.attempt(SANNE, MO, day(0, 9))
    log.attempt(SANNE, MO, day(0, 15))
    assert award(log.harvest(), AwardKind.STREAK) is None


# -- the team, archived people, settings -------------------------------------------------------


def test_the_team_award_says_how_far_the_goal_is_against_the_previous_period():
    log = Log()
    for n in range(4):
        log.attempt(SANNE, MO, day(-3, 9 + n))  # four last week
    for n in range(3):
        log.attempt(DAAN, MO, day(n))  # three this week, goal 6
    team = award(log.harvest(), AwardKind.TEAM)
    assert team.winners == ()
    assert team.line == "Together 3 attempts of 6 (50 %). Last period: 4 attempts."
    assert (team.facts["count"], team.facts["previous_count"], team.facts["reached"]) == (3, 4, False)
    for n in range(3):
        log.attempt(DAAN, ANNA, day(4, 9 + n))
    assert award(log.harvest(), AwardKind.TEAM).line.startswith("Together 6 attempts: the goal of 6 is reached!")


def test_archived_people_keep_their_history_and_their_awards():
    log = Log()
    log.hang(ILSE, "A3", day(-3))
    log.move(ILSE, "C3", day(1))
    log.attempt(ILSE, MO, day(1))
    log.archive(ILSE, day(10))  # left the team after the period
    harvest = log.harvest()
    assert winners(harvest, AwardKind.CLIMBER) == [("Ilse", 2)]
    assert winners(harvest, AwardKind.FIRST_ATTEMPT) == [("Ilse", 1)]
    row = harvest.people[0]
    assert (row.name, row.archived, row.attempts) == ("Ilse", True, 1)


def test_awards_can_be_renamed_and_switched_off():
    settings = SETTINGS.model_copy(
        update={
            "harvest": SETTINGS.harvest.model_validate(
                {"awards": {"streak": {"enabled": False}, "most_attempts": {"name": "Doorzetter"}}}
            )
        }
    )
    log = Log()
    for n in range(3):
        log.attempt(SANNE, MO, day(n))
    harvest = log.harvest(settings=settings)
    assert award(harvest, AwardKind.STREAK) is None
    assert award(harvest, AwardKind.MOST_ATTEMPTS).title == "Doorzetter"
    assert award(harvest, AwardKind.CLIMBER) is None  # nobody climbed


def test_the_lines_are_dutch_on_a_dutch_wall():
    settings = SETTINGS.model_copy(update={"language": "nl"})
    log = Log()
    log.hang(SANNE, "A1", day(-3))
    log.move(SANNE, "B1", day(1))
    log.attempt(SANNE, MO, day(1))
    harvest = log.harvest(settings=settings)
    assert award(harvest, AwardKind.CLIMBER).line == "Sanne klom 1 niveau omhoog, van Start naar On the way."
    assert award(harvest, AwardKind.TEAM).line == "Samen 1 poging van de 6 (17 %). Vorige periode: 0 pogingen."


def test_the_wall_before_and_after_and_the_days():
    log = Log()
    log.hang(SANNE, "A1", day(-3))
    log.hang(DAAN, "A2", day(-3))
    log.move(SANNE, "B1", day(1))
    log.hang(ILSE, "A3", day(2))
    log.attempt(DAAN, MO, day(6, 23))  # Sunday late: still this week
    log.attempt(DAAN, MO, day(7, 0))  # Monday 00:00 is the next period
    harvest = log.harvest()
    assert harvest.wall_before == {"A1": SANNE, "A2": DAAN}
    assert harvest.wall_after == {"B1": SANNE, "A2": DAAN, "A3": ILSE}
    assert harvest.moved == {SANNE, ILSE}
    assert [count for _day, count in harvest.per_day] == [0, 0, 0, 0, 0, 0, 1]
    assert harvest.per_day[0][0].isoformat() == "2026-11-23"


# -- on a running wall ----------------------------------------------------------------------


def test_an_admin_closing_the_period_records_its_totals_and_awards_before_the_new_period(wall):
    from tests.harness import DAAN as DAAN_CARD
    from tests.harness import MO_BADGE
    from tests.harness import SANNE as SANNE_CARD

    wall.show("A1", SANNE_CARD)
    wall.show("A2", DAAN_CARD)
    wall.tap("A1", MO_BADGE)
    wall.show("A1")
    wall.show("B1", SANNE_CARD)  # Sanne moves up
    wall.wait(120)
    first = wall.service.state.period.id
    recorded = wall.service.close_period()
    assert recorded[-1].type is EventType.PERIOD_STARTED and recorded[-1].seq == wall.store.last_seq()
    closed = [e for e in wall.store.events_since(0, 1000) if e.type is EventType.PERIOD_CLOSED]
    assert len(closed) == 1
    assert closed[0].details | {"starts_at": None, "ends_at": None} == {
        "period_id": first,
        "starts_at": None,
        "ends_at": None,
        "goal": 5,
        "count": 1,
        "previous_count": None,
        "people_tried": 1,
        "closed_early": True,
    }
    given = {e.details["award"]: e.details for e in wall.store.events_since(0, 1000) if e.type is EventType.AWARD_GIVEN}
    assert set(given) == {"team", "climber", "most_attempts", "first_attempt", "coach"}
    assert given["climber"]["winners"] == [{"id": wall.people["Sanne"], "name": "Sanne", "value": 1}]
    assert given["climber"]["title"] == "Grootste klimmer"  # the wall's language
    assert given["coach"]["winners"][0]["name"] == "Mo"
    assert wall.service.state.period.id == first + 1 and wall.service.state.period.count == 0
