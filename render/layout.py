"""Where everything goes on the screen, as plain rectangles.

Pure geometry: no drawing, no snapshot state beyond the wall's shape, so tests
can ask "where is B2?" and the painter, the demo and the tests agree.
Landscape screens put the panel (thermometer, counts, recent attempts) on the
right; portrait screens put it under the wall.
"""

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from pygame import Rect

MAX_TILT_DEGREES = 2.5
# A polaroid is a square photo with a thin border and a wide strip for the name.
_BORDER = 0.06  # of the photo side
_CAPTION = 0.30  # of the photo side
_CARD_FILL = (0.82, 0.9)  # share of its cell's width and height a card may use: room for tilt and shadow
NAME_SHARE = 0.62  # of the caption strip's height: the name's type size
MIN_NAME = 28  # px at a 1080-pixel short side: about 1 cm on a 55" screen, readable at 3 m
MIN_CAPTION = round(MIN_NAME / NAME_SHARE) + 1
COMFORTABLE_PHOTO = 110  # px at 1080: below this the side panel gives up width first
PANEL_SHARES = (0.27, 0.23)  # of a landscape screen's width; 0.23 still holds a 150 px count
NAME_ROOM = 100  # px at 1080: a caption this wide holds most first names at MIN_NAME
SUN_RAIL = 96  # px at 1080: the column left of the wall the sun climbs in


@dataclass(frozen=True)
class CardPlace:
    slot_id: str
    cell: Rect  # everything this card may paint: glow, shadow and tilt stay inside
    frame: Rect  # the polaroid before tilting, centred in the cell
    photo: Rect  # the square photo inside the frame
    caption: Rect  # the strip under the photo where the name is written
    angle: float  # degrees counter-clockwise, stable per slot


@dataclass(frozen=True)
class BandPlace:
    level_id: str
    strip: Rect  # the paper strip of this level
    label: Rect  # where the level's name is written
    cards: tuple[CardPlace, ...]


@dataclass(frozen=True)
class ThermometerPlace:
    area: Rect
    tube: Rect  # the column that fills: fraction × tube.height, from tube.bottom up
    glass: Rect  # the glass around the tube
    bulb_center: tuple[int, int]
    bulb_radius: int


@dataclass(frozen=True)
class PanelPlace:
    sheet: Rect  # the paper card that holds the panel
    date: Rect
    thermometer: ThermometerPlace
    counts: Rect
    feed: Rect  # notes (coach pad, admin message) and recent attempts
    moved_up: Rect


@dataclass(frozen=True)
class Layout:
    size: tuple[int, int]
    unit: float  # the short side / 1080: scales type and strokes
    wall: Rect
    bands: tuple[BandPlace, ...]  # bottom level first, like the snapshot
    panel: PanelPlace
    sun_rail: Rect | None = None  # where the sun climbs, when the wall has one

    @property
    def cards(self) -> tuple[CardPlace, ...]:
        """Every card on the wall, bottom level first."""
        return tuple(card for band in self.bands for card in band.cards)

    def card(self, slot_id: str) -> CardPlace:
        for card in self.cards:
            if card.slot_id == slot_id:
                return card
        raise KeyError(slot_id)

    def card_at(self, point: tuple[int, int]) -> CardPlace | None:
        """The card whose cell holds `point` (for the demo's mouse)."""
        return next((card for card in self.cards if card.cell.collidepoint(point)), None)

    def px(self, size: float) -> int:
        """A length given for a 1080-pixel short side, scaled to this screen."""
        return max(1, round(size * self.unit))

    @property
    def name_size(self) -> int:
        """The type size of the names on the cards (the smallest card's, all are alike)."""
        return min((name_size(card) for card in self.cards), default=self.px(MIN_NAME))

    @property
    def call_to_action(self) -> Rect:
        """The note an empty wall shows: over the middle of the wall, clear of the panel."""
        note = Rect(
            0, 0, min(self.wall.width - 2 * self.px(40), self.px(900)), min(self.wall.height // 2, self.px(330))
        )
        note.center = self.wall.center
        return note


def name_size(card: "CardPlace") -> int:
    """The type size a card's name is written in before fitting to its width."""
    return round(card.caption.height * NAME_SHARE)


def tilt(slot_id: str) -> float:
    """A small, stable tilt per slot, so the wall looks pinned by hand."""
    share = (zlib.crc32(slot_id.encode()) % 1001) / 1000
    return round((share * 2 - 1) * MAX_TILT_DEGREES, 2)


def compute_layout(size: tuple[int, int], levels: Sequence[tuple[str, Sequence[str]]], sun: bool = False) -> Layout:
    """Lay out a wall of `levels` (bottom first: level id and its slot ids).

    The rule (docs/screen.md): names never go below MIN_NAME; the photo gives way
    instead. Each level takes one to three rows, whichever gives the largest
    photo; on a landscape screen the panel gives up width (27 % -> 23 %) when
    the photos would otherwise fall below COMFORTABLE_PHOTO.
    """
    width, height = size
    unit = min(width, height) / 1080
    margin = round(24 * unit)
    rail = round(SUN_RAIL * unit) if sun else 0
    if width < height:
        panel_height = round(height * 0.3)
        wall = Rect(margin, margin, width - 2 * margin, height - 3 * margin - panel_height)
        sheet = Rect(margin, wall.bottom + margin, width - 2 * margin, panel_height)
        return _with_rail(size, unit, wall, rail, levels, _wide_panel(sheet, unit))
    options = []
    for share in PANEL_SHARES:
        panel_width = round(width * share)
        wall = Rect(margin, margin, width - 3 * margin - panel_width, height - 2 * margin)
        sheet = Rect(wall.right + margin, margin, panel_width, height - 2 * margin)
        layout = _with_rail(size, unit, wall, rail, levels, _tall_panel(sheet, unit))
        if _smallest_photo(layout) >= COMFORTABLE_PHOTO * unit:
            return layout
        options.append(layout)
    return max(options, key=_smallest_photo)


def _smallest_photo(layout: Layout) -> int:
    return min((card.photo.width for card in layout.cards), default=0)


def _with_rail(size, unit: float, wall: Rect, rail: int, levels, panel: PanelPlace) -> Layout:
    """The wall, less a rail on its left for the sun when there is one."""
    sun_rail = None
    if rail:
        sun_rail = Rect(wall.x, wall.y, rail, wall.height)
        wall = Rect(wall.x + rail + round(8 * unit), wall.y, wall.width - rail - round(8 * unit), wall.height)
    return Layout(size=size, unit=unit, wall=wall, bands=_bands(wall, levels, unit), panel=panel, sun_rail=sun_rail)


def _bands(wall: Rect, levels: Sequence[tuple[str, Sequence[str]]], unit: float) -> tuple[BandPlace, ...]:
    """Strips from the bottom up, each as tall as the rows its level needs: a short level next to
    a long one takes one row, not the long one's two."""
    if not levels:
        return ()
    gap = round(14 * unit)
    label_width = max(round(170 * unit), min(round(wall.width * 0.14), round(250 * unit)))
    width, height = wall.width - label_width, wall.height - gap * (len(levels) - 1)
    style, columns, rows_of = _card_style([len(slot_ids) for _, slot_ids in levels], height, width, unit)
    cell_width, cell_height = width // columns, height // sum(rows_of)
    bands, bottom = [], wall.bottom
    for index, ((level_id, slot_ids), rows) in enumerate(zip(levels, rows_of)):
        band_height = height * sum(rows_of[: index + 1]) // sum(rows_of) - height * sum(rows_of[:index]) // sum(rows_of)
        strip = Rect(wall.x, bottom - band_height, wall.width, band_height)
        bottom = strip.y - gap
        label = Rect(strip.x, strip.y, label_width, strip.height)
        cards = []
        for row in range(rows):
            in_row = slot_ids[row * columns : (row + 1) * columns]
            first_x = label.right + (columns - len(in_row)) * cell_width // 2  # short rows sit centred
            y = strip.y + (band_height - rows * cell_height) // 2 + row * cell_height
            cards += [
                style.place(Rect(first_x + column * cell_width, y, cell_width, cell_height), slot_id)
                for column, slot_id in enumerate(in_row)
            ]
        bands.append(BandPlace(level_id=level_id, strip=strip, label=label, cards=tuple(cards)))
    return tuple(bands)


@dataclass(frozen=True)
class _Polaroid:
    """The warm look: a square photo over a name strip that never drops below MIN_CAPTION."""

    photo_side: int
    caption_height: int

    @classmethod
    def for_cell(cls, width: int, height: int, unit: float) -> "_Polaroid":
        min_caption = round(MIN_CAPTION * unit)
        by_width = width * _CARD_FILL[0] / (1 + 2 * _BORDER)
        by_height = height * _CARD_FILL[1] / (1 + _BORDER + _CAPTION)
        if by_height * _CAPTION < min_caption:  # the name strip keeps its height; the photo gives way
            by_height = (height * _CARD_FILL[1] - min_caption) / (1 + _BORDER)
        side = max(8, int(min(by_width, by_height)))
        return cls(side, max(round(side * _CAPTION), min_caption))

    @property
    def name_width(self) -> int:
        return self.photo_side + max(2, round(self.photo_side * _BORDER))

    def place(self, cell: Rect, slot_id: str) -> "CardPlace":
        return card_in(cell, self.photo_side, slot_id, self.caption_height)


@dataclass(frozen=True)
class _Tag:
    """The dense look for crowded walls: a small photo left, the name beside it, wide enough to read."""

    photo_side: int
    frame_size: tuple[int, int]
    min_caption: int

    @classmethod
    def for_cell(cls, width: int, height: int, unit: float) -> "_Tag":
        frame_width, frame_height = int(width * 0.9), int(height * _CARD_FILL[1])
        side = max(8, min(int(frame_height / (1 + 2 * _BORDER)), int(frame_width * 0.4)))
        return cls(side, (frame_width, side + 2 * max(2, round(side * _BORDER))), round(MIN_CAPTION * unit))

    @property
    def name_width(self) -> int:
        return self.frame_size[0] - self.photo_side - 4 * max(2, round(self.photo_side * _BORDER))

    def place(self, cell: Rect, slot_id: str) -> "CardPlace":
        border = max(2, round(self.photo_side * _BORDER))
        frame = Rect((0, 0), self.frame_size)
        frame.center = cell.center
        photo = Rect(frame.x + border, frame.y + border, self.photo_side, self.photo_side)
        height = min(frame.height - 2 * border, max(2 * (self.photo_side // 3), self.min_caption))
        caption = Rect(
            photo.right + border, photo.centery - height // 2, frame.right - photo.right - 2 * border, height
        )
        return CardPlace(
            slot_id=slot_id, cell=cell, frame=frame, photo=photo, caption=caption, angle=tilt(slot_id) * 0.4
        )  # a wide card tilts less, or it leaves its cell


def _card_style(
    sizes: Sequence[int], height: int, width: int, unit: float
) -> tuple["_Polaroid | _Tag", int, list[int]]:
    """The card style, the columns and each level's rows: polaroids with the longest level in one to
    three rows, whichever gives the largest photo while a first name fits under it (NAME_ROOM);
    otherwise the style and rows that give names the most room."""
    widest = max(1, *sizes)
    options = []
    for rows in (1, 2, 3):
        columns = -(-widest // rows)
        rows_of = [max(1, -(-size // columns)) for size in sizes]
        for kind in (_Polaroid, _Tag):
            options.append((kind.for_cell(width // columns, height // sum(rows_of), unit), columns, rows_of))
    roomy = [
        option for option in options if isinstance(option[0], _Polaroid) and option[0].name_width >= NAME_ROOM * unit
    ]
    if roomy:
        return max(roomy, key=lambda option: (option[0].photo_side, option[1]))
    return max(
        options,
        key=lambda option: (min(option[0].name_width, round(NAME_ROOM * unit)), option[0].photo_side, option[1]),
    )


def card_in(cell: Rect, photo_side: int, slot_id: str = "", caption_height: int | None = None) -> CardPlace:
    """A polaroid with a photo of `photo_side` centred in `cell`."""
    border = max(2, round(photo_side * _BORDER))
    caption_height = caption_height or round(photo_side * _CAPTION)
    frame = Rect(0, 0, photo_side + 2 * border, border + photo_side + caption_height)
    frame.center = cell.center
    photo = Rect(frame.x + border, frame.y + border, photo_side, photo_side)
    caption = Rect(frame.x + border // 2, photo.bottom, frame.width - border, frame.bottom - photo.bottom)
    return CardPlace(slot_id=slot_id, cell=cell, frame=frame, photo=photo, caption=caption, angle=tilt(slot_id))


def mercury_radius(bulb_radius: int) -> int:
    """The red inside the bulb, leaving a rim of glass."""
    return round(bulb_radius * 0.85)


def _thermometer(area: Rect, unit: float) -> ThermometerPlace:
    glass_width = max(round(30 * unit), min(round(area.width * 0.36), round(64 * unit)))
    bulb_radius = round(glass_width * 0.95)
    center_x = area.x + round(area.width * 0.36)
    bulb_center = (center_x, area.bottom - bulb_radius - round(12 * unit))  # the outline stays inside the area
    top = area.y + round(56 * unit)  # room for the goal label above the glass
    glass = Rect(center_x - glass_width // 2, top, glass_width, bulb_center[1] - top)
    inset = max(3, round(glass_width * 0.22))
    # The scale's zero sits where the red bulb ends, so an empty goal shows no column at all.
    zero_y = bulb_center[1] - mercury_radius(bulb_radius)
    tube = Rect(glass.x + inset, glass.y + inset, glass.width - 2 * inset, zero_y - glass.y - inset)
    return ThermometerPlace(area=area, tube=tube, glass=glass, bulb_center=bulb_center, bulb_radius=bulb_radius)


def _tall_panel(sheet: Rect, unit: float) -> PanelPlace:
    """A panel beside the wall: thermometer and counts over the feed and the movers."""
    pad = round(28 * unit)
    inner = sheet.inflate(-2 * pad, -2 * pad)
    date = Rect(inner.x, inner.y, inner.width, round(40 * unit))
    block = Rect(inner.x, date.bottom + round(8 * unit), inner.width, round(inner.height * 0.44))
    thermometer_area = Rect(block.x, block.y, min(round(block.width * 0.36), round(160 * unit)), block.height)
    counts = Rect(
        thermometer_area.right + pad // 2, block.y, block.right - thermometer_area.right - pad // 2, block.height
    )
    moved_up_height = round(inner.height * 0.15)
    moved_up = Rect(inner.x, inner.bottom - moved_up_height, inner.width, moved_up_height)
    feed = Rect(inner.x, block.bottom + pad, inner.width, moved_up.y - block.bottom - 2 * pad)
    return PanelPlace(
        sheet=sheet,
        date=date,
        thermometer=_thermometer(thermometer_area, unit),
        counts=counts,
        feed=feed,
        moved_up=moved_up,
    )


def _wide_panel(sheet: Rect, unit: float) -> PanelPlace:
    """A panel under the wall: thermometer on the left, the rest in columns."""
    pad = round(28 * unit)
    inner = sheet.inflate(-2 * pad, -2 * pad)
    thermometer_area = Rect(inner.x, inner.y, round(inner.width * 0.16), inner.height)
    rest = Rect(thermometer_area.right + pad, inner.y, inner.right - thermometer_area.right - pad, inner.height)
    date = Rect(rest.x, rest.y, rest.width, round(40 * unit))
    counts_width = round(rest.width * 0.38)
    counts = Rect(rest.x, date.bottom + round(8 * unit), counts_width, rest.bottom - date.bottom - round(8 * unit))
    right = Rect(counts.right + pad, counts.y, rest.right - counts.right - pad, counts.height)
    moved_up_height = round(right.height * 0.32)
    feed = Rect(right.x, right.y, right.width, right.height - moved_up_height - pad)
    moved_up = Rect(right.x, feed.bottom + pad, right.width, moved_up_height)
    return PanelPlace(
        sheet=sheet,
        date=date,
        thermometer=_thermometer(thermometer_area, unit),
        counts=counts,
        feed=feed,
        moved_up=moved_up,
    )


def banner_box(layout: Layout, size: tuple[int, int], target: Rect | None) -> Rect:
    """Where a celebration's banner goes: on the wall, in the half away from the celebrated card.

    It never covers the panel (thermometer, counts, list) nor the card it celebrates.
    """
    wall, gap = layout.wall, layout.px(24)
    box = Rect(0, 0, min(size[0], wall.width - 2 * gap), min(size[1], wall.height // 2 - 2 * gap))
    box.centerx = wall.centerx
    if target is not None and target.centery < wall.centery:
        box.bottom = wall.bottom - gap
    else:
        box.top = wall.y + gap
    if target is not None and box.colliderect(target.inflate(gap, gap)):
        # A card in the middle of a short wall: slide the banner sideways, off the card.
        room_left, room_right = target.x - gap - wall.x, wall.right - target.right - gap
        box.width = min(box.width, max(room_left, room_right) - gap)
        if room_left >= room_right:
            box.right = target.x - gap
        else:
            box.x = target.right + gap
    return box
