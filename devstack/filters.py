"""Lambda's event filtering (an event source's FilterCriteria), for the patterns the local stack supports.

A pattern is a JSON object shaped like the record it filters: an object matches the record's object at the
same key, and a list of values matches when the record's value equals one of them (or, when the record's
value is a list, when any of its items does). A record passes when any of the filters' patterns matches it.
Content filters (prefix, numeric, anything-but, exists, ...) are refused when the template is read, rather
than let through records Lambda would drop.
"""

import json
from dataclasses import dataclass
from typing import Any

_SCALARS = (str, int, float, bool, type(None))


def _check(pattern: Any, where: str) -> None:
    if not isinstance(pattern, dict) or not pattern:
        raise ValueError(f"{where}: a pattern is a non-empty JSON object")
    for key, expected in pattern.items():
        if isinstance(expected, dict):
            _check(expected, f"{where}.{key}")
        elif not isinstance(expected, list) or not all(isinstance(value, _SCALARS) for value in expected):
            raise ValueError(
                f"{where}.{key}: only lists of exact values are emulated locally, not {json.dumps(expected)}"
            )


def _same(value: Any, expected: Any) -> bool:
    # JSON's true is not its 1, though Python's True == 1.
    return isinstance(value, bool) == isinstance(expected, bool) and value == expected


def _matches(pattern: dict[str, Any], data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    for key, expected in pattern.items():
        if key not in data:
            return False
        value = data[key]
        if isinstance(expected, dict):
            if not _matches(expected, value):
                return False
        elif not any(
            _same(item, allowed)
            for item in (value if isinstance(value, list) else [value])
            for allowed in expected
        ):
            return False
    return True


@dataclass(frozen=True)
class EventFilter:
    patterns: tuple[dict[str, Any], ...]

    @classmethod
    def from_criteria(cls, criteria: dict[str, Any] | None, where: str) -> "EventFilter | None":
        """The filter of a FilterCriteria property ({"Filters": [{"Pattern": "<JSON>"}, ...]}), if any."""
        if not criteria:
            return None
        patterns = []
        for index, entry in enumerate(criteria.get("Filters", [])):
            pattern = json.loads(entry["Pattern"])
            _check(pattern, f"{where}.FilterCriteria.Filters[{index}]")
            patterns.append(pattern)
        return cls(tuple(patterns)) if patterns else None

    def matches(self, record: dict[str, Any]) -> bool:
        return any(_matches(pattern, record) for pattern in self.patterns)
