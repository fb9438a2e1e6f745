"""Fuzz test: every public entry point, one argument replaced by an arbitrary value.

The values are drawn by :func:`api_fuzz.garbage` (``tests/api_fuzz/``) (arrays of any shape and dtype with NaN/inf
and extremes, scalars, None, strings, lists, complex numbers, booleans); the oracle
:func:`api_fuzz.check_call` accepts only a library error whose message names an argument or a
finite result of a documented shape (an AccuracyWarning is allowed; a NumPy RuntimeWarning is not).
"""

from __future__ import annotations

import numpy as np
import pytest
from api_fuzz import check_call, garbage, targets
from hypothesis import given
from hypothesis import strategies as st

TARGETS = {t.name: t for t in targets()}


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(data=st.data())
def test_entry_point_never_lies(name, data):
    t = TARGETS[name]
    arg = data.draw(st.sampled_from(t.args), label="argument")
    base = t.base[arg]
    shape = np.shape(base) if isinstance(base, np.ndarray) else None
    value = data.draw(garbage(shape=shape), label=arg)
    check_call(t, {**t.base, arg: value})


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_base_call_is_legal(name):
    """The unmodified call of every target returns a finite result of its documented shape (the oracle's control)."""
    t = TARGETS[name]
    assert check_call(t, dict(t.base)) == "result"
