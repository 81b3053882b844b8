"""The guard that keeps an extra's CI step from passing by skipping every test."""

from __future__ import annotations

import pytest

from tests.extras import require


def test_an_installed_module_is_returned() -> None:
    assert require("json").dumps([1]) == "[1]"


def test_a_missing_extra_skips_the_main_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPTREF_REQUIRE_EXTRAS", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require("cptref_no_such_extra")


def test_a_missing_extra_fails_its_own_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPTREF_REQUIRE_EXTRAS", "1")
    with pytest.raises(ModuleNotFoundError):
        require("cptref_no_such_extra")
