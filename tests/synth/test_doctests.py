"""The docstring examples of clusterecon.synth run and give the printed results."""

from __future__ import annotations

import doctest

import pytest

import clusterecon.synth.placebo as placebo
import clusterecon.synth.scm as scm
import clusterecon.synth.sdid as sdid


@pytest.mark.parametrize("module", [scm, sdid, placebo], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
