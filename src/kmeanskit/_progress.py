"""One small progress hook for long work (k sweeps, restarts), rendered by tqdm when wanted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ProgressCallback = Callable[[int, int, str], Any]
"""``callback(done, total, message)``, called after every unit of work."""


class Progress:
    """Counts units of work and reports them to a callback or a tqdm bar.

    ``progress`` is ``False`` (silent), ``True`` (a tqdm bar on stderr) or a callable
    ``callback(done, total, message)``.
    """

    def __init__(self, total: int, description: str, progress: bool | ProgressCallback = False):
        self.total = total
        self.done = 0
        self._callback = progress if callable(progress) else None
        self._bar = None
        if progress is True:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=description, unit="fit", leave=False)

    def step(self, message: str = "", units: int = 1) -> None:
        self.done += units
        if self._bar is not None:
            self._bar.set_postfix_str(message, refresh=False)
            self._bar.update(units)
        if self._callback is not None:
            self._callback(self.done, self.total, message)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
