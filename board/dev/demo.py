"""The example wall: who is on it, for `wallboard demo` and the benchmarks."""

import random
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from board.app.config import Config, load_config
from board.app.lock import LOCK_NAME, DataDirLock
from board.core.errors import WallboardError
from board.core.settings import PAD
from sensors.sim import SimulatedReader

EXAMPLE_CONFIG = Path(__file__).with_name("example.toml")
DEMO_MARK = ".wallboard-demo"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    card: str
    slot: str | None  # where the card hangs when the demo starts


@dataclass(frozen=True)
class DemoCoach:
    name: str
    badge: str
    person: str | None = None  # a coach who is on the wall too


def _card(number: int) -> str:
    return f"04{number:02X}5A3C1E2B80"  # 7-byte UIDs, as on NTAG stickers


DEMO_PEOPLE = tuple(
    DemoPerson(name, _card(index + 1), slot)
    for index, (name, slot) in enumerate(
        [
            ("Sanne", "A1"),
            ("Daan", "A2"),
            ("Fatima", "A4"),
            ("Jeroen", "A5"),
            ("Lotte", "A7"),
            ("Youssef", "A8"),
            ("Emma", "B1"),
            ("Noah", "B3"),
            ("Priya", "B4"),
            ("Bram", "B6"),
            ("Ayla", "C2"),
            ("Ilse", "A10"),
            ("Tim", None),
            ("Mila", None),
        ]
    )
)
DEMO_COACHES = (
    DemoCoach("Mo", "C0AC0001"),
    DemoCoach("Ilse", "C0AC0002", person="Ilse"),  # shows that nobody confirms their own attempt
    DemoCoach("Kees", "C0AC0003"),
)


class NotADemoFolder(WallboardError, FileExistsError):
    """The demo was pointed at a folder it did not make; it wipes only its own."""


def claim_demo_folder(data_dir: Path) -> DataDirLock:
    """Lock the demo's folder and empty it for a fresh start.

    Only a folder the demo made (it carries DEMO_MARK) or an empty one: pointed at a
    real wall's data, or at `.`, the demo refuses and deletes nothing. The lock keeps a
    running demo or wall from being wiped under its feet.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = DataDirLock(data_dir, "demo").acquire()
    try:
        leftovers = [path for path in data_dir.iterdir() if path.name not in (LOCK_NAME, DEMO_MARK)]
        if leftovers and not _made_by_the_demo(data_dir):
            raise NotADemoFolder(
                f"{data_dir.resolve()} is not a folder the demo made (it has no {DEMO_MARK}), "
                "and the demo wipes its folder at every start; choose another --data-dir"
            )
        for path in leftovers:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        (data_dir / DEMO_MARK).write_text(
            "Made by `wallboard demo`, which empties this folder at every start.\n", encoding="utf-8"
        )
    except BaseException:
        lock.close()
        raise
    return lock


def _made_by_the_demo(data_dir: Path) -> bool:
    """Marked as the demo's, or a demo folder from before the mark: the demo's own config in it."""
    if (data_dir / DEMO_MARK).is_file():
        return True
    config = data_dir / "wallboard.toml"
    text = config.read_text(encoding="utf-8", errors="replace") if config.is_file() else ""
    return 'board_id = "demo"' in text and 'data_dir = "."' in text


def write_demo_config(data_dir: Path, language: str) -> Config:
    """The example config pointed at `data_dir` (a folder claimed with claim_demo_folder)."""
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace('board_id = "wall"', 'board_id = "demo"').replace('data_dir = "data"', 'data_dir = "."')
    text = text.replace('language = "nl"', f'language = "{language}"')
    path = data_dir / "wallboard.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def hang_demo_cards(readers: dict[str, SimulatedReader]) -> None:
    for person in DEMO_PEOPLE:
        if person.slot:
            readers[person.slot].set_tags([person.card])


class Autoplay:
    """Life on the demo wall: now and then a card moves or a coach confirms."""

    def __init__(
        self, readers: dict[str, SimulatedReader], config: Config, pause: float = 6.0, seed: int | None = None
    ):
        self.readers = readers
        self.config = config
        self.pause = pause
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="autoplay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2)

    def _run(self) -> None:
        while not self._stop.wait(self.pause):
            if self._rng.random() < 0.5:
                self._move_someone()
            else:
                self._confirm_someone()

    def _slot_of(self, uid: str) -> str | None:
        return next((name for name, reader in self.readers.items() if uid in reader.tags and name != PAD), None)

    def _move_someone(self) -> None:
        person = self._rng.choice(DEMO_PEOPLE)
        empty = [slot for slot in self.config.slot_ids if not self.readers[slot].tags]
        if not empty:
            return
        source = self._slot_of(person.card)
        if source:
            self.readers[source].set_tags(())
        if self._stop.wait(1.0):
            return
        self.readers[self._rng.choice(empty)].set_tags([person.card])

    def _confirm_someone(self) -> None:
        occupied = [slot for slot in self.config.slot_ids if self.readers[slot].tags]
        if not occupied:
            return
        slot = self._rng.choice(occupied)
        coach = self._rng.choice(DEMO_COACHES)
        reader = self.readers[slot]
        cards = reader.tags
        reader.set_tags(cards | {coach.badge})
        if not self._stop.wait(1.0):
            reader.set_tags(cards)
