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


def tilt(slot_id: str) -> float:
    """A small, stable tilt per slot, so the wall looks pinned by hand."""
    share = (zlib.crc32(slot_id.encode()) % 1001) / 1000
    return round((share * 2 - 1) * MAX_TILT_DEGREES, 2)


def compute_layout(size: tuple[int, int], levels: Sequence[tuple[str, Sequence[str]]]) -> Layout:
    """Lay out a wall of `levels` (bottom first: level id and its slot ids)."""
    width, height = size
    short = min(width, height)
    unit = short / 1080
    margin = round(24 * unit)
    if width >= height:
        panel_width = round(width * 0.27)
        wall = Rect(margin, margin, width - 3 * margin - panel_width, height - 2 * margin)
        sheet = Rect(wall.right + margin, margin, panel_width, height - 2 * margin)
        panel = _tall_panel(sheet, unit)
    else:
        panel_height = round(height * 0.3)
        wall = Rect(margin, margin, width - 2 * margin, height - 3 * margin - panel_height)
        sheet = Rect(margin, wall.bottom + margin, width - 2 * margin, panel_height)
        panel = _wide_panel(sheet, unit)
    return Layout(size=size, unit=unit, wall=wall, bands=_bands(wall, levels, unit), panel=panel)


def _bands(wall: Rect, levels: Sequence[tuple[str, Sequence[str]]], unit: float) -> tuple[BandPlace, ...]:
    if not levels:
        return ()
    gap = round(14 * unit)
    count = len(levels)
    band_height = (wall.height - gap * (count - 1)) // count
    label_width = max(round(120 * unit), min(round(wall.width * 0.14), round(250 * unit)))
    widest = max(1, max(len(slot_ids) for _, slot_ids in levels))
    rows = _rows_per_band(widest, band_height, wall.width - label_width)
    columns = -(-widest // rows)
    cell_width, cell_height = (wall.width - label_width) // columns, band_height // rows
    photo_side = _photo_side(cell_height, cell_width)
    bands = []
    for index, (level_id, slot_ids) in enumerate(levels):
        top = wall.bottom - (index + 1) * band_height - index * gap
        strip = Rect(wall.x, top, wall.width, band_height)
        label = Rect(strip.x, strip.y, label_width, strip.height)
        cards = []
        for row in range(rows):
            in_row = slot_ids[row * columns:(row + 1) * columns]
            first_x = label.right + (columns - len(in_row)) * cell_width // 2  # short rows sit centred
            y = strip.y + (band_height - rows * cell_height) // 2 + row * cell_height
            cards += [card_in(Rect(first_x + column * cell_width, y, cell_width, cell_height), photo_side, slot_id)
                      for column, slot_id in enumerate(in_row)]
        bands.append(BandPlace(level_id=level_id, strip=strip, label=label, cards=tuple(cards)))
    return tuple(bands)


def _rows_per_band(slots: int, band_height: int, width: int) -> int:
    """Tall bands with many slots hold them in two or three rows: bigger photos."""
    return max((1, 2, 3), key=lambda rows: (_photo_side(band_height // rows, width // -(-slots // rows)), -rows))


def _photo_side(band_height: int, cell_width: int) -> int:
    """The largest photo whose polaroid fits every cell."""
    card_width_per_photo = 1 + 2 * _BORDER
    card_height_per_photo = 1 + _BORDER + _CAPTION
    return int(min(band_height * _CARD_FILL[1] / card_height_per_photo, cell_width * _CARD_FILL[0] / card_width_per_photo))


def card_in(cell: Rect, photo_side: int, slot_id: str = "") -> CardPlace:
    """A polaroid with a photo of `photo_side` centred in `cell`."""
    border = max(2, round(photo_side * _BORDER))
    caption_height = round(photo_side * _CAPTION)
    frame = Rect(0, 0, photo_side + 2 * border, border + photo_side + caption_height)
    frame.center = cell.center
    photo = Rect(frame.x + border, frame.y + border, photo_side, photo_side)
    caption = Rect(photo.x, photo.bottom, photo_side, frame.bottom - photo.bottom)
    return CardPlace(slot_id=slot_id, cell=cell, frame=frame, photo=photo, caption=caption, angle=tilt(slot_id))


def mercury_radius(bulb_radius: int) -> int:
    """The red inside the bulb, leaving a rim of glass."""
    return round(bulb_radius * 0.85)


def _thermometer(area: Rect, unit: float) -> ThermometerPlace:
    glass_width = max(round(30 * unit), min(round(area.width * 0.36), round(64 * unit)))
    bulb_radius = round(glass_width * 0.95)
    center_x = area.x + round(area.width * 0.36)
    bulb_center = (center_x, area.bottom - bulb_radius - round(4 * unit))
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
    block = Rect(inner.x, date.bottom + round(8 * unit), inner.width, round(inner.height * 0.42))
    thermometer_area = Rect(block.x, block.y, round(block.width * 0.36), block.height)
    counts = Rect(thermometer_area.right + pad // 2, block.y, block.right - thermometer_area.right - pad // 2, block.height)
    moved_up_height = round(inner.height * 0.17)
    moved_up = Rect(inner.x, inner.bottom - moved_up_height, inner.width, moved_up_height)
    feed = Rect(inner.x, block.bottom + pad, inner.width, moved_up.y - block.bottom - 2 * pad)
    return PanelPlace(sheet=sheet, date=date, thermometer=_thermometer(thermometer_area, unit),
                      counts=counts, feed=feed, moved_up=moved_up)


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
    return PanelPlace(sheet=sheet, date=date, thermometer=_thermometer(thermometer_area, unit),
                      counts=counts, feed=feed, moved_up=moved_up)
