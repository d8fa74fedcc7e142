"""Which parts of the requested range each sink still needs, cut into segments that need the same sinks."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime

import attrs

from ..sdk.paging import Window

__all__ = ["Segment", "gaps", "segments"]


@attrs.frozen
class Segment:
    window: Window
    sinks: frozenset[Hashable]


def gaps(since: datetime, until: datetime, covered: Sequence[Window]) -> list[Window]:
    """The parts of `[since, until)` that `covered` (disjoint, sorted) leaves open."""
    open_parts: list[Window] = []
    edge = since
    for done in covered:
        if done.end <= edge or done.start >= until:
            continue
        if done.start > edge:
            open_parts.append(Window(edge, done.start))
        edge = max(edge, done.end)
    if edge < until:
        open_parts.append(Window(edge, until))
    return open_parts


def segments(needs: Mapping[Hashable, Sequence[Window]]) -> list[Segment]:
    """Cut time at every gap edge, so each segment goes to one set of sinks; merge neighbours with the same set."""
    edges = sorted({edge for parts in needs.values() for part in parts for edge in (part.start, part.end)})
    result: list[Segment] = []
    for start, end in itertools.pairwise(edges):
        wanting = frozenset(
            key for key, parts in needs.items() if any(p.start <= start and end <= p.end for p in parts)
        )
        if not wanting:
            continue
        if result and result[-1].sinks == wanting and result[-1].window.end == start:
            result[-1] = Segment(Window(result[-1].window.start, end), wanting)
        else:
            result.append(Segment(Window(start, end), wanting))
    return result
