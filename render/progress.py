"""The numbers around the thermometer: round milestones, what is left, and the pace.

"nog 13 tot 13" and milestones at 13/25/38 of 50 say nothing to a passer-by;
milestones at round fractions (10, 20, 30, 40 of 50) and "nog 40 te gaan, nog
8 per dag" do.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from board.core.snapshot import PeriodView

_FRACTIONS = (4, 5, 3, 2)  # quarters read best, then fifths, thirds, halves
_NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def milestones(goal: int) -> tuple[int, ...]:
    """Ticks on the thermometer, the goal last: equal round fractions of the goal when it
    divides evenly, else multiples of a round step (5, 10 … of 13), none crowding the goal."""
    if goal <= 1:
        return (max(goal, 1),)
    for parts in _FRACTIONS:
        step = goal // parts
        if goal % parts == 0 and (step % 5 == 0 or goal <= 20):  # 25 of 100, 10 of 50, 10 of 30, 3 of 12
            return tuple(step * share for share in range(1, parts + 1))
    step = next((step for step in _NICE_STEPS if goal / step <= 5), _NICE_STEPS[-1])
    ticks = [value for value in range(step, goal, step) if goal - value >= step * 0.5]
    return (*ticks, goal)


@dataclass(frozen=True)
class Pace:
    missing: int  # attempts still needed for the goal
    days_left: int  # calendar days left in the period, today included
    per_day: int  # attempts a day from now on to make it
    on_schedule: bool  # at least where an even pace through the period would be


def pace(period: PeriodView, now: datetime) -> Pace:
    missing = max(0, period.goal - period.count)
    left = (period.ends_at - now).total_seconds() / 86400
    days_left = max(1, math.ceil(left))
    total = max(1e-9, (period.ends_at - period.starts_at).total_seconds())
    elapsed = min(1.0, max(0.0, (now - period.starts_at).total_seconds() / total))
    return Pace(
        missing=missing,
        days_left=days_left,
        per_day=math.ceil(missing / days_left),
        on_schedule=period.count >= period.goal * elapsed,
    )
