"""Input validation: every bad value becomes a clear error naming the parameter.

>>> check_positive("batch", 0)
Traceback (most recent call last):
...
servingmath.errors.InvalidInputError: batch must be a finite number > 0, got 0
"""

from __future__ import annotations

import math
from numbers import Integral, Real

# The largest values the library accepts. Bigger inputs are rejected with an error naming
# the parameter, never clamped. One place, so the API and the CLI agree.
MAX_CHIPS = 10**6
MAX_BATCH = 10**7
MAX_SEQ = 10**7
MAX_DECODE_LEN = 10**7
MAX_TOKENS = 10**8


class InvalidInputError(ValueError):
    """A parameter is outside its allowed range; the message names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


class UnknownNameError(InvalidInputError):
    """An unknown model, chip or dtype name; the message lists the known ones."""


class DoesNotFitError(InvalidInputError):
    """The requested configuration cannot hold the model in memory."""


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _as_float(value: object) -> float:
    """``float(value)``, with numbers too big for a float (``10**400``) as infinity."""
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf


def _show(value: object) -> str:
    """``repr(value)``, or a description for ints too long for ``repr`` (over 4,300 digits)."""
    try:
        return repr(value)
    except ValueError:
        return "an integer too large to print"


def check_positive(param: str, value: object) -> float:
    """Return ``value`` as a float if it is finite and > 0, else raise naming ``param``.

    >>> check_positive("mfu", 10**400)
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: mfu must be a finite number > 0, got 1000...
    """
    if not _is_number(value) or not math.isfinite(_as_float(value)) or _as_float(value) <= 0:
        raise InvalidInputError(param, f"{param} must be a finite number > 0, got {_show(value)}")
    return float(value)  # type: ignore[arg-type]


def check_fraction(param: str, value: object) -> float:
    """Return ``value`` if it lies in (0, 1], else raise naming ``param``.

    >>> check_fraction("mfu", 0.4)
    0.4
    """
    v = check_positive(param, value)
    if v > 1:
        raise InvalidInputError(param, f"{param} must be in (0, 1], got {_show(value)}")
    return v


def check_count(param: str, value: object, *, minimum: int = 1, maximum: int = 10**9) -> int:
    """Return ``value`` if it is an integer in [minimum, maximum], else raise naming ``param``.

    >>> check_count("chips", 8)
    8
    >>> check_count("chips", 2.5)
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: chips must be an integer in [1, 1000000000], got 2.5
    """
    ok = isinstance(value, Integral) and not isinstance(value, bool)
    if not ok and _is_number(value) and math.isfinite(_as_float(value)):
        ok = float(value).is_integer()  # type: ignore[arg-type]
    if not ok or not (minimum <= int(value) <= maximum):  # type: ignore[call-overload]
        raise InvalidInputError(
            param, f"{param} must be an integer in [{minimum}, {maximum}], got {_show(value)}"
        )
    return int(value)  # type: ignore[call-overload]


def unknown(param: str, name: object, known: list[str]) -> UnknownNameError:
    """Build the error for an unknown name, listing what is allowed."""
    return UnknownNameError(param, f"unknown {param} {name!r}; choose one of: {', '.join(known)}")
