"""Log records on stderr, one line each: above the progress bar while it is live, a repeated warning once.

A line written straight to stderr while rich redraws its bar lands in the middle of the bar
(`…0:00:00WARNING …`); printed through the bar's console it goes above the bar, which is then
drawn again below it. A warning that a sync logs for every record of a kind (an unknown event
type, a retry) would bury everything else, so after its first line the others of the same
logger, level and message template are only counted, and one line with the count ends the run.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
import click

__all__ = ["LogHandler", "configure"]

# The HTTP library logs every request at INFO and its connection pool at DEBUG: thousands of lines
# in a sync, which `-v` and `-vv` leave out and `-vvv` shows.
_CHATTY = ("httpx", "httpcore")


@attrs.define
class _Repeated:
    line: str
    count: int = 1


class LogHandler(logging.Handler):
    """The CLI's handler: plain lines on stderr, or through `console` while a progress display owns it."""

    def __init__(self, *, collapse: bool) -> None:
        super().__init__()
        self.collapse = collapse
        self.console: Any = None
        self._seen: dict[tuple[str, int, str], _Repeated] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        if self.collapse and record.levelno >= logging.WARNING:
            key = (record.name, record.levelno, str(record.msg))
            seen = self._seen.get(key)
            if seen is not None:
                seen.count += 1
                return
            self._seen[key] = _Repeated(line)
        self.write(line)

    def write(self, line: str) -> None:
        from ..sdk.textsafe import plain

        line = plain(line)  # a server's text must not move the cursor or recolour the terminal
        if self.console is None:
            click.echo(line, err=True)
            return
        from rich.text import Text

        self.console.print(Text(line), soft_wrap=True)

    def end_run(self) -> None:
        """One line for each warning that came more than once, with how often; then the count starts anew."""
        for seen in self._seen.values():
            if seen.count > 1:
                self.write(f"{seen.line} [{seen.count} like this in all, only the first shown]")
        self._seen.clear()


def configure(verbose: int, quiet: bool) -> LogHandler:
    """Installs the CLI's handler on the root logger (once per process: a CliRunner invokes many times)."""
    from ..secret import RedactingFilter

    handler = LogHandler(collapse=verbose < 2)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, LogHandler)]
    root.addHandler(handler)
    root.setLevel(logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)])
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if verbose >= 3 else logging.WARNING)
    return handler
