"""Every word of the company dashboard, in Dutch (the default) and English.

A catalogue beside the wall's own (`board.core.i18n`): the award titles, plurals
and dates come from there, so a wall and the dashboard name things alike.
"""

from board.core.i18n import DEFAULT_LANGUAGE, Texts

LANGUAGES = ("nl", "en")

_STRINGS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Alle muren",
        "nav.walls": "Muren",
        "nav.ranking": "Ranglijst",
        "nav.awards": "Prijzen",
        "nav.harvest": "Oogst per locatie",
        "nav.logout": "Uitloggen",
        "login.title": "Inloggen",
        "login.user": "Gebruiker",
        "login.password": "Wachtwoord",
        "login.submit": "Inloggen",
        "login.failed": "Gebruiker of wachtwoord klopt niet.",
        "walls.title": "Alle muren",
        "walls.summary": "{walls} muren · {people} mensen · {attempts} pogingen deze periode",
        "walls.none": "Nog geen muren. Zodra een muur zijn eerste gebeurtenis stuurt, staat hij hier.",
        "wall.attempts": "pogingen",
        "wall.of_goal": "van de {goal}",
        "wall.no_period": "geen lopende periode",
        "wall.people": "{people} mensen",
        "wall.moved_up": "Omhoog deze periode",
        "wall.moved_up_none": "nog niemand",
        "wall.online": "online",
        "wall.offline": "offline",
        "wall.last_event": "laatste gebeurtenis {when}",
        "wall.never": "nog nooit",
        "quiet.title": "Stil gevallen",
        "quiet.none": "Alle muren zijn online en lieten de afgelopen {hours} uur van zich horen.",
        "quiet.offline": "offline sinds {when}",
        "quiet.offline_unknown": "offline",
        "quiet.silent": "geen gebeurtenissen sinds {when}",
        "quiet.silent_never": "nog nooit een gebeurtenis",
        "ranking.title": "Ranglijst",
        "ranking.subtitle": "Pogingen per persoon, tegen het doel per persoon: zo kan een klein team winnen.",
        "ranking.rank": "#",
        "ranking.wall": "muur",
        "ranking.people": "mensen",
        "ranking.attempts": "pogingen",
        "ranking.per_person": "per persoon",
        "ranking.target": "doel per persoon",
        "ranking.score": "score",
        "ranking.own_goal": "eigen doel",
        "ranking.unranked": "Niet in de ranglijst:",
        "ranking.why_no_people": "geen mensen",
        "ranking.why_no_period": "geen lopende periode",
        "ranking.formula_title": "Zo wordt de score berekend",
        "ranking.formula": (
            "score = (pogingen ÷ mensen) ÷ (doel per persoon per week × dagen van de periode ÷ 7). "
            "Pogingen: bevestigd en niet ingetrokken, in de lopende periode van de muur. "
            "Mensen: iedereen op de muur die niet gearchiveerd is. "
            "Doel per persoon per week: {goal} (voor alle muren hetzelfde). "
            "100 % betekent: precies het doel per persoon gehaald."
        ),
        "ranking.csv": "Ranglijst als CSV",
        "awards.title": "Prijzen van de periode",
        "awards.subtitle": "Per muur uit dezelfde gebeurtenissen berekend als op de muur zelf.",
        "awards.current": "lopende periode",
        "awards.last": "vorige periode",
        "awards.none": "Nog geen prijzen.",
        "awards.unreadable": "De indeling van deze muur is (nog) niet bekend.",
        "harvest.title": "Oogst per locatie",
        "harvest.location": "{location}",
        "harvest.pdf": "Oogstrapport (PDF)",
        "harvest.totals": "{count} van de {goal} pogingen · {tried} mensen probeerden iets · {climbed} klommen omhoog",
        "harvest.totals_no_goal": "{count} pogingen · {tried} mensen probeerden iets · {climbed} klommen omhoog",
        "harvest.other": "Overige muren",
        "harvest.tried": "probeerden",
        "harvest.climbed": "klommen op",
        "harvest.cover": "Oogst · {location}",
        "harvest.cover_span": "{span} · {walls} muren",
        "export.title": "Exporteren (CSV)",
        "export.walls": "Muren",
        "export.attempts": "Pogingen",
        "updated": "Bijgewerkt {when}",
        "lang.other": "English",
        "error.forbidden": "Log in om het overzicht te zien.",
        "error.not_found": "Niet gevonden.",
        "error.bad_period": "Onbekende periode {spec}: kies current of last.",
    },
    "en": {
        "title": "All walls",
        "nav.walls": "Walls",
        "nav.ranking": "Ranking",
        "nav.awards": "Awards",
        "nav.harvest": "Harvest by location",
        "nav.logout": "Log out",
        "login.title": "Log in",
        "login.user": "User",
        "login.password": "Password",
        "login.submit": "Log in",
        "login.failed": "User or password is not right.",
        "walls.title": "All walls",
        "walls.summary": "{walls} walls · {people} people · {attempts} attempts this period",
        "walls.none": "No walls yet. A wall shows up here with its first event.",
        "wall.attempts": "attempts",
        "wall.of_goal": "of {goal}",
        "wall.no_period": "no current period",
        "wall.people": "{people} people",
        "wall.moved_up": "Moved up this period",
        "wall.moved_up_none": "nobody yet",
        "wall.online": "online",
        "wall.offline": "offline",
        "wall.last_event": "last event {when}",
        "wall.never": "never",
        "quiet.title": "Gone quiet",
        "quiet.none": "Every wall is online and was heard from in the last {hours} hours.",
        "quiet.offline": "offline since {when}",
        "quiet.offline_unknown": "offline",
        "quiet.silent": "no events since {when}",
        "quiet.silent_never": "never sent an event",
        "ranking.title": "Ranking",
        "ranking.subtitle": "Attempts per person, against the goal per person: a small team can win.",
        "ranking.rank": "#",
        "ranking.wall": "wall",
        "ranking.people": "people",
        "ranking.attempts": "attempts",
        "ranking.per_person": "per person",
        "ranking.target": "goal per person",
        "ranking.score": "score",
        "ranking.own_goal": "own goal",
        "ranking.unranked": "Not ranked:",
        "ranking.why_no_people": "no people",
        "ranking.why_no_period": "no current period",
        "ranking.formula_title": "How the score is computed",
        "ranking.formula": (
            "score = (attempts ÷ people) ÷ (goal per person per week × days of the period ÷ 7). "
            "Attempts: confirmed and not voided, in the wall's current period. "
            "People: everyone on the wall who is not archived. "
            "Goal per person per week: {goal} (the same for every wall). "
            "100 % means: exactly the goal per person."
        ),
        "ranking.csv": "Ranking as CSV",
        "awards.title": "The period's awards",
        "awards.subtitle": "Each wall's, computed from the same events as on the wall itself.",
        "awards.current": "current period",
        "awards.last": "last period",
        "awards.none": "No awards yet.",
        "awards.unreadable": "This wall's layout is not known (yet).",
        "harvest.title": "Harvest by location",
        "harvest.location": "{location}",
        "harvest.pdf": "Harvest report (PDF)",
        "harvest.totals": "{count} of {goal} attempts · {tried} people gave it a go · {climbed} moved up",
        "harvest.totals_no_goal": "{count} attempts · {tried} people gave it a go · {climbed} moved up",
        "harvest.other": "Other walls",
        "harvest.tried": "gave it a go",
        "harvest.climbed": "moved up",
        "harvest.cover": "Harvest · {location}",
        "harvest.cover_span": "{span} · {walls} walls",
        "export.title": "Export (CSV)",
        "export.walls": "Walls",
        "export.attempts": "Attempts",
        "updated": "Updated {when}",
        "lang.other": "Nederlands",
        "error.forbidden": "Log in to see the overview.",
        "error.not_found": "Not found.",
        "error.bad_period": "Unknown period {spec}: choose current or last.",
    },
}


class DashboardTexts(Texts):
    """The dashboard's strings in one language; the wall's catalogue answers the rest (awards, plurals, dates)."""

    def __init__(self, language: str = DEFAULT_LANGUAGE):
        super().__init__(language if language in LANGUAGES else DEFAULT_LANGUAGE)
        self._own = _STRINGS[self.language]

    def __call__(self, key: str, **values: object) -> str:
        if key in self._own:
            return self._own[key].format(**values)
        return super().__call__(key, **values)

    def decimal(self, value: float, places: int = 1) -> str:
        """ "2,5" in Dutch, "2.5" in English."""
        written = f"{value:.{places}f}"
        return written.replace(".", ",") if self.language == "nl" else written

    def percent(self, fraction: float) -> str:
        return f"{round(100 * fraction)} %"
