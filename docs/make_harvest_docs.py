"""Regenerate the harvest pictures in docs/screens/: `python docs/make_harvest_docs.py` (needs pdftoppm).

Two weeks on the demo wall (the week of 16 November 2026, then the week of 23
November), played through the real scanner, rules and store on a fake clock;
the second week's harvest is then drawn as the printable report (A4 pages and
the A3 poster, turned into PNGs with pdftoppm) and as the screen shows it.
"""

import random
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from board.app.runtime import simulated_readers
from board.core.clock import FakeClock
from board.dev.demo import DEMO_COACHES, DEMO_PEOPLE, write_demo_config
from board.dev.simulation import ScenarioStep, Simulation
from board.wall.reports import harvest_of
from board.wall.service import WallService
from render.config import DisplayConfig
from render.samples import photo_for
from render.screenshot import render_png
from sensors.events import TagSeen
from store.repository import Store

DOCS = Path(__file__).parent / "screens"
START = datetime(2026, 11, 16, 8, 0)


def two_weeks(config) -> list[ScenarioStep]:
    """Attempts every working day, more in the second week, and cards moving up now and then."""
    rng = random.Random(2026)
    slots = {person.card: person.slot for person in DEMO_PEOPLE if person.slot}
    newcomers = [person.card for person in DEMO_PEOPLE if not person.slot]
    badges = [coach.badge for coach in DEMO_COACHES]
    levels = [level.slots for level in config.levels]
    steps: list[ScenarioStep] = []
    for day in range(14):
        if day % 7 >= 5:
            continue
        t = day * 86400 + 3600 * (1 + rng.random())
        if day >= 7 and newcomers and rng.random() < 0.5:  # someone new hangs their card
            card = newcomers.pop()
            slot = next(s for s in levels[0] if s not in slots.values())
            slots[card] = slot
            steps.append(ScenarioStep(t=t, reader=slot, tags=[card]))
            t += 60
        for _ in range(rng.randint(2, 4) if day < 7 else rng.randint(4, 8)):
            card = rng.choice(sorted(slots))
            slot, badge = slots[card], rng.choice(badges)
            steps += [
                ScenarioStep(t=t, reader=slot, tags=[card, badge]),
                ScenarioStep(t=t + 2, reader=slot, tags=[card]),
            ]
            t += 600 + rng.random() * 3600
            if rng.random() < (0.25 if day < 7 else 0.35):  # and now and then a move up
                level = next(i for i, level_slots in enumerate(levels) if slot in level_slots)
                free = [s for s in levels[min(level + 1, len(levels) - 1)] if s not in slots.values()]
                if level + 1 < len(levels) and free:
                    target = rng.choice(free)
                    steps += [
                        ScenarioStep(t=t, reader=slot, tags=[]),
                        ScenarioStep(t=t + 4, reader=target, tags=[card]),
                    ]
                    slots[card] = target
                    t += 60
    return steps


def played_wall(directory: Path, language: str) -> tuple[WallService, Store]:
    config = write_demo_config(directory, language)
    readers = simulated_readers(config)
    for person in DEMO_PEOPLE:
        if person.slot:
            readers[person.slot].set_tags([person.card])
    clock = FakeClock(START.replace(tzinfo=config.tz), config.tz)
    store = Store(config).open()
    service = WallService(config, store, readers, clock)
    config.photos_dir.mkdir(parents=True, exist_ok=True)
    ids = {}
    for person in DEMO_PEOPLE:
        photo = photo_for(person.name)
        if photo:
            shutil.copy(photo, config.photos_dir)
        ids[person.name] = service.add_person(person.name, card=person.card, photo=Path(photo).name if photo else None)
    for coach in DEMO_COACHES:
        service.add_coach(coach.name, coach.badge, ids.get(coach.person) if coach.person else None)
    service.tick()
    service.set_goal(25)
    service.set_goal(40, "next")
    simulation = Simulation(service, readers, clock)
    for _event in simulation.play(two_weeks(config)):
        pass
    clock.advance_to((datetime(2026, 11, 30, 9, 0) - START).total_seconds())
    service.tick()  # Monday: the second week closes and hands out its awards
    return service, store


def main() -> None:
    from board.app.report import write_report

    if shutil.which("pdftoppm") is None:
        sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as scratch:
        for language in ("nl", "en"):
            service, store = played_wall(Path(scratch) / language, language)
            span = store.periods()[-2]
            harvest = harvest_of(store, service.config, span, service.directory)
            suffix = "" if language == "nl" else "-en"
            report = Path(scratch) / f"harvest{suffix}.pdf"
            pages = write_report(harvest, service.config, report, language)
            subprocess.run(
                ["pdftoppm", "-png", "-r", "60", str(report), str(DOCS / f"harvest-report{suffix}")], check=True
            )
            print(f"{report.name}: {pages} pages")
            snapshot = service.snapshot()
            assert snapshot.harvest is not None, "Monday morning shows last week's harvest"
            screen = DisplayConfig(size=(1920, 1080), night=(), burn_in_shift_pixels=0)
            print(render_png(snapshot, screen, DOCS / f"harvest-screen-1920x1080{suffix}.png"))
            if language == "nl":
                print(
                    render_png(
                        snapshot, screen.model_copy(update={"portrait": True}), DOCS / "harvest-screen-portrait.png"
                    )
                )
                lotte = next(person.card for person in DEMO_PEOPLE if person.name == "Lotte")
                service.handle(TagSeen("pad", lotte))  # Lotte taps her own card on the pad
                print(render_png(service.snapshot(), screen, DOCS / "journey-own-card.png"))
                poster = Path(scratch) / "poster.pdf"
                write_report(harvest, service.config, poster, language, poster=True)
                subprocess.run(
                    ["pdftoppm", "-png", "-r", "45", "-singlefile", str(poster), str(DOCS / "harvest-poster")],
                    check=True,
                )
            service.stop()
            store.close()
    for png in sorted(DOCS.glob("harvest-*.png")):
        print(png)


if __name__ == "__main__":
    main()
