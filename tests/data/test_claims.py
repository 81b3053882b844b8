"""Realistic IR and urology claims (tests/data/claims.yaml) through `cptref check` on the shipped
library: each claim's outcome and its complete list of findings, as a coder would read them.

No CMS tables are given here, so no claim is verified: each also carries one ``not-checked`` warning
(the official edits did not check it), and ``outcome: clear`` means no rule of the library stops or
questions it. What answered each kind of edit is stated per claim (``answered``).

The expectations were written from the coding scenarios, the rules' texts and the records' facts.
A claim marked ``xfail`` holds what a coder should be told where the checker (or the data) seems
wrong; its reason says why, and the test fails loudly (strict) once that is fixed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Literal, TypedDict

import msgspec
import pytest
import yaml

from cptref.check import CheckResult, CheckTables
from tests.conftest import library_check as check
from tests.conftest import run_cptref

CLAIMS_FILE = Path(__file__).resolve().parent / "claims.yaml"

Outcome = Literal["stopped", "clear", "not-verified"]
Key = tuple[str, str, tuple[str, ...]]
"""A finding as the claims file gives it: rule, severity, codes."""


class ExpectedFinding(TypedDict):
    rule: str
    severity: str
    codes: list[str]


class Expect(TypedDict):
    outcome: Outcome
    findings: list[ExpectedFinding]
    answered: dict[str, str]


class ClaimCase(TypedDict, total=False):
    id: str
    scenario: str
    lines: list[str]
    explain: bool
    xfail: str
    expect: Expect


def _load() -> list[ClaimCase]:
    data = yaml.safe_load(CLAIMS_FILE.read_text(encoding="utf-8"))
    claims: list[ClaimCase] = data["claims"]
    return claims


CLAIMS = _load()
BY_ID = {claim["id"]: claim for claim in CLAIMS}


def _param(claim: ClaimCase) -> object:
    marks = [pytest.mark.xfail(reason=claim["xfail"], strict=True)] if "xfail" in claim else []
    return pytest.param(claim, id=claim["id"], marks=marks)


def outcome(ok: bool, verified: bool) -> Outcome:
    if not ok:
        return "stopped"
    return "clear" if verified else "not-verified"


def answered(checked: object) -> dict[str, str]:
    """What answered each kind of edit, as the claims file states it (``pairs: library`` ...)."""
    data = checked if isinstance(checked, dict) else msgspec.to_builtins(checked)
    return {edit: answer["by"] for edit, answer in data.items() if edit != "status"}


def expected_keys(claim: ClaimCase) -> Counter[Key]:
    return Counter((f["rule"], f["severity"], tuple(f["codes"])) for f in claim["expect"]["findings"])


def found_keys(result: CheckResult) -> Counter[Key]:
    return Counter((f.rule, f.severity, tuple(f.codes)) for f in result.findings)


def test_the_claims_file_is_well_formed() -> None:
    """Unique ids, every claim complete, at least 40 of them: a broken file is not a passing suite."""
    assert len(CLAIMS) >= 40
    assert len(BY_ID) == len(CLAIMS), "claim ids must be unique"
    for claim in CLAIMS:
        assert claim["scenario"].strip() and claim["lines"], claim["id"]
        assert claim["expect"]["outcome"] in ("stopped", "clear", "not-verified"), claim["id"]
        assert set(claim["expect"]["answered"]) == {"pairs", "units", "add_ons"}, claim["id"]
        for item in claim["expect"]["findings"]:
            assert set(item) == {"rule", "severity", "codes"}, claim["id"]


@pytest.mark.parametrize("claim", [_param(claim) for claim in CLAIMS])
def test_claim(shipped_tables: CheckTables, claim: ClaimCase) -> None:
    result = check(shipped_tables, claim["lines"], explain=claim.get("explain", False))
    shown = [(f.rule, f.severity, f.codes, f.message) for f in result.findings]
    assert found_keys(result) == expected_keys(claim), shown
    assert outcome(result.ok, result.verified) == claim["expect"]["outcome"], shown
    assert answered(result.checked) == claim["expect"]["answered"], result.checked


CLI_CLAIMS = [
    "biliary-external-drain-with-new-access-cholangiogram",
    "biliary-internal-external-drain-and-two-ducts-dilated",
    "biliary-drain-conversion-with-22",
    "nephrostomy-bilateral-rt-lt",
    "nephrostomy-with-nephrostogram-59",
    "nephrostomy-malformed-modifier",
    "ureteral-stent-with-guidewire-device-code",
    "pcnl-simple-with-new-access-dilation",
]
"""A handful of claims of each outcome, run through the command as a user (or a script) would."""


@pytest.mark.parametrize("strict", [False, True], ids=["plain", "strict"])
@pytest.mark.parametrize("claim_id", CLI_CLAIMS)
def test_claim_through_the_command(claim_id: str, strict: bool) -> None:
    claim = BY_ID[claim_id]
    assert "xfail" not in claim
    expected = claim["expect"]["outcome"]
    args = ["check", *claim["lines"], "--json"]
    if claim.get("explain"):
        args.append("--explain")
    if strict:
        args.append("--strict")
    run = run_cptref(*args)
    not_found = any(f["rule"] == "no-data" for f in claim["expect"]["findings"])
    if not_found:
        assert run.code == 5, run.err  # a code of no record: 5 wins over 1 and 0 (README, "Exit status")
    elif strict:
        assert run.code == 1, run.err  # no CMS tables: nothing is verified
    else:
        assert run.code == (1 if expected == "stopped" else 0), run.err
    printed = json.loads(run.out)
    assert outcome(printed["ok"], printed["verified"]) == ("stopped" if expected == "stopped" else "not-verified")
    keys = Counter((f["rule"], f["severity"], tuple(f["codes"])) for f in printed["findings"])
    assert keys == expected_keys(claim) + Counter({("not-checked", "warning", ()): 1})
    assert answered(printed["checked"]) == claim["expect"]["answered"]
