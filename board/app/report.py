"""The printable harvest report: a PDF for the harvest session (oogstsessie).

A4 pages (totals, awards and the attempts per day; people and coaches; the wall
before and after and room to write what worked, what did not and what next), or
one A3 poster with all of it. Drawn with matplotlib, which also makes the chart.
"""

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import matplotlib

matplotlib.use("Agg")  # no screen: the report is drawn on a headless Pi too

from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: E402

from board.core.harvest import Harvest  # noqa: E402
from board.core.i18n import Texts  # noqa: E402
from board.core.settings import WallSettings  # noqa: E402

A4 = (8.27, 11.69)  # inches, portrait
A3 = (11.69, 16.54)
INK = "#2b2118"
MUTED = "#7a6a58"
ACCENT = "#d9822b"
PAPER = "#fbf7ef"
MOVED = "#fde3c0"
ROWS_PER_PAGE = 34
ROW_INCHES = 0.26  # a table row, on any page size


def write_report(harvest: Harvest, settings: WallSettings, path: Path, language: str, poster: bool = False) -> int:
    """Write the PDF; returns its number of pages."""
    texts = Texts(language)
    pages = [_poster(harvest, settings, texts)] if poster else list(_a4_pages(harvest, settings, texts))
    return write_pages(pages, path, texts("report.title", board=harvest.board_id))


def write_pages(pages: list[Figure], target: Path | BinaryIO, title: str) -> int:
    """Save the pages as one PDF (a file, or a buffer a web page sends); returns the number of pages."""
    with PdfPages(target, metadata={"Title": title, "Creator": "Polaroid Wall"}) as pdf:
        for figure in pages:
            pdf.savefig(figure)
            plt.close(figure)
    return len(pages)


def summary_page(harvest: Harvest, texts: Texts) -> Figure:
    """The report's first A4 page: the wall, its totals and thermometer, its awards, the attempts per day.

    A location's report (board.fleet) is one of these per wall."""
    figure = _page(A4)
    _header(figure, harvest, texts, top=0.955)
    _totals(figure.add_axes((0.07, 0.73, 0.86, 0.13)), harvest, texts)
    _awards(figure.add_axes((0.07, 0.40, 0.86, 0.31)), harvest, texts)
    _per_day(figure.add_axes((0.11, 0.07, 0.82, 0.26)), harvest, texts)
    return figure


def table_pages(
    title: str, subtitle: str, header: list[str], rows: list[list[str]], columns: list[float]
) -> Iterator[Figure]:
    """A4 pages with a title and one table in the report's style (a location's overview of its walls)."""
    for start in range(0, max(1, len(rows)), ROWS_PER_PAGE):
        figure = _page(A4)
        figure.text(0.07, 0.955, title, fontsize=22, weight="bold", color=INK, va="top")
        figure.text(0.07, 0.92, subtitle, fontsize=12, color=MUTED, va="top")
        _table(figure.add_axes((0.07, 0.05, 0.86, 0.82)), "", header, rows[start : start + ROWS_PER_PAGE], columns)
        yield figure


def _a4_pages(harvest: Harvest, settings: WallSettings, texts: Texts) -> Iterator[Figure]:
    yield summary_page(harvest, texts)
    rows = list(harvest.people)
    for start in range(0, max(1, len(rows)), ROWS_PER_PAGE):
        figure = _page(A4)
        chunk = rows[start : start + ROWS_PER_PAGE]
        last = start + ROWS_PER_PAGE >= len(rows)
        height = 0.86 if not last else 0.58
        _people(figure.add_axes((0.07, 0.95 - height, 0.86, height)), chunk, harvest, texts)
        if last:
            _coaches(figure.add_axes((0.07, 0.05, 0.86, 0.27)), harvest, texts)
        yield figure
    figure = _page(A4)
    _walls(figure, harvest, settings, texts, (0.07, 0.55, 0.86, 0.40))
    _reflection(figure.add_axes((0.07, 0.04, 0.86, 0.47)), texts)
    yield figure


def _poster(harvest: Harvest, settings: WallSettings, texts: Texts) -> Figure:
    figure = _page(A3)
    _header(figure, harvest, texts, top=0.965, scale=1.35)
    _totals(figure.add_axes((0.06, 0.80, 0.88, 0.10)), harvest, texts, scale=1.3)
    _awards(figure.add_axes((0.06, 0.55, 0.88, 0.24)), harvest, texts, scale=1.25)
    _per_day(figure.add_axes((0.09, 0.39, 0.85, 0.13)), harvest, texts)
    _walls(figure, harvest, settings, texts, (0.06, 0.19, 0.88, 0.17))
    _reflection(figure.add_axes((0.06, 0.02, 0.88, 0.15)), texts, columns=True)
    return figure


# -- parts ------------------------------------------------------------------------------


def _page(size: tuple[float, float]) -> Figure:
    figure = plt.figure(figsize=size)
    figure.patch.set_facecolor("white")
    return figure


def _blank(ax: Axes) -> Axes:
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return ax


def _header(figure: Figure, harvest: Harvest, texts: Texts, top: float, scale: float = 1.0) -> None:
    span = harvest.span
    last_day = harvest.per_day[-1][0] if harvest.per_day else span.ends_at.date()
    when = texts("report.span", start=f"{span.starts_at:%d-%m-%Y}", end=f"{last_day:%d-%m-%Y}")
    if span.id is not None:
        when += " · " + texts("report.period_id", id=span.id)
    figure.text(
        0.07,
        top,
        texts("report.title", board=harvest.board_id),
        fontsize=22 * scale,
        weight="bold",
        color=INK,
        va="top",
    )
    figure.text(0.07, top - 0.035 * scale, when, fontsize=12 * scale, color=MUTED, va="top")


def _totals(ax: Axes, harvest: Harvest, texts: Texts, scale: float = 1.0) -> None:
    _blank(ax)
    goal = harvest.span.goal or 0
    climbed = sum(1 for row in harvest.people if row.climbed > 0)
    tried = sum(1 for row in harvest.people if row.attempts)
    figures = [
        (str(harvest.count), texts("report.attempts_of", goal=goal) if goal else texts("report.attempts")),
        (str(tried), texts("report.people_tried")),
        (str(climbed), texts("report.people_climbed")),
        ("—" if harvest.previous_count is None else str(harvest.previous_count), texts("report.previous")),
    ]
    for index, (number, label) in enumerate(figures):
        x = index / len(figures)
        ax.add_patch(
            FancyBboxPatch(
                (x + 0.005, 0.30),
                1 / len(figures) - 0.02,
                0.68,
                boxstyle="round,pad=0,rounding_size=0.03",
                facecolor=PAPER,
                edgecolor="none",
            )
        )
        ax.text(x + 0.02, 0.84, number, fontsize=26 * scale, weight="bold", color=INK, va="top")
        ax.text(
            x + 0.02, 0.42, textwrap.fill(label, 24), fontsize=8.5 * scale, color=MUTED, va="center", linespacing=1.1
        )
    # the thermometer's final level, as on the wall
    ax.add_patch(Rectangle((0, 0.02), 1, 0.14, facecolor="#eee4d3", edgecolor="none"))
    ax.add_patch(Rectangle((0, 0.02), harvest.fraction, 0.14, facecolor=ACCENT, edgecolor="none"))
    ax.text(
        0.01,
        0.09,
        f"{round(100 * harvest.fraction)} %",
        fontsize=9 * scale,
        color="white" if harvest.fraction > 0.08 else INK,
        va="center",
        weight="bold",
    )


def _awards(ax: Axes, harvest: Harvest, texts: Texts, scale: float = 1.0) -> None:
    _blank(ax)
    ax.text(0, 1, texts("report.awards"), fontsize=15 * scale, weight="bold", color=INK, va="top")
    if not harvest.awards:
        ax.text(0, 0.8, texts("report.no_awards"), fontsize=10 * scale, color=MUTED, va="top")
        return
    step = min(0.14, 0.88 / len(harvest.awards))
    for index, award in enumerate(harvest.awards):
        y = 0.86 - index * step
        ax.add_patch(Rectangle((0, y - step * 0.78), 0.008, step * 0.7, facecolor=ACCENT, edgecolor="none"))
        ax.text(0.025, y, award.title, fontsize=11 * scale, weight="bold", color=INK, va="top")
        ax.text(0.025, y - step * 0.36, award.line, fontsize=10 * scale, color=INK, va="top", wrap=True)


def _per_day(ax: Axes, harvest: Harvest, texts: Texts) -> None:
    days = [texts.short_date(day) for day, _count in harvest.per_day]
    counts = [count for _day, count in harvest.per_day]
    ax.bar(range(len(days)), counts, color=ACCENT, width=0.65)
    ax.set_xticks(range(len(days)), days, rotation=0 if len(days) <= 8 else 90, fontsize=8)
    ax.set_title(texts("report.per_day"), loc="left", fontsize=13, weight="bold", color=INK)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(0, max(counts + [1]) * 1.15)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for index, count in enumerate(counts):
        if count:
            ax.text(index, count, str(count), ha="center", va="bottom", fontsize=8, color=INK)


def _table(ax: Axes, title: str, header: list[str], rows: list[list[str]], columns: list[float]) -> None:
    _blank(ax)
    ax.text(0, 1, title, fontsize=13, weight="bold", color=INK, va="top")
    height_inches = ax.get_position().height * ax.figure.get_figheight()
    line = min(ROW_INCHES / height_inches, 0.9 / (len(rows) + 1.5))
    y = 1 - line * 1.4
    for x, cell in zip(columns, header, strict=True):
        ax.text(x, y, cell, fontsize=8.5, color=MUTED, weight="bold", va="top")
    for index, row in enumerate(rows):
        y = 1 - line * (index + 2.4)
        if index % 2 == 0:
            ax.add_patch(Rectangle((0, y - line * 0.85), 1, line, facecolor=PAPER, edgecolor="none"))
        for x, cell in zip(columns, row, strict=True):
            ax.text(x, y, cell, fontsize=9, color=INK, va="top")


def _people(ax: Axes, rows, harvest: Harvest, texts: Texts) -> None:
    names = harvest.level_names

    def level(index: int | None) -> str:
        return names[index] if index is not None and index < len(names) else "—"

    table = [
        [
            row.name + (f" ({texts('report.archived')})" if row.archived else ""),
            str(row.attempts),
            f"{row.climbed:+d}" if row.climbed else "0",
            f"{level(row.start_level)} → {level(row.end_level)}",
            "✓" if row.first_attempt else "",
        ]
        for row in sorted(rows, key=lambda row: row.name.casefold())
    ]
    header = [
        texts("report.person"),
        texts("report.attempts"),
        texts("report.levels"),
        texts("report.from_to"),
        texts("report.first"),
    ]
    _table(ax, texts("report.per_person"), header, table or [["—", "", "", "", ""]], [0.01, 0.34, 0.47, 0.58, 0.86])


def _coaches(ax: Axes, harvest: Harvest, texts: Texts) -> None:
    table = [[row.name, str(row.confirmations), str(row.people)] for row in harvest.coaches]
    header = [texts("report.coach"), texts("report.confirmations"), texts("report.people")]
    _table(ax, texts("report.per_coach"), header, table or [["—", "", ""]], [0.01, 0.45, 0.70])


def _walls(
    figure: Figure, harvest: Harvest, settings: WallSettings, texts: Texts, box: tuple[float, float, float, float]
) -> None:
    left, bottom, width, height = box
    title = figure.add_axes((left, bottom + height - 0.03, width, 0.03))
    _blank(title).text(0, 0.5, texts("report.wall"), fontsize=13, weight="bold", color=INK, va="center")
    moved = harvest.moved
    for index, (label, wall) in enumerate(
        ((texts("report.before"), harvest.wall_before), (texts("report.after"), harvest.wall_after))
    ):
        ax = _blank(figure.add_axes((left + index * width / 2, bottom, width / 2 - 0.01, height - 0.04)))
        ax.text(0, 0.98, label, fontsize=10, color=MUTED, weight="bold", va="top")
        levels = list(reversed(settings.levels))  # the top level on top, as on the wall
        widest = max(len(level.slots) for level in levels)
        cell_w, cell_h = 0.82 / widest, 0.88 / len(levels)
        for row, level in enumerate(levels):
            y = 0.88 - (row + 1) * cell_h
            ax.text(0, y + cell_h / 2, level.name, fontsize=6.5, color=MUTED, va="center")
            for column, slot in enumerate(level.slots):
                x = 0.18 + column * cell_w
                person = wall.get(slot)
                colour = MOVED if person in moved else (PAPER if person else "white")
                ax.add_patch(
                    Rectangle(
                        (x, y + 0.01),
                        cell_w * 0.92,
                        cell_h * 0.86,
                        facecolor=colour,
                        edgecolor="#d8cbb6",
                        linewidth=0.5,
                    )
                )
                if person is not None:
                    ax.text(
                        x + cell_w * 0.46,
                        y + cell_h / 2,
                        _short(harvest.name_of(person)),
                        fontsize=5.5,
                        color=INK,
                        ha="center",
                        va="center",
                        rotation=90 if widest > 6 else 0,
                    )
    note = figure.add_axes((left, bottom - 0.02, width, 0.02))
    _blank(note).text(0, 0.5, texts("report.moved_note"), fontsize=8, color=MUTED, va="center")


def _short(name: str) -> str:
    return name if len(name) <= 12 else name[:11] + "…"


def _reflection(ax: Axes, texts: Texts, columns: bool = False) -> None:
    """Three empty boxes to fill in on paper during the session."""
    _blank(ax)
    prompts = [texts("report.worked"), texts("report.did_not"), texts("report.next")]
    for index, prompt in enumerate(prompts):
        if columns:
            x, y, w, h = index / 3 + 0.005, 0.0, 1 / 3 - 0.015, 0.98
        else:
            x, y, w, h = 0, 1 - (index + 1) / 3 + 0.01, 1, 1 / 3 - 0.025
        ax.add_patch(
            FancyBboxPatch(
                (x, y),
                w,
                h,
                boxstyle="round,pad=0,rounding_size=0.015",
                facecolor="white",
                edgecolor="#c9b99f",
                linewidth=1,
            )
        )
        ax.text(x + 0.015, y + h - 0.02, prompt, fontsize=11, weight="bold", color=INK, va="top")
