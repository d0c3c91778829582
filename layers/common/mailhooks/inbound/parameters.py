"""An operation's parameters, read from what external systems really send, and errors that name each one.

Read here rather than by pydantic, whose import and models were a third of the inbound function's cold
start. The rules and the words are those pydantic's lax mode applied before ("12" is the integer 12, "" is
a string too short), so that senders are told what they were told: tests/unit/test_parameters.py holds the
two to the same answers. A date is read as pydantic read it, and explained in words of ours."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from mailhooks.errors import InvalidInput
from mailhooks.inbound.kinds import GIVEN, Kind, Refused

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

P = TypeVar("P", bound="DataclassInstance")


def parameter(kind: Kind, description: str, default: Any = MISSING) -> Any:
    """A field of an operation's parameters: the kind of value it takes, and what it is for."""
    return field(default=default, metadata={"kind": kind, "description": description})


@dataclass(frozen=True)
class Declared:
    """One parameter an operation takes."""

    name: str
    kind: Kind
    required: bool
    default: Any = None
    description: str | None = None


@dataclass(frozen=True)
class Parameters(Generic[P]):
    """What an operation takes, each parameter by name, and the record of them it runs with."""

    declared: tuple[Declared, ...]
    make: Callable[[dict[str, Any]], P]

    @classmethod
    def of(cls, record: type[P]) -> "Parameters[P]":
        """The parameters a record's fields declare (parameter())."""
        declared = tuple(
            Declared(
                name=each.name,
                kind=each.metadata["kind"],
                required=each.default is MISSING,
                default=None if each.default is MISSING else each.default,
                description=each.metadata["description"],
            )
            for each in fields(record)
            if "kind" in each.metadata
        )
        return cls(declared, lambda values: record(**values))

    def named(self) -> dict[str, Declared]:
        return {each.name: each for each in self.declared}

    def read(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter's value, read from the mapped values (a default where one was not mapped);
        InvalidInput names every one that is missing, unknown or invalid."""
        named = self.named()
        read: dict[str, Any] = {}
        problems = []
        for each in self.declared:
            if each.name not in values:
                if each.required:
                    problems.append(f"parameter {each.name!r} is required but not mapped")
                read[each.name] = each.default
            elif values[each.name] is None and not each.required and each.default is None:
                read[each.name] = None
            else:
                try:
                    read[each.name] = each.kind.read(values[each.name])
                except ValueError as refused:
                    problems += _problems(each.name, refused, values[each.name])
        problems += [
            _problem(f"parameter {name!r} is not a parameter of this operation", "", value)
            for name, value in values.items()
            if name not in named
        ]
        if problems:
            raise InvalidInput("; ".join(problems))
        return read

    def extended(self, declared: Sequence[Declared], make: Callable[[dict[str, Any]], P]) -> "Parameters[P]":
        """These parameters and more, made into their record by `make`."""
        return Parameters(self.declared + tuple(declared), make)


def _problems(name: str, refused: ValueError, given: Any) -> list[str]:
    """What a refusal says of the parameter: of the value it was given, or of each item refused."""
    if not isinstance(refused, Refused):
        return [_problem(f"parameter {name!r}", str(refused), given)]
    if refused.items:
        return [
            _problem(f"parameter {name!r} (item {item.item})", item.message, item.received)
            for item in refused.items
        ]
    return [
        _problem(
            f"parameter {name!r}", refused.message, given if refused.received is GIVEN else refused.received
        )
    ]


def _problem(where: str, message: str, received: Any) -> str:
    said = f"{where}: {message}" if message else where
    if isinstance(received, str | int | float) and not isinstance(received, bool):
        shown = repr(received) if len(repr(received)) <= 60 else repr(received)[:57] + "..."
        return f"{said} (received {shown})"
    return said
