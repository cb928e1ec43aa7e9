"""User-facing text in Dutch (default) and English."""

LANGUAGES = ("nl", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "status.title": {"nl": "Muur {board}", "en": "Wall {board}"},
    "status.period": {"nl": "Periode {start} t/m {end}", "en": "Period {start} to {end}"},
    "status.thermometer": {
        "nl": "Thermometer: {count} van {goal} pogingen ({percent} %), vandaag {today}",
        "en": "Thermometer: {count} of {goal} attempts ({percent} %), today {today}",
    },
    "status.no_period": {"nl": "Nog geen periode begonnen", "en": "No period started yet"},
    "status.empty": {"nl": "leeg", "en": "empty"},
    "status.unknown": {"nl": "onbekende kaart {uid}", "en": "unknown card {uid}"},
    "status.offline": {"nl": "lezer offline", "en": "reader offline"},
    "status.moved_up": {"nl": "Omhoog deze periode: {names}", "en": "Moved up this period: {names}"},
    "status.recent": {"nl": "Laatste pogingen:", "en": "Latest attempts:"},
    "status.attempt": {
        "nl": "{person} probeerde het — bevestigd door {coach}",
        "en": "{person} gave it a try — confirmed by {coach}",
    },
    "init.written": {"nl": "Voorbeeldconfiguratie geschreven: {path}", "en": "Example config written: {path}"},
    "init.exists": {
        "nl": "{path} bestaat al; gebruik --force om te overschrijven",
        "en": "{path} already exists; use --force to overwrite",
    },
    "db.ready": {"nl": "Database klaar: {url}", "en": "Database ready: {url}"},
    "db.migrated": {"nl": "Database bijgewerkt naar {rev}", "en": "Database upgraded to {rev}"},
    "db.current": {"nl": "Database is al bij de nieuwste versie ({rev})", "en": "Database is up to date ({rev})"},
    "db.rebuilt": {"nl": "Posities opnieuw berekend: {count} kaarten aan de muur",
                   "en": "Positions rebuilt: {count} cards on the wall"},
    "person.added": {"nl": "{name} toegevoegd (id {id})", "en": "Added {name} (id {id})"},
    "coach.added": {"nl": "Coach {name} toegevoegd (id {id})", "en": "Added coach {name} (id {id})"},
    "run.started": {"nl": "Muur {board} draait; stoppen met Ctrl-C", "en": "Wall {board} running; stop with Ctrl-C"},
    "demo.started": {
        "nl": "Demo-muur draait in {dir}; stoppen met Ctrl-C",
        "en": "Demo wall running in {dir}; stop with Ctrl-C",
    },
    "screenshot.saved": {"nl": "Schermafdruk opgeslagen: {path}", "en": "Screenshot saved: {path}"},
    "demo.no_window": {
        "nl": "Geen venster mogelijk ({reason}).\nDe demo speelt nu zonder scherm: de muur leeft vanzelf en elke gebeurtenis staat hieronder.",
        "en": "No window possible ({reason}).\nThe demo runs without a screen: the wall plays by itself and every event is listed below.",
    },
    "error": {"nl": "Fout: {message}", "en": "Error: {message}"},
}


def text(key: str, language: str = "nl", **values: object) -> str:
    entry = MESSAGES[key]
    return entry.get(language, entry["nl"]).format(**values)
