"""Whether a text shows anything: a name or message nobody can see is refused."""

import unicodedata

# Controls, format characters (zero-width space, soft hyphen), unassigned and private
# code points, separators and lone combining marks draw nothing by themselves.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
# Blank characters Unicode files as letters or symbols: the Hangul fillers and the empty braille cell.
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def has_visible_character(text: str) -> bool:
    return any(
        unicodedata.category(character) not in _INVISIBLE_CATEGORIES and character not in _BLANK_CHARACTERS
        for character in text
    )
