"""Progress lines for long loops: the replays of the archive and the export of a published
build. Imports nothing heavy: `adrpulse sql` reads the published build without pandas."""

from __future__ import annotations

import time
from collections.abc import Callable

# A replay or a publish says how far it got about once a second, not once per fetch or table:
# each line is an event in a Dagster run's log (a write to its database), so a rebuild of a few
# thousand fetches wrote a few thousand of them; the demo's replays wrote 120 (about 0.35 s,
# docs/BENCHMARKS.md) and its publish 31.
PROGRESS_EVERY_SECONDS = 1.0


class ItemProgress:
    """The "[i/n] ..." lines of a loop over n items: the first and the last item, any item
    marked notable (a failed fetch), and between them one at most every `every` seconds, each
    told to `say` (a log's info). What every fetch did is in the raw tables' fetch records, what
    every table published is in the build's catalog."""

    def __init__(
        self,
        say: Callable[[str], object],
        total: int,
        *,
        every: float = PROGRESS_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._say, self._total, self._every, self._clock = say, total, every, clock
        self._last_line: float | None = None

    def item(self, index: int, text: str, *, notable: bool = False) -> None:
        now = self._clock()
        if (
            notable
            or index in (1, self._total)
            or self._last_line is None
            or now - self._last_line >= self._every
        ):
            self._say(f"[{index}/{self._total}] {text}")
            self._last_line = now
