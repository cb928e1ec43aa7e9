"""Reading the dashboard's pages as a person would: the text of a table's rows, of an element by id."""

from html.parser import HTMLParser


class _Cells(HTMLParser):
    """The text of each cell of every table row that names its wall (`data-board`)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._board: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._board = dict(attrs).get("data-board")
            if self._board is not None:
                self.rows[self._board] = []
        elif tag == "td" and self._board is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._board is not None and self._cell is not None:
            self.rows[self._board].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._board = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> dict[str, list[str]]:
    """board id -> the text of its row's cells, in page order."""
    parser = _Cells()
    parser.feed(html)
    return parser.rows


class _Text(HTMLParser):
    """The visible text inside the element with a given id."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text_of(html: str, element_id: str) -> str:
    parser = _Text(element_id)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())
