"""Mixture of experts: how many distinct experts a decode step reads.

With ``E`` experts per layer, ``k`` chosen per token, and each of the ``B`` tokens of a
decode step routed independently and uniformly, one expert is missed by one token with
probability ``1 - k/E``, and by all ``B`` tokens with probability ``(1 - k/E)^B``. The
expected number of distinct experts touched per layer is therefore

    E x (1 - (1 - k/E)^B)

which is ``k`` at ``B = 1`` and tends to ``E`` as ``B`` grows. Real routers are not uniform
(some experts are hot), which touches fewer experts than this; the uniform value is the
upper estimate of weight traffic for a given batch.

>>> expected_experts_touched(8, 2, batch=1)
2.0
>>> round(expected_experts_touched(8, 2, batch=16), 2)
7.92
"""

from __future__ import annotations

from servingmath.errors import InvalidInputError, check_count


def expected_experts_touched(experts: int, per_token: int, *, batch: int) -> float:
    """Expected distinct experts per layer that ``batch`` independently routed tokens use.

    >>> expected_experts_touched(8, 2, batch=2)
    3.5
    >>> expected_experts_touched(8, 9, batch=1)
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: per_token must be in [1, 8] (the number of experts), got 9
    """
    e = check_count("experts", experts, maximum=10**6)
    k = check_count("per_token", per_token, maximum=10**6)
    b = check_count("batch", batch, maximum=10**7)
    if k > e:
        raise InvalidInputError(
            "per_token", f"per_token must be in [1, {e}] (the number of experts), got {k}"
        )
    return e * (1 - (1 - k / e) ** b)
