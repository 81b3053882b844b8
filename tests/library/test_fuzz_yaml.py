"""A bounded fuzz run over the YAML loader (the inputs and the target: ``tests/library/fuzz_yaml.py``).

CI runs a few hundred inputs; ``CPTREF_FUZZ_EXAMPLES=100000`` runs more, and
``bench/fuzz_loader.py --minutes 10`` runs for a set time and reports what it found.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis.errors import HypothesisWarning
from hypothesis.strategies import SearchStrategy

from cptref.errors import DataErrors
from cptref.library.read import load_procedure

from .fuzz_yaml import YAML_BYTES, deep, fuzz_one, laughs, mutated_records

EXAMPLES = int(os.environ.get("CPTREF_FUZZ_EXAMPLES", "200"))
QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=QUIET)
@given(YAML_BYTES)
def test_the_loader_survives_any_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        fuzz_one(data, Path(folder))


@pytest.mark.parametrize(
    ("outcome", "inputs"),
    [
        ("a valid record", mutated_records()),
        ("invalid YAML: line", mutated_records()),
        ("unknown field", mutated_records()),
        ("invalid YAML: a value tagged", mutated_records()),
        ("its aliases (*name) expand it", laughs()),
        ("nested more than 1000 levels deep", deep()),
        ("not UTF-8 text", YAML_BYTES),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_fuzz_inputs_reach_every_outcome(tmp_path: Path, outcome: str, inputs: SearchStrategy[bytes]) -> None:
    """A guard on the inputs: they reach the loader's limits and a valid record, not only syntax errors."""
    path = tmp_path / "0001X.yaml"

    def reaches(data: bytes) -> bool:
        path.write_bytes(data)
        try:
            record, problems = load_procedure(path)
        except DataErrors:
            return False
        if outcome == "a valid record":
            return record is not None
        return any(outcome in p.message for p in problems)

    quick = settings(
        max_examples=2000, database=None, derandomize=True, phases=[Phase.generate], suppress_health_check=QUIET
    )
    with warnings.catch_warnings():  # the input found may be long: its repr need not be short
        warnings.simplefilter("ignore", HypothesisWarning)
        find(inputs, reaches, settings=quick)  # the first input that reaches it (not shrunk), the same each run
