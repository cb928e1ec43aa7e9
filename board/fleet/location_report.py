"""A location's harvest report: the wall's harvest report, for every wall of a location, in one PDF.

A cover page lists the walls with their totals; then each wall gets the first
page of its own report (`board.app.report.summary_page`: totals, thermometer,
awards, attempts per day), drawn by the same code as on the wall.
"""

from typing import BinaryIO

from board.app.report import summary_page, table_pages, write_pages
from board.fleet.dashboard_texts import DashboardTexts
from board.fleet.harvests import WallHarvest


def span_text(harvests: list[WallHarvest], texts: DashboardTexts) -> str:
    """The days the harvests cover, as the wall's report writes them ("23-11-2026 t/m 29-11-2026")."""
    days = [day for h in harvests if h.harvest is not None for day, _count in h.harvest.per_day]
    if not days:
        return ""
    first, last = min(days), max(days)
    return texts("report.span", start=f"{first:%d-%m-%Y}", end=f"{last:%d-%m-%Y}")


def write_location_report(location: str, harvests: list[WallHarvest], target: BinaryIO, language: str) -> int:
    """Write the PDF of `location` into `target`; returns its number of pages."""
    texts = DashboardTexts(language)
    known = [h for h in harvests if h.harvest is not None]
    rows = []
    for wall in harvests:
        harvest = wall.harvest
        if harvest is None:
            rows.append([wall.name, "—", "", "", ""])
            continue
        goal = harvest.span.goal or 0
        rows.append(
            [
                wall.name,
                f"{harvest.count} / {goal}" if goal else str(harvest.count),
                f"{round(100 * harvest.fraction)} %" if goal else "",
                str(sum(1 for row in harvest.people if row.attempts)),
                str(sum(1 for row in harvest.people if row.climbed > 0)),
            ]
        )
    header = [
        texts("ranking.wall"),
        texts("report.attempts"),
        "%",
        texts("harvest.tried"),
        texts("harvest.climbed"),
    ]
    title = texts("harvest.cover", location=location)
    subtitle = texts("harvest.cover_span", span=span_text(harvests, texts), walls=len(harvests))
    pages = list(table_pages(title, subtitle, header, rows, [0.01, 0.40, 0.55, 0.66, 0.84]))
    pages += [summary_page(wall.harvest, texts) for wall in known if wall.harvest is not None]
    return write_pages(pages, target, title)
