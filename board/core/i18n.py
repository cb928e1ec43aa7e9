"""Every word the wall shows or prints, in Dutch (the default) and English.

Dates are spelled out here rather than through the OS locale, which a Pi
Lite image usually lacks.
"""

from datetime import date, datetime

DEFAULT_LANGUAGE = "nl"

_STRINGS: dict[str, dict[str, str]] = {
    "nl": {
        "attempt_line": "{person} probeerde het",
        "attempt_by": "bevestigd door {coach}",
        "of_goal": "van de {goal} pogingen",
        "today": "vandaag +{count}",
        "today_none": "vandaag nog geen",
        "to_go": "nog {missing} te gaan",
        "days_left": "nog {days} dagen",
        "last_day": "laatste dag",
        "on_schedule": "op schema",
        "per_day": "nog {count} per dag",
        "cta_title": "Hang je polaroid op",
        "cta_how": "Kies een vrij vak op het onderste niveau en hang je kaart erin: de muur ziet hem meteen. "
        "Nog geen polaroid? Vraag je coach.",
        "goal_done": "doel gehaald!",
        "this_week": "deze week",
        "this_period": "deze periode",
        "recent_title": "Net bevestigd",
        "recent_none": "Nog geen pogingen. Coach: tik je badge op een polaroid.",
        "moved_up_title": "Omhoog {period}",
        "moved_up_none": "Nog niemand. Wie is de eerste?",
        "empty": "vrij",
        "unknown": "onbekende kaart",
        "offline": "lezer offline",
        "storage_failed": "opslaan mislukt: schijf vol?",
        "pad_open": "Coachpad open: {coach}",
        "pad_hint": "tik je polaroid op het pad",
        "goal_label": "doel",
        "celebrate_attempt": "{person} probeerde het!",
        "celebrate_attempt_sub": "bevestigd door {coach}",
        "celebrate_up": "{person} gaat omhoog!",
        "celebrate_up_sub": "naar {level}",
        "celebrate_goal": "Doel gehaald!",
        "celebrate_goal_sub": "{count} pogingen {period}. Top gedaan, allemaal!",
        "week": "week {number}",
        "demo_pad": "Coachpad",
        "demo_pad_open": "open voor {coach}",
        "demo_badges": "Coaches: sleep een badge op een polaroid of op het pad",
        "demo_hand": "Kaarten in je hand",
        "demo_new_card": "nieuwe kaart",
        "demo_hint": "Sleep polaroids en badges · h = hulp",
        "demo_help_title": "Zo werkt de muur",
        "demo_help": (
            "Sleep een polaroid naar een ander vak: zo ga je omhoog (of omlaag).|"
            "Sleep een coachbadge op een polaroid: een poging, bevestigd.|"
            "Of: badge op het coachpad, dan polaroids op het pad (binnen 20 s).|"
            "Kaart van de muur en niet terug binnen 15 s: van de muur af.|"
            "Een nieuwe kaart op de muur is een onbekende kaart.|"
            "o lezer onder de muis kapot/heel · n nachtstand · m minder beweging|"
            "s schermafdruk · h deze hulp · Esc stoppen"
        ),
        # the wallboard command
        "status.title": "Muur {board}",
        "status.period": "Periode {start} t/m {end}",
        "status.thermometer": "Thermometer: {count} van {goal} pogingen ({percent} %), vandaag {today}",
        "status.unknown": "onbekende kaart {uid}",
        "status.offline": "lezer offline",
        "status.moved_up": "Omhoog deze periode: {names}",
        "status.recent": "Laatste pogingen:",
        "init.written": "Voorbeeldconfiguratie geschreven: {path}",
        "init.exists": "{path} bestaat al; gebruik --force om te overschrijven",
        "db.ready": "Database klaar: {url}",
        "db.migrated": "Database bijgewerkt naar {rev}",
        "db.current": "Database is al bij de nieuwste versie ({rev})",
        "db.rebuilt": "Posities opnieuw berekend: {count} kaarten aan de muur",
        "db.backed_up": "Back-up gemaakt: {path}",
        "db.restored": "Back-up teruggezet: {path}",
        "db.kept": "De vervangen database is bewaard als {path}",
        "person.added": "{name} toegevoegd (id {id})",
        "coach.added": "Coach {name} toegevoegd (id {id})",
        "person.is_archived": "  (gearchiveerd)",
        "cli.error": "Fout",
        "error.no_period_running": "er loopt nog geen periode: de muur heeft nog niet gedraaid",
        "person.renamed": "{old} heet nu {new}",
        "person.archived": "{name} gearchiveerd: de kaart is vrij, de geschiedenis blijft",
        "person.photo": "Foto van {name} opgeslagen: {path}",
        "coach.on_wall": "  (ook op de muur: {name})",
        "coach.removed": "Coach {name} verwijderd: de badge bevestigt niets meer",
        "goal.current": "Doel van deze periode: {goal} pogingen",
        "goal.next": "Doel van de volgende periode: {goal} pogingen",
        "attempt.is_voided": "  (geschrapt)",
        "attempt.voided": "Poging {id} van {person} geschrapt",
        "move.corrected": "Rechtgezet: {name} hangt in {slot}",
        "move.corrected_off": "Rechtgezet: {name} hangt niet op de muur",
        "period.closed": "Periode {id} afgesloten met {count} pogingen. De oogst:",
        "period.started": "Periode {id} loopt tot {end}",
        "run.started": "Muur {board} draait; stoppen met Ctrl-C",
        "demo.started": "Demo-muur draait in {dir}; stoppen met Ctrl-C",
        "screenshot.saved": "Schermafdruk opgeslagen: {path}",
        # refusals of admin commands
        "error.name_empty": "een naam mag niet leeg zijn",
        "error.name_long": "een naam heeft hoogstens {max} tekens",
        "error.name_control": "een naam mag geen stuurtekens bevatten",
        "error.uid": "ongeldige tag: {detail}",
        "error.card_not_badge": "tag {uid} is de kaart van iemand, geen badge",
        "error.badge_taken": "badge {uid} is al van coach {coach}",
        "error.no_person_id": "er is niemand met id {id}",
        "error.no_person_named": "er is niemand die {name!r} heet",
        "error.many_named": "meer dan één persoon heet {name!r}; gebruik het id (wallboard person list)",
        "error.tag_is_badge": "tag {uid} is een coachbadge",
        "error.card_taken": "kaart {uid} is al van {person}",
        "error.no_coach_id": "er is geen coach met id {id}",
        "error.no_coach_named": "er is geen coach die {name!r} heet",
        "error.archived": "{person} is gearchiveerd",
        "error.card_free": "kaart {uid} is van niemand",
        "error.enrolling": "er wacht al een card/enroll op een tag",
        "error.not_counted": "telt niet: {reason}",
        "error.no_attempt": "er is geen poging met id {id}",
        "error.already_voided": "poging {id} is al geschrapt",
        "error.no_slot": "er is geen vak {slot}",
        "error.already_in": "{person} staat al in {slot}",
        "error.already_off": "{person} staat al niet op de muur",
        "error.enroll_timeout": "er is op tijd geen onbekende tag gezien",
        "error.no_last_period": "er is nog geen afgelopen periode",
        "error.no_period": "er is geen periode met id {id}",
        "error.bad_date": "{spec}: {detail}",
        "error.range_backwards": "{spec}: de laatste dag ligt voor de eerste",
        "error.period_spec": "{spec!r}: gebruik current, last, een periode-id, all of VAN..TOT (JJJJ-MM-DD)",
        "error.photo": "{path}: geen bruikbare foto ({detail})",
        "error.goal": "een doel ligt tussen 0 en 1.000.000",
        # the harvest
        "award.team": "Team",
        "award.climber": "Grootste klimmer",
        "award.most_attempts": "Meeste pogingen",
        "award.first_attempt": "Eerste poging",
        "award.coach": "Coach van de periode",
        "award.streak": "Volhouder",
        "award.team.reached": "Samen {count}: het doel van {goal} is gehaald!",
        "award.team.short": "Samen {count} van de {goal} ({percent} %).",
        "award.team.no_goal": "Samen {count}.",
        "award.team.previous": "Vorige periode: {previous}.",
        "award.climber.line": "{names} klom {levels} omhoog, van {start} naar {end}.",
        "award.climber.tie": "{names} klommen elk {levels} omhoog.",
        "award.most_attempts.line": "{names} probeerde het {times}.",
        "award.most_attempts.tie": "{names} probeerden het elk {times}.",
        "award.first_attempt.line": "Voor het eerst geprobeerd: {names}. Welkom!",
        "award.first_attempt.tie": "Voor het eerst geprobeerd: {names}. Welkom!",
        "award.coach.line": "{names} bevestigde {attempts} van {people}.",
        "award.coach.tie": "{names} bevestigden elk {attempts} van {people}.",
        "award.streak.line": "{names} probeerde het {days} op rij.",
        "award.streak.tie": "{names} probeerden het elk {days} op rij.",
        "names.and": "en",
        "journey.title": "Jouw reis",
        "journey.not_on_wall": "Je kaart hangt nog niet op de muur.",
        "journey.now": "Deze periode: {attempts}",
        "journey.before": "De periode ervoor: {attempts}",
        "journey.next": "Volgende stap: {level}",
        "journey.top": "Je staat bovenaan. Wie neem jij mee?",
        "refused.self_confirm": "Even iemand anders vragen",
        "refused.self_confirm_sub": "{person}, je eigen poging bevestigt een andere coach",
        "refused.duplicate": "Die telde al!",
        "refused.duplicate_sub": "{person} is net al meegeteld. Mooi zo",
        "refused.unknown_badge": "Deze badge kent de muur nog niet",
        "refused.unknown_badge_sub": "Vraag de beheerder hem te registreren",
        "harvest.title": "De oogst",
        "harvest.span": "{start} t/m {end}",
        "harvest.climbed": "Omhoog geklommen",
        "harvest.from_to": "van {start} naar {end}",
        "harvest.nobody_climbed": "Deze keer klom niemand. Volgende keer?",
        "harvest.before": "De muur bij de start",
        "harvest.after": "en aan het eind",
        "harvest.showing": "De muur laat de oogst {minutes} minuten zien",
        "report.title": "Oogst · muur {board}",
        "report.span": "{start} t/m {end}",
        "report.period_id": "periode {id}",
        "report.attempts_of": "pogingen van de {goal}",
        "report.attempts": "pogingen",
        "report.people_tried": "mensen probeerden iets",
        "report.people_climbed": "mensen klommen omhoog",
        "report.previous": "pogingen de periode ervoor",
        "report.awards": "Prijzen",
        "report.no_awards": "Geen prijzen deze keer.",
        "report.per_day": "Pogingen per dag",
        "report.per_person": "Per persoon",
        "report.per_coach": "Per coach",
        "report.person": "naam",
        "report.levels": "niveaus",
        "report.from_to": "van → naar",
        "report.first": "eerste poging",
        "report.archived": "gearchiveerd",
        "report.coach": "coach",
        "report.confirmations": "bevestigd",
        "report.people": "mensen",
        "report.wall": "De muur",
        "report.before": "Bij de start",
        "report.after": "Aan het eind",
        "report.moved_note": "Oranje: kaarten die verhuisden.",
        "report.worked": "Wat werkte?",
        "report.did_not": "Wat werkte niet, en waarom?",
        "report.next": "Wat gaan we nu doen?",
        "report.written": "Oogstrapport geschreven: {path} ({pages} pagina's)",
        "demo.no_window": "Geen venster mogelijk ({reason}).\nDe demo speelt nu zonder scherm: de muur leeft vanzelf en elke gebeurtenis staat hieronder.",
        # Home Assistant entity names (after the device name, "Polaroid Wall")
        "ha.attempts": "Pogingen deze periode",
        "ha.goal": "Doel",
        "ha.percentage": "Deel van het doel",
        "ha.people_on_wall": "Mensen op de muur",
        "ha.last_attempt": "Laatste poging",
        "ha.last_move_up": "Laatste stap omhoog",
        "ha.readers_offline": "Lezers offline",
        "ha.events": "Gebeurtenissen",
        "ha.message": "Bericht op het scherm",
        "ha.goal_setting": "Doel van deze periode",
        "ha.level": "Mensen op {level}",
        "ha.reader": "Lezer {reader}",
        "ha.pad_reader": "Lezer van de coachpad",
        "ha.harvest": "Toon de oogst",
    },
    "en": {
        "attempt_line": "{person} gave it a go",
        "attempt_by": "confirmed by {coach}",
        "of_goal": "of {goal} attempts",
        "today": "today +{count}",
        "today_none": "none yet today",
        "to_go": "{missing} to go",
        "days_left": "{days} days left",
        "last_day": "last day",
        "on_schedule": "on schedule",
        "per_day": "{count} a day to make it",
        "cta_title": "Hang up your polaroid",
        "cta_how": "Pick a free slot on the bottom level and hang your card in it: the wall sees it at once. "
        "No polaroid yet? Ask your coach.",
        "goal_done": "goal reached!",
        "this_week": "this week",
        "this_period": "this period",
        "recent_title": "Just confirmed",
        "recent_none": "No attempts yet. Coaches: tap your badge on a polaroid.",
        "moved_up_title": "Moved up {period}",
        "moved_up_none": "Nobody yet. Who will be first?",
        "empty": "free",
        "unknown": "unknown card",
        "offline": "reader offline",
        "storage_failed": "cannot save: disk full?",
        "pad_open": "Coach pad open: {coach}",
        "pad_hint": "tap your polaroid on the pad",
        "goal_label": "goal",
        "celebrate_attempt": "{person} gave it a go!",
        "celebrate_attempt_sub": "confirmed by {coach}",
        "celebrate_up": "{person} moves up!",
        "celebrate_up_sub": "to {level}",
        "celebrate_goal": "Goal reached!",
        "celebrate_goal_sub": "{count} attempts {period}. Well done, everyone!",
        "week": "week {number}",
        "demo_pad": "Coach pad",
        "demo_pad_open": "open for {coach}",
        "demo_badges": "Coaches: drag a badge onto a polaroid or onto the pad",
        "demo_hand": "Cards in your hand",
        "demo_new_card": "new card",
        "demo_hint": "Drag polaroids and badges · h = help",
        "demo_help_title": "How the wall works",
        "demo_help": (
            "Drag a polaroid to another slot: that is how you move up (or down).|"
            "Drag a coach badge onto a polaroid: an attempt, confirmed.|"
            "Or: badge on the coach pad, then polaroids on the pad (within 20 s).|"
            "A card taken off and not put back within 15 s is off the wall.|"
            "A new card on the wall is an unknown card.|"
            "o break/heal the reader under the mouse · n night mode · m reduced motion|"
            "s screenshot · h this help · Esc quit"
        ),
        # the wallboard command
        "status.title": "Wall {board}",
        "status.period": "Period {start} to {end}",
        "status.thermometer": "Thermometer: {count} of {goal} attempts ({percent} %), today {today}",
        "status.unknown": "unknown card {uid}",
        "status.offline": "reader offline",
        "status.moved_up": "Moved up this period: {names}",
        "status.recent": "Latest attempts:",
        "init.written": "Example config written: {path}",
        "init.exists": "{path} already exists; use --force to overwrite",
        "db.ready": "Database ready: {url}",
        "db.migrated": "Database upgraded to {rev}",
        "db.current": "Database is up to date ({rev})",
        "db.rebuilt": "Positions rebuilt: {count} cards on the wall",
        "db.backed_up": "Backup written: {path}",
        "db.restored": "Backup restored: {path}",
        "db.kept": "The database it replaced is kept as {path}",
        "person.added": "Added {name} (id {id})",
        "coach.added": "Added coach {name} (id {id})",
        "person.is_archived": "  (archived)",
        "cli.error": "Error",
        "error.no_period_running": "no period is running: the wall has not run yet",
        "person.renamed": "{old} is now called {new}",
        "person.archived": "{name} archived: the card is free, the history stays",
        "person.photo": "Photo of {name} stored: {path}",
        "coach.on_wall": "  (on the wall too: {name})",
        "coach.removed": "Coach {name} removed: the badge confirms nothing any more",
        "goal.current": "Goal of this period: {goal} attempts",
        "goal.next": "Goal of the next period: {goal} attempts",
        "attempt.is_voided": "  (voided)",
        "attempt.voided": "Attempt {id} by {person} voided",
        "move.corrected": "Corrected: {name} hangs in {slot}",
        "move.corrected_off": "Corrected: {name} is off the wall",
        "period.closed": "Period {id} closed with {count} attempts. The harvest:",
        "period.started": "Period {id} runs until {end}",
        "run.started": "Wall {board} running; stop with Ctrl-C",
        "demo.started": "Demo wall running in {dir}; stop with Ctrl-C",
        "screenshot.saved": "Screenshot saved: {path}",
        # refusals of admin commands
        "error.name_empty": "a name cannot be empty",
        "error.name_long": "a name has at most {max} characters",
        "error.name_control": "a name cannot contain control characters",
        "error.uid": "invalid tag: {detail}",
        "error.card_not_badge": "tag {uid} is a person's card, not a badge",
        "error.badge_taken": "badge {uid} already belongs to coach {coach}",
        "error.no_person_id": "no person with id {id}",
        "error.no_person_named": "no person named {name!r}",
        "error.many_named": "more than one person named {name!r}; use the id (wallboard person list)",
        "error.tag_is_badge": "tag {uid} is a coach badge",
        "error.card_taken": "card {uid} already belongs to {person}",
        "error.no_coach_id": "no coach with id {id}",
        "error.no_coach_named": "no coach named {name!r}",
        "error.archived": "{person} is archived",
        "error.card_free": "card {uid} belongs to nobody",
        "error.enrolling": "another card/enroll is already waiting for a tag",
        "error.not_counted": "not counted: {reason}",
        "error.no_attempt": "no attempt with id {id}",
        "error.already_voided": "attempt {id} is already voided",
        "error.no_slot": "no slot {slot}",
        "error.already_in": "{person} is already recorded in {slot}",
        "error.already_off": "{person} is already recorded off the wall",
        "error.enroll_timeout": "no unknown tag was seen in time",
        "error.no_last_period": "there is no finished period yet",
        "error.no_period": "no period with id {id}",
        "error.bad_date": "{spec}: {detail}",
        "error.range_backwards": "{spec}: the last day is before the first",
        "error.period_spec": "{spec!r}: use current, last, a period id, all or FROM..TO (YYYY-MM-DD)",
        "error.photo": "{path}: not a usable photo ({detail})",
        "error.goal": "a goal is between 0 and 1,000,000",
        # the harvest
        "award.team": "Team",
        "award.climber": "Biggest climber",
        "award.most_attempts": "Most attempts",
        "award.first_attempt": "First attempt",
        "award.coach": "Coach of the period",
        "award.streak": "Keeps going",
        "award.team.reached": "Together {count}: the goal of {goal} is reached!",
        "award.team.short": "Together {count} of {goal} ({percent} %).",
        "award.team.no_goal": "Together {count}.",
        "award.team.previous": "Last period: {previous}.",
        "award.climber.line": "{names} climbed {levels}, from {start} to {end}.",
        "award.climber.tie": "{names} each climbed {levels}.",
        "award.most_attempts.line": "{names} gave it a go {times}.",
        "award.most_attempts.tie": "{names} each gave it a go {times}.",
        "award.first_attempt.line": "A first attempt: {names}. Welcome!",
        "award.first_attempt.tie": "A first attempt: {names}. Welcome!",
        "award.coach.line": "{names} confirmed {attempts} by {people}.",
        "award.coach.tie": "{names} each confirmed {attempts} by {people}.",
        "award.streak.line": "{names} gave it a go {days} in a row.",
        "award.streak.tie": "{names} each gave it a go {days} in a row.",
        "names.and": "and",
        "journey.title": "Your journey",
        "journey.not_on_wall": "Your card is not on the wall yet.",
        "journey.now": "This period: {attempts}",
        "journey.before": "The period before: {attempts}",
        "journey.next": "Next step: {level}",
        "journey.top": "You are at the top. Who will you take along?",
        "refused.self_confirm": "Ask someone else",
        "refused.self_confirm_sub": "{person}, another coach confirms your own attempt",
        "refused.duplicate": "That one counted already!",
        "refused.duplicate_sub": "{person} was counted a moment ago. Nice",
        "refused.unknown_badge": "The wall does not know this badge yet",
        "refused.unknown_badge_sub": "Ask the admin to register it",
        "harvest.title": "The harvest",
        "harvest.span": "{start} to {end}",
        "harvest.climbed": "Climbed up",
        "harvest.from_to": "from {start} to {end}",
        "harvest.nobody_climbed": "Nobody climbed this time. Next time?",
        "harvest.before": "The wall at the start",
        "harvest.after": "and at the end",
        "harvest.showing": "The wall shows the harvest for {minutes} minutes",
        "report.title": "Harvest · wall {board}",
        "report.span": "{start} to {end}",
        "report.period_id": "period {id}",
        "report.attempts_of": "attempts of {goal}",
        "report.attempts": "attempts",
        "report.people_tried": "people gave it a go",
        "report.people_climbed": "people moved up",
        "report.previous": "attempts the period before",
        "report.awards": "Awards",
        "report.no_awards": "No awards this time.",
        "report.per_day": "Attempts per day",
        "report.per_person": "Per person",
        "report.per_coach": "Per coach",
        "report.person": "name",
        "report.levels": "levels",
        "report.from_to": "from → to",
        "report.first": "first attempt",
        "report.archived": "archived",
        "report.coach": "coach",
        "report.confirmations": "confirmed",
        "report.people": "people",
        "report.wall": "The wall",
        "report.before": "At the start",
        "report.after": "At the end",
        "report.moved_note": "Orange: cards that moved.",
        "report.worked": "What worked?",
        "report.did_not": "What did not, and why?",
        "report.next": "What do we do next?",
        "report.written": "Harvest report written: {path} ({pages} pages)",
        "demo.no_window": "No window possible ({reason}).\nThe demo runs without a screen: the wall plays by itself and every event is listed below.",
        "ha.attempts": "Attempts this period",
        "ha.goal": "Goal",
        "ha.percentage": "Share of the goal",
        "ha.people_on_wall": "People on the wall",
        "ha.last_attempt": "Last attempt",
        "ha.last_move_up": "Last move up",
        "ha.readers_offline": "Readers offline",
        "ha.events": "Events",
        "ha.message": "Screen message",
        "ha.goal_setting": "Goal of this period",
        "ha.level": "People on {level}",
        "ha.reader": "Reader {reader}",
        "ha.pad_reader": "Coach pad reader",
        "ha.harvest": "Show the harvest",
    },
}

# What `wallboard <command> --help` says in Dutch; English is the commands' own docstrings.
_HELP_NL: dict[str, str] = {
    "": "Polaroid Wall: een muur van polaroids die elke verhuizing en elke gecoachte poging telt.",
    "bridge": "De brug van de Mosquitto op deze Pi naar een broker van het bedrijf (docs/fleet.md).",
    "bridge setup": "Claim de board_id op de broker van het bedrijf, bewaar [mqtt.bridge] en schrijf de brug voor Mosquitto.",
    "bridge conf": "Schrijf de brug voor Mosquitto opnieuw uit [mqtt.bridge] (install.sh doet dat bij elke upgrade).",
    "init": "Schrijf een voorbeeldconfiguratie (3 niveaus van 10 vakken) en maak de database.",
    "db": "Onderhoud van de database.",
    "db upgrade": "Breng de database naar het nieuwste schema (gebeurt ook bij elke start).",
    "db rebuild": "Bereken uit het logboek opnieuw waar elke kaart hangt.",
    "db create": "Maak de database van deze config (init doet dat voor een nieuwe muur); andere commando's nooit.",
    "db backup": "Maak een back-up van database en foto's in één archief; kan terwijl de muur draait.",
    "db restore": "Zet een back-up terug (stop eerst de service); de vervangen database blijft bewaard.",
    "run": "Laat de muur draaien volgens de configuratie, tot hij gestopt wordt.",
    "demo": "Open de voorbeeldmuur in een venster: sleep polaroids en coachbadges (h voor hulp).",
    "status": "Laat zien waar elke kaart hangt, de periode en de thermometer.",
    "screenshot": "Teken wat het scherm nu laat zien in een PNG, zonder scherm.",
    "person": "Mensen op de muur.",
    "person add": "Registreer iemand, eventueel met de kaart.",
    "person list": "Iedereen op de muur: id, naam, vak en kaarten.",
    "person rename": "Geef iemand (naam of id) een andere naam; oude gebeurtenissen houden de oude.",
    "person archive": "Haal iemand voorgoed van de muur: de kaart is weer vrij, de geschiedenis blijft.",
    "person photo": "Zet iemands foto vanuit elke telefoonfoto (rechtop gedraaid, verkleind, als JPEG bewaard).",
    "coach": "Coaches en hun badges.",
    "coach add": "Registreer een coachbadge; alleen geregistreerde badges bevestigen pogingen.",
    "coach list": "De coaches wier badges pogingen bevestigen.",
    "coach remove": "Zet een coach (naam of id) stop: de badge bevestigt niets meer.",
    "goal": "Het doel van de thermometer.",
    "goal set": "Zet het doel (bevestigde pogingen) van deze of de volgende periode.",
    "attempt": "Bevestigde pogingen.",
    "attempt list": "De pogingen van een periode, met hun id (om er een te schrappen).",
    "attempt void": "Schrap een poging: ze blijft in de geschiedenis, met de reden, en telt niet meer.",
    "move": "Waar de kaarten hangen.",
    "move correct": 'Zet het verslag recht: de kaart van NAAM hangt echt in VAK (of "off": niet op de muur).',
    "period": "Periodes: de tijd die de thermometer telt.",
    "period close": "Sluit de periode nu af: de prijzen worden uitgereikt en de volgende periode begint.",
    "export": "Exporteer pogingen, verplaatsingen, gebeurtenissen of mensen als CSV of JSON (UTF-8; kolommen in "
    "docs/export.md).",
    "harvest": "De oogst van een periode: de prijzen, met --out het rapport om af te drukken, met --show op het "
    "scherm van de muur.",
    "replay": "Speel een scenario (de JSON-regels die `demo --scenario` leest) af op de niveaus, mensen en regels "
    "van deze muur, op een kopie van de database (tenzij --record).",
    "doctor": "Controleer de muur: SPI, groepen, lezers, scherm, LEDs, broker, klok, schijf, database; één regel "
    "per controle, met de oplossing.\n\nDraai hem als de service-gebruiker (sudo -u wallboard wallboard doctor) terwijl "
    "de service stilstaat.",
    "bench": "Meet de snelheid; toont de uitkomsten als JSON.",
    "fleet": "Veel muren, één overzicht voor het bedrijf (docs/fleet.md).",
    "fleet collect": "Verzamel de gebeurtenissen van alle muren van de bedrijfsbroker in de database, elke één keer "
    "(gedeeld abonnement: start er meer om de last te verdelen).",
    "fleet bench": "Meet de verzamelaar en het overzicht: 200 gesimuleerde muren in een eigen Mosquitto en "
    "PostgreSQL; toont de uitkomsten als JSON.",
    "fleet serve": "Het overzicht voor L&D in de browser: alle muren, de ranglijst, de prijzen en de oogst; "
    "alleen lezen, met inloggen of een token.",
    "fleet password": "Toon de regels voor een gebruiker van het overzicht (alleen een hash van het wachtwoord).",
    "fleet token": "Maak een token voor een scherm of een script: het token en de hash voor de configuratie.",
}

# -- the `wallboard` command's own words (help, errors, doctor) ----------------------------
# Kept as (Dutch, English) pairs, so a text cannot lack its other language.

# Lines the command prints; merged into _STRINGS below, so `text()` says them.
_COMMAND_TEXTS: dict[str, tuple[str, str]] = {
    "cli.bad_size": ("gebruik BREEDTExHOOGTE, zoals 1280x720", "use WIDTHxHEIGHT, like 1280x720"),
    "run.screen": ("; scherm: {backend}", "; screen: {backend}"),
    "run.no_screen": ("; geen scherm", "; no screen"),
    # `wallboard doctor`: the verdict and topic columns, every finding and its fix
    "doctor.verdict.ok": ("ok", "ok"),
    "doctor.verdict.warn": ("let op", "warn"),
    "doctor.verdict.FAIL": ("FOUT", "FAIL"),
    "doctor.summary": ("Samenvatting: {counts}", "Summary: {counts}"),
    "doctor.topic.SPI": ("SPI", "SPI"),
    "doctor.topic.groups": ("groepen", "groups"),
    "doctor.topic.hardware": ("hardware", "hardware"),
    "doctor.topic.readers": ("lezers", "readers"),
    "doctor.topic.screen": ("scherm", "screen"),
    "doctor.topic.LEDs": ("LEDs", "LEDs"),
    "doctor.topic.broker": ("broker", "broker"),
    "doctor.topic.bridge": ("brug", "bridge"),
    "doctor.topic.clock": ("klok", "clock"),
    "doctor.topic.disk": ("schijf", "disk"),
    "doctor.topic.database": ("database", "database"),
    "doctor.topic.doctor": ("doctor", "doctor"),
    "doctor.spi.sim": ('niet nodig: readers.kind = "sim"', 'not needed: readers.kind = "sim"'),
    "doctor.spi.on": ("{devices}", "{devices}"),
    "doctor.spi.off": ("geen /dev/spidev{bus}.*: SPI staat uit", "no /dev/spidev{bus}.*: SPI is off"),
    "doctor.spi.off.fix": (
        "sudo raspi-config nonint do_spi 0 (of dtparam=spi=on in /boot/firmware/config.txt), herstart de Pi",
        "sudo raspi-config nonint do_spi 0 (or dtparam=spi=on in /boot/firmware/config.txt), reboot",
    ),
    "doctor.spi.missing": (
        "{devices} ontbreekt: config.txt geeft de kernel die chip select(s) niet",
        "{devices} missing: config.txt does not give the kernel these chip selects",
    ),
    "doctor.spi.missing.fix": (
        "zet in /boot/firmware/config.txt: {lines} (docs/readers.md), herstart de Pi",
        "put in /boot/firmware/config.txt: {lines} (docs/readers.md), reboot",
    ),
    "doctor.groups.root": (
        "draait als root, dat elk apparaat opent; de service doet dat niet",
        "running as root, which opens every device; the service does not",
    ),
    "doctor.groups.root.fix": (
        "draai de doctor als de service-gebruiker: sudo -u wallboard wallboard doctor",
        "run the doctor as the service user: sudo -u wallboard wallboard doctor",
    ),
    "doctor.groups.missing": ("{user} zit niet in {groups}", "{user} is not in {groups}"),
    "doctor.groups.missing.fix": (
        "sudo usermod -aG {group_list} {user}, herstart daarna de service (of log opnieuw in)",
        "sudo usermod -aG {group_list} {user}, then restart the service (or log in again)",
    ),
    "doctor.groups.ok": (
        "{user} zit in elke groep die de muur nodig heeft en die hier bestaat",
        "{user} is in every group the wall needs that exists here",
    ),
    "doctor.hardware.busy": (
        "de muur draait en houdt lezers, scherm en LEDs bezet: niet gecontroleerd",
        "the wall is running and holds the readers, screen and LEDs: not checked",
    ),
    "doctor.hardware.busy.fix": (
        "sudo systemctl stop wallboard, draai de doctor, sudo systemctl start wallboard",
        "sudo systemctl stop wallboard, run the doctor, sudo systemctl start wallboard",
    ),
    "doctor.readers.sim": ("gesimuleerd", "simulated"),
    "doctor.readers.broken": ("{error}", "{error}"),
    "doctor.readers.broken.fix": (
        "controleer readers.* in de config en de bedrading (docs/readers.md)",
        "check readers.* in the config and the wiring (docs/readers.md)",
    ),
    "doctor.readers.faulty": ("{answering} van {total} antwoorden; {names}", "{answering} of {total} answer; {names}"),
    "doctor.readers.faulty.fix": (
        "wallboard doctor --readers toont ze stuk voor stuk; controleer de voeding, MISO en de chip select van die lezer",
        "wallboard doctor --readers shows each; check power, MISO and that reader's chip select",
    ),
    "doctor.readers.ok": ("alle {total} antwoorden", "all {total} answer"),
    "doctor.screen.no_kmsdrm": (
        "de SDL die pygame laadt heeft geen KMSDRM-driver ({drivers})",
        "the SDL pygame loads has no KMSDRM driver ({drivers})",
    ),
    "doctor.screen.no_kmsdrm.fix": (
        "installeer opnieuw met deploy/install.sh (pygame-ce); zie docs/screen.md",
        "reinstall with deploy/install.sh (pygame-ce); see docs/screen.md",
    ),
    "doctor.screen.broken": ("{reason}", "{reason}"),
    "doctor.screen.broken.fix": ("{hint}", "{hint}"),
    "doctor.screen.framebuffer": (
        "KMSDRM mislukte; de framebuffer /dev/fb0 tekent {width}×{height}",
        "KMSDRM failed; the framebuffer /dev/fb0 draws {width}×{height}",
    ),
    "doctor.screen.framebuffer.fix": (
        "zie de logregel hierboven; vc4-kms-v3d in /boot/firmware/config.txt en geen bureaublad actief",
        "check the log line above; vc4-kms-v3d in /boot/firmware/config.txt and no desktop running",
    ),
    "doctor.screen.ok": ("{backend} tekent {width}×{height}", "{backend} draws {width}×{height}"),
    "doctor.leds.off": ("uitgezet in de config", "switched off in the config"),
    "doctor.leds.broken": ("{error}", "{error}"),
    "doctor.leds.broken.fix": ("controleer leds.pins (BCM-nummers)", "check leds.pins (BCM numbers)"),
    "doctor.leds.mock_asked": (
        "GPIO {pins} op nep-pinnen (GPIOZERO_PIN_FACTORY=mock): er brandt niets",
        "GPIO {pins} on mock pins (GPIOZERO_PIN_FACTORY=mock): nothing lights up",
    ),
    "doctor.leds.mock_asked.fix": (
        "haal de instelling weg: unset GPIOZERO_PIN_FACTORY",
        "unset GPIOZERO_PIN_FACTORY",
    ),
    "doctor.leds.mock_no_pi": (
        "GPIO {pins} op nep-pinnen (geen Raspberry Pi): er brandt niets",
        "GPIO {pins} on mock pins (not a Raspberry Pi): nothing lights up",
    ),
    "doctor.leds.ok": ("GPIO {pins} ({factory})", "GPIO {pins} ({factory})"),
    "doctor.bridge.unasked": ("de broker van de muur antwoordt niet: {error}", "cannot ask the wall's broker: {error}"),
    "doctor.bridge.unasked.fix": ("zie de regel over de broker hierboven", "see the broker line above"),
    "doctor.bridge.none": ("Mosquitto heeft geen brug naar {company}", "Mosquitto runs no bridge to {company}"),
    "doctor.bridge.none.fix": (
        "sudo deploy/install.sh (schrijft de brug opnieuw), dan systemctl restart mosquitto",
        "sudo deploy/install.sh (it writes the bridge section again), then systemctl restart mosquitto",
    ),
    "doctor.bridge.down": (
        "de brug naar {company} is weg; de berichten van de muur wachten op deze Pi",
        "the bridge to {company} is down; the wall's messages wait on this Pi",
    ),
    "doctor.bridge.down.fix": (
        "journalctl -u mosquitto: controleer het netwerk, de CA van het bedrijf en het wachtwoord in mqtt.bridge",
        "journalctl -u mosquitto: check the network, the company CA and the password in mqtt.bridge",
    ),
    "doctor.bridge.up": ("verbonden met {company} als {user}", "up to {company} as {user}"),
    "doctor.bridge.taken": (
        "board_id {board_id} op {company} is van een andere muur ({holder}): twee muren mengen hun gebeurtenissen onder één id",
        "board_id {board_id} on {company} belongs to another wall ({holder}): two walls mix their events under one id",
    ),
    "doctor.bridge.taken.fix": (
        "geef deze muur een eigen board_id, of neem het id over: wallboard bridge setup --take-over",
        "give this wall its own board_id, or take the id over: wallboard bridge setup --take-over",
    ),
    "doctor.bridge.unclaimed": (
        "geen claim op board_id {board_id} bij {company}",
        "no claim on board_id {board_id} at {company}",
    ),
    "doctor.bridge.unclaimed.fix": (
        "wallboard bridge setup claimt het (deploy/install.sh --company-broker)",
        "wallboard bridge setup claims it (deploy/install.sh --company-broker)",
    ),
    "doctor.broker.off": ("MQTT staat uit in de config", "MQTT is off in the config"),
    "doctor.broker.as_user": ("{address} als {user}", "{address} as {user}"),
    "doctor.broker.unreachable": ("{where} is niet bereikbaar: {error}", "cannot reach {where}: {error}"),
    "doctor.broker.unreachable.fix": (
        "systemctl status mosquitto; controleer mqtt.host, mqtt.port en mqtt.tls",
        "systemctl status mosquitto; check mqtt.host, mqtt.port and mqtt.tls",
    ),
    "doctor.broker.silent": ("{where}: geen antwoord in {seconds} s", "{where}: no answer in {seconds} s"),
    "doctor.broker.silent.fix": ("systemctl status mosquitto", "systemctl status mosquitto"),
    "doctor.broker.refused": ("{where} weigerde: {reason}", "{where} refused: {reason}"),
    "doctor.broker.refused.fix": (
        "het wachtwoord in mqtt.password_file moet dat van de broker zijn (deploy/mosquitto/users.sh)",
        "the password in mqtt.password_file must match the broker's (deploy/mosquitto/users.sh)",
    ),
    "doctor.broker.ok": (
        "{where} accepteerde de ingestelde inloggegevens",
        "{where} accepted the configured credentials",
    ),
    "doctor.clock.behind": (
        "zegt {now}, vóór {floor}: de muur wacht erop",
        "says {now}, before {floor}: the wall waits for it",
    ),
    "doctor.clock.behind.fix": (
        "sluit het netwerk aan; timedatectl timesync-status",
        "connect the network; timedatectl timesync-status",
    ),
    "doctor.clock.ok": ("gesynchroniseerd ({now})", "synchronised ({now})"),
    "doctor.clock.unsynced": (
        "niet gesynchroniseerd (zegt {now}); een Pi heeft geen eigen klok",
        "not synchronised (says {now}); a Pi has no clock of its own",
    ),
    "doctor.clock.unsynced.fix": (
        "sudo timedatectl set-ntp true; controleer het netwerk en timedatectl timesync-status",
        "sudo timedatectl set-ntp true; check the network and timedatectl timesync-status",
    ),
    "doctor.disk.free": ("{gib} GiB vrij voor {folder}", "{gib} GiB free for {folder}"),
    "doctor.disk.low.fix": (
        "maak ruimte vrij: sudo apt-get clean; sudo journalctl --vacuum-size=50M",
        "free space: sudo apt-get clean; sudo journalctl --vacuum-size=50M",
    ),
    "doctor.disk.tight.fix": (
        "sudo apt-get clean; sudo journalctl --vacuum-size=50M",
        "sudo apt-get clean; sudo journalctl --vacuum-size=50M",
    ),
    "doctor.database.missing": ("{path} bestaat niet", "{path} does not exist"),
    "doctor.database.missing.fix": ("wallboard db upgrade maakt hem", "wallboard db upgrade creates it"),
    "doctor.database.unreadable": ("{path}: {error}", "{path}: {error}"),
    "doctor.database.unreadable.fix": (
        "zet de nieuwste back-up terug uit backups/ ernaast",
        "restore the newest backup from backups/ next to it",
    ),
    "doctor.database.damaged": ("{path} is beschadigd: {result}", "{path} is damaged: {result}"),
    "doctor.database.damaged.fix": (
        "stop de muur en zet de nieuwste back-up terug uit backups/ ernaast",
        "stop the wall and restore the newest backup from backups/ next to it",
    ),
    "doctor.database.old": (
        "{path} is heel, schema {revision} (nieuwste {head})",
        "{path} is intact, schema {revision} (newest {head})",
    ),
    "doctor.database.old.fix": (
        "wallboard db upgrade (de service doet het ook bij de start)",
        "wallboard db upgrade (the service also does it at start)",
    ),
    "doctor.database.ok": ("{path} is heel, schema actueel", "{path} is intact, schema current"),
    "doctor.check_broke": ("een controle brak af: {kind}: {error}", "a check broke: {kind}: {error}"),
    # `wallboard doctor --readers [--live]`
    "readers.columns": (
        "lezer|chip select|chip|poll ms|tags nu aanwezig",
        "reader|chip select|chip|poll ms|tags present now",
    ),
    "readers.fault": ("FOUT: {fault}", "FAULT: {fault}"),
    "readers.answer": ("{answering} van {total} lezers antwoorden", "{answering} of {total} readers answer"),
    "readers.faulty": ("; {count} kapot", "; {count} faulty"),
    "readers.live": (
        "+ tag verschenen, - tag weg, ! lezer faalt, = lezer terug; stoppen met Ctrl-C",
        "+ tag appeared, - tag gone, ! reader failed, = reader back; stop with Ctrl-C",
    ),
    "readers.back": ("antwoordt weer", "answers again"),
}

# The help of every option, by command path and option ("db backup --keep"); an option
# used by several commands in the same sense by its name alone ("--period").
_OPTION_HELP: dict[str, tuple[str, str]] = {
    "--config": ("Configuratiebestand (of zet WALLBOARD_CONFIG).", "Config file (or set WALLBOARD_CONFIG)."),
    "--verbose": ("Schrijf details voor foutzoeken naar stderr.", "Log debug details to stderr."),
    "--version": ("Toon de versie en stop.", "Show the version and exit."),
    "--help": ("Toon deze hulp en stop.", "Show this message and exit."),
    "--period": (
        "current, last, een periode-id, all of VAN..TOT (datums JJJJ-MM-DD, beide meegerekend).",
        "current, last, a period id, all or FROM..TO (dates YYYY-MM-DD, both included).",
    ),
    "--start": (
        "Begintijd van het scenario (lokale tijd van de muur); standaard: nu.",
        "Scenario start time (local time of the wall); default: now.",
    ),
    "init --force": ("Overschrijf een bestaand configuratiebestand.", "Overwrite an existing config file."),
    "init --data-dir": (
        "Waar de database en foto's komen (standaard: ./data naast de config).",
        "Where the database and photos go (default: ./data next to the config).",
    ),
    "db backup --to": (
        "Map voor het archief (standaard: backups in de datamap).",
        "Folder for the archive (default: backups in the data folder).",
    ),
    "db backup --keep": (
        "Hoeveel van de nieuwste back-ups in die map blijven.",
        "How many of the newest backups to keep in that folder.",
    ),
    "run --headless": ("Geen scherm; de LED-thermometer draait wel.", "No screen; the LED thermometer still runs."),
    "demo --scenario": (
        "Speel een scenario van JSON-regels zo snel mogelijk af en toon de gebeurtenissen.",
        "Replay a JSON-lines scenario as fast as possible and print the events.",
    ),
    "demo --headless": (
        "Geen venster: de muur speelt vanzelf en toont de gebeurtenissen op stdout.",
        "No window: the wall plays by itself and prints events on stdout.",
    ),
    "demo --size": ("Grootte van de muur in het venster.", "Size of the wall in the window."),
    "demo --data-dir": (
        "Waar de demo zijn config en database bewaart; wordt bij de start gewist, dus alleen een map die de demo "
        "maakte.",
        "Where the demo keeps its config and database; wiped at start, so only a folder the demo made.",
    ),
    "demo --language": ("Taal van de demomuur.", "Language of the demo wall."),
    "status --json": ("Uitvoer voor programma's (JSON).", "Machine-readable output."),
    "screenshot --out": ("PNG-bestand om te schrijven.", "PNG file to write."),
    "screenshot --with-night": (
        "Pas het nachtschema toe ('s nachts een zwart beeld).",
        "Apply the night schedule (a black frame at night).",
    ),
    "person add --card": (
        "Tag-UID van de polaroid van die persoon (hex, scheidingstekens mogen).",
        "Tag UID of the person's polaroid (hex, any separators).",
    ),
    "person list --archived": ("Toon ook gearchiveerde mensen.", "Include archived people."),
    "coach add --badge": ("Tag-UID van de badge van de coach.", "Tag UID of the coach's badge."),
    "coach add --person": (
        "De coach zelf als persoon (id of naam), als die ook op de muur hangt.",
        "The coach's own person (id or name), if they are on the wall too.",
    ),
    "goal set --next": (
        "Zet het doel van de volgende periode in plaats van deze.",
        "Set the next period's goal instead of this one's.",
    ),
    "attempt void --reason": (
        "Waarom ze niet telt; blijft in de geschiedenis.",
        "Why it does not count; kept in history.",
    ),
    "move correct --reason": (
        "Waarom het verslag niet klopte; blijft in de geschiedenis.",
        "Why the record was wrong; kept in history.",
    ),
    "export --format": ("Bestandsformaat.", "File format."),
    "export --out": ("Bestand om te schrijven (standaard: stdout).", "File to write (default: stdout)."),
    "harvest --out": ("Schrijf het rapport om af te drukken (PDF) hier.", "Write the printable report (PDF) here."),
    "harvest --poster": ("Eén A3-poster in plaats van A4-pagina's.", "One A3 poster instead of A4 pages."),
    "harvest --language": (
        "Taal van het rapport; standaard die van de muur.",
        "Language of the report; default: the wall's.",
    ),
    "harvest --show": (
        "Toon de oogst zoveel minuten op het scherm van de draaiende muur (standaard 15; 0 stopt het).",
        "Show it on the running wall's screen for this many minutes (default 15; 0 ends it).",
    ),
    "replay --record": (
        "Schrijf in de eigen database van de muur (standaard: een kladkopie ervan).",
        "Record into the wall's own database (default: a scratch copy of it).",
    ),
    "doctor --readers": (
        "Test elke lezer: chip select, chipversie, tags die er nu zijn, polltijd.",
        "Probe every reader: chip select, chip version, tags present now, poll time.",
    ),
    "doctor --live": (
        "Met --readers: blijf pollen en toon tags zodra ze komen en gaan.",
        "With --readers: keep polling and print tags as they come and go.",
    ),
    "bench --log-size": (
        "Gebeurtenissen in het logboek voor de querytijden.",
        "Events in the log for the query timing.",
    ),
    "bench --events": ("Sensorgebeurtenissen voor de doorvoermeting.", "Sensor events for the throughput run."),
    "bench --display-idle": (
        "Seconden dat de schermlus stilstaat terwijl het CPU-gebruik gemeten wordt.",
        "Seconds the screen loop idles while its CPU use is measured.",
    ),
    "bench --reader-polls": (
        "Polls per meting in de benchmark van de geëmuleerde lezer (aandelen polls die een kaart zien).",
        "Polls per figure in the emulated reader benchmark (shares of polls that see a card).",
    ),
    "bench --mqtt-moves": (
        "Kaartverhuizingen (en beheerverzoeken) getimed via een eigen Mosquitto.",
        "Card moves (and admin requests) timed through a private Mosquitto.",
    ),
    "bench --harvest-log-size": (
        "Gebeurtenissen in het logboek voor de tijden van oogst (periode afsluiten) en export.",
        "Events in the log for the harvest (period close) and export timing.",
    ),
    "bench --out": ("Schrijf de JSON ook hierheen.", "Also write the JSON here."),
    "bridge setup --company-broker": (
        "HOST of HOST:POORT van de broker van het bedrijf (TLS, standaard poort 8883).",
        "HOST or HOST:PORT of the company broker (TLS, port 8883 by default).",
    ),
    "bridge setup --ca": (
        "Het CA-certificaat van het bedrijf (PEM), leesbaar voor Mosquitto.",
        "The company's CA certificate (PEM), readable by Mosquitto.",
    ),
    "bridge setup --user": (
        "De gebruiker van deze muur op de broker van het bedrijf; standaard de board_id.",
        "This wall's user on the company broker; default: the board id.",
    ),
    "bridge setup --password-file": (
        "Een bestand met alleen het wachtwoord van die gebruiker.",
        "A file holding only that user's password.",
    ),
    "bridge setup --mosquitto-conf": (
        "Waar de brug voor Mosquitto komt (zijn conf.d).",
        "Where Mosquitto's bridge section goes (its conf.d).",
    ),
    "bridge setup --take-over": (
        "Neem de board_id over van de muur die hem heeft: deze muur vervangt die.",
        "Take the board id over from the wall that holds it: this wall replaces it.",
    ),
    "bridge conf --out": ("De brug voor Mosquitto (conf.d).", "Mosquitto's bridge section (conf.d)."),
    "fleet collect --db": (
        "postgresql+psycopg://gebruiker:wachtwoord@host/db, of sqlite:///pad om te proberen.",
        "postgresql+psycopg://user:password@host/db, or sqlite:///path for a trial.",
    ),
    "fleet collect --broker": (
        "De broker van het bedrijf, HOST of HOST:POORT.",
        "The company broker, HOST or HOST:PORT.",
    ),
    "fleet collect --username": (
        "Brokergebruiker van de verzamelaar (een beheerder: leest elke muur en vraagt events/get).",
        "The collector's broker user (an admin: it reads every wall and asks events/get).",
    ),
    "fleet collect --password-file": (
        "Een bestand met alleen het wachtwoord.",
        "A file holding only the password.",
    ),
    "fleet collect --ca-file": (
        "Controleer de broker over TLS met deze CA.",
        "Verify the broker over TLS with this CA.",
    ),
    "fleet collect --cert-file": (
        "Clientcertificaat, als de broker erom vraagt.",
        "Client certificate, if the broker asks for one.",
    ),
    "fleet collect --key-file": (
        "De sleutel van het clientcertificaat.",
        "The client certificate's key.",
    ),
    "fleet collect --group": (
        "Groep van de gedeelde abonnementen: verzamelaars van één groep delen de gebeurtenissen van de muren.",
        "Shared subscription group: collectors of one group share the walls' events.",
    ),
    "fleet collect --client-id": (
        "Houd dezelfde na een herstart om te krijgen wat de broker voor deze verzamelaar bewaarde (standaard: een nieuwe).",
        "Keep it across restarts to get what the broker kept for this collector (default: a new one).",
    ),
    "fleet collect --gap-grace": (
        "Seconden dat een gat in de seq van een muur mag duren voor de verzamelaar de muur vraagt (events/get).",
        "Seconds a gap in a wall's seq may last before the collector asks the wall (events/get).",
    ),
    "fleet collect --sweep-every": (
        "Seconden tussen twee rondes waarin elke online muur wordt gevraagd wat de verzamelaar gemist kan hebben.",
        "Seconds between asking every online wall for events the collector may have missed.",
    ),
    "fleet serve --db": (
        "De database van de verzamelaar: postgresql+psycopg://gebruiker:wachtwoord@host/db, of sqlite:///pad.",
        "The collector's database: postgresql+psycopg://user:password@host/db, or sqlite:///path.",
    ),
    "fleet serve --dashboard-config": (
        "Wie mag kijken (gebruikers, tokens), taal, locaties (docs/fleet.md).",
        "Who may look (users, tokens), language, locations (docs/fleet.md).",
    ),
    "fleet serve --host": (
        "Achter een reverse proxy die HTTPS toevoegt.",
        "Behind a reverse proxy that adds HTTPS.",
    ),
    "fleet serve --port": (
        "De poort waarop het dashboard luistert.",
        "The port the dashboard listens on.",
    ),
    "fleet serve --threads": (
        "Zoveel verzoeken tegelijk.",
        "Requests served at once.",
    ),
    "fleet password --password": (
        "Wordt twee keer gevraagd als je het niet meegeeft.",
        "Asked twice when not given.",
    ),
    "fleet bench --walls": (
        "Gesimuleerde muren (MQTT-zenders, geen hele muren).",
        "Simulated walls (MQTT publishers, not whole walls).",
    ),
    "fleet bench --people": (
        "Mensen per muur.",
        "People on each wall.",
    ),
    "fleet bench --day-seconds": (
        "Hoe lang de dagfase (gestage gebeurtenissen en coachrondes) duurt.",
        "How long the day phase (steady events and coach rounds) lasts.",
    ),
    "fleet bench --rate": (
        "Gebeurtenissen per muur per uur overdag (een drukke muur).",
        "Events per wall per hour during the day (a busy wall).",
    ),
    "fleet bench --burst-every": (
        "Seconden tussen coachrondes (iedereen van een muur tegelijk).",
        "Seconds between coach rounds (every person of a wall at once).",
    ),
    "fleet bench --burst-walls": (
        "Muren die elke keer een coachronde hebben.",
        "Walls that have a coach round each time.",
    ),
    "fleet bench --collectors": (
        "Meet eens per aantal verzamelaars, met komma's gescheiden.",
        "Run once per count of collectors, comma-separated.",
    ),
    "fleet bench --dashboard-events": (
        "Gebeurtenissen in de database waarover de paginatijden van het dashboard gaan (0: overslaan).",
        "Events in the database the dashboard's page times are taken over (0: skip).",
    ),
    "fleet bench --out": (
        "Schrijf de JSON ook hierheen.",
        "Also write the JSON here.",
    ),
}

# Placeholders in usage lines and option lists: click's generic ones, arguments by their
# name, and option values by click's name for their type.
_PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "[OPTIONS]": ("[OPTIES]", "[OPTIONS]"),
    "COMMAND [ARGS]...": ("COMMANDO [ARGUMENTEN]...", "COMMAND [ARGS]..."),
    "name": ("NAAM", "NAME"),
    "new_name": ("NIEUWE_NAAM", "NEW_NAME"),
    "archive": ("ARCHIEF", "ARCHIVE"),
    "slot": ("VAK", "SLOT"),
    "attempts": ("POGINGEN", "ATTEMPTS"),
    "attempt_id": ("POGING_ID", "ATTEMPT_ID"),
    "scenario": ("SCENARIO", "SCENARIO"),
    "text": ("TEKST", "TEXT"),
    "integer": ("GETAL", "INTEGER"),
    "integer range": ("GETAL", "INTEGER RANGE"),
    "float": ("GETAL", "FLOAT"),
    "file": ("BESTAND", "FILE"),
    "directory": ("MAP", "DIRECTORY"),
    "path": ("PAD", "PATH"),
}

# Click's own words in Dutch, by click's English text (its gettext message id); English
# needs none. Ids are click 8.2+'s; a reworded one shows in English until added here.
_CLICK_NL: dict[str, str] = {
    "Usage:": "Gebruik:",
    "Options": "Opties",
    "Commands": "Commando's",
    "Positional arguments": "Argumenten",
    "Show this message and exit.": "Toon deze hulp en stop.",
    "Show the version and exit.": "Toon de versie en stop.",
    "default: {default}": "standaard: {default}",
    "required": "verplicht",
    "env var: {var}": "omgevingsvariabele: {var}",
    "(dynamic)": "(wisselt)",
    "deprecated": "verouderd",
    "Aborted!": "Afgebroken!",
    "Error: {message}": "Fout: {message}",
    "Try '{command} {option}' for help.": "Probeer '{command} {option}' voor hulp.",
    "No such option {name!r}.": "Optie {name!r} bestaat niet.",
    "No such command {name!r}.": "Commando {name!r} bestaat niet.",
    "Missing command.": "Geen commando gegeven.",
    "Missing argument": "Ontbrekend argument",
    "Missing option": "Ontbrekende optie",
    "Missing parameter": "Ontbrekende parameter",
    "Missing {param_type}": "Ontbrekende {param_type}",
    "Missing parameter: {param_name}": "Ontbrekende parameter: {param_name}",
    "Invalid value for {param_hint}: {message}": "Ongeldige waarde voor {param_hint}: {message}",
    "Invalid value: {message}": "Ongeldige waarde: {message}",
    "Option {name!r} does not take a value.": "Optie {name!r} neemt geen waarde.",
    "Argument {name!r} takes {nargs} values.": "Argument {name!r} neemt {nargs} waarden.",
    "Value must be an iterable.": "De waarde moet een reeks zijn.",
    "Choose from:\n\t{choices}": "Kies uit:\n\t{choices}",
    "{value} is not in the range {range}.": "{value} ligt niet in het bereik {range}.",
    "{value!r} is not a valid {number_type}.": "{value!r} is geen geldig getal.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} is geen ja of nee. Mogelijk: {states}",
    "{name} {filename!r} does not exist.": "{filename!r} bestaat niet.",
    "{name} {filename!r} is a file.": "{filename!r} is een bestand.",
    "{name} {filename!r} is a directory.": "{filename!r} is een map.",
    "{name} {filename!r} is not readable.": "{filename!r} is niet leesbaar.",
    "{name} {filename!r} is not writable.": "{filename!r} is niet schrijfbaar.",
    "{name} {filename!r} is not executable.": "{filename!r} is niet uitvoerbaar.",
    "Could not open file {filename!r}: {message}": "Kan bestand {filename!r} niet openen: {message}",
    "unknown error": "onbekende fout",
}
_CLICK_PLURALS_NL: dict[tuple[str, str], tuple[str, str]] = {
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Bedoel je {possibility}?",
        "(Bedoel je een van: {possibilities}?)",
    ),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Onverwacht extra argument ({args})",
        "Onverwachte extra argumenten ({args})",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "Optie {name!r} heeft een waarde nodig.",
        "Optie {name!r} heeft {nargs} waarden nodig.",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Neemt {nargs} waarden, maar er werd er 1 gegeven.",
        "Neemt {nargs} waarden, maar er werden er {len} gegeven.",
    ),
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} is niet {choice}.",
        "{value!r} is niet een van {choices}.",
    ),
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."): (
        "{value!r} past niet bij het formaat {format}.",
        "{value!r} past niet bij de formaten {formats}.",
    ),
}

for _key, (_dutch, _english) in _COMMAND_TEXTS.items():
    _STRINGS["nl"][_key], _STRINGS["en"][_key] = _dutch, _english

# Counted words: (one, many).
_PLURALS: dict[str, dict[str, tuple[str, str]]] = {
    "nl": {
        "attempts": ("{n} poging", "{n} pogingen"),
        "levels": ("{n} niveau", "{n} niveaus"),
        "times": ("{n} keer", "{n} keer"),
        "people": ("{n} persoon", "{n} mensen"),
        "days": ("{n} werkdag", "{n} werkdagen"),
    },
    "en": {
        "attempts": ("{n} attempt", "{n} attempts"),
        "levels": ("{n} level", "{n} levels"),
        "times": ("once", "{n} times"),
        "people": ("{n} person", "{n} people"),
        "days": ("{n} working day", "{n} working days"),
    },
}

_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


class Texts:
    """The strings of one language; unknown languages fall back to Dutch."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        self.language = language if language in _STRINGS else DEFAULT_LANGUAGE
        self._strings = _STRINGS[self.language]

    def __call__(self, key: str, **values: object) -> str:
        return self._strings[key].format(**values)

    def count(self, word: str, n: int) -> str:
        """ "3 pogingen", "1 poging"."""
        one, many = _PLURALS[self.language][word]
        return (one if n == 1 else many).format(n=n)

    def names(self, names: list[str]) -> str:
        """ "Sanne", "Sanne en Daan", "Sanne, Daan en Ilse"."""
        if len(names) <= 1:
            return "".join(names)
        return f"{', '.join(names[:-1])} {self('names.and')} {names[-1]}"

    def short_date(self, day: date) -> str:
        """ "di 14-05"."""
        return f"{_WEEKDAYS[self.language][day.weekday()][:2]} {day:%d-%m}"

    def long_date(self, day: date) -> str:
        """ "dinsdag 14 mei · week 20" — the week number helps a weekly goal."""
        weekday = _WEEKDAYS[self.language][day.weekday()]
        month = _MONTHS[self.language][day.month - 1]
        week = self("week", number=day.isocalendar().week)
        return f"{weekday} {day.day} {month} · {week}"

    def clock_time(self, moment: datetime, today: date) -> str:
        """ "10:42" today, "di 10:42" on another day."""
        clock = moment.strftime("%H:%M")
        if moment.date() == today:
            return clock
        return f"{_WEEKDAYS[self.language][moment.weekday()][:2]} {clock}"

    def period_name(self, starts_at: datetime, ends_at: datetime) -> str:
        """A seven-day period is "this week"; anything else "this period"."""
        seven_days = abs((ends_at - starts_at).total_seconds() - 7 * 86400) < 3 * 3600  # DST-proof
        return self("this_week" if seven_days else "this_period")


def text(key: str, language: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """One string, for code that prints a line rather than drawing a screen."""
    return Texts(language)(key, **values)


def command_help(command: str, language: str) -> str | None:
    """The help of `wallboard <command>` in `language`, or None to keep the command's own (English) text."""
    return _HELP_NL.get(command) if language == "nl" else None


def option_help(command: str, option: str, language: str) -> str | None:
    """The help of `option` ("--keep") of `wallboard <command>`; None for an option the catalogue lacks."""
    pair = _OPTION_HELP.get(f"{command} {option}".strip()) or _OPTION_HELP.get(option)
    return _one_of(pair, language)


def placeholder(name: str, language: str) -> str | None:
    """What a usage line shows for a value: "NAAM" for the argument `name`, "GETAL" for an integer option."""
    return _one_of(_PLACEHOLDERS.get(name), language)


def _one_of(pair: tuple[str, str] | None, language: str) -> str | None:
    """The English or (for any other language, as `Texts`) the Dutch text of a pair."""
    if pair is None:
        return None
    dutch, english = pair
    return english if language == "en" else dutch


def click_words(language: str) -> tuple[dict[str, str], dict[tuple[str, str], tuple[str, str]]]:
    """Click's words in `language`, by click's English text: plain ones, and counted ones as (one, many)."""
    return (_CLICK_NL, _CLICK_PLURALS_NL) if language == "nl" else ({}, {})
