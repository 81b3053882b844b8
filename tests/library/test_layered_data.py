"""Your own data: directories layered over the shipped data, later ones winning per code; an overlay that
redefines a shipped family is named by validate and show."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DATA, GOOD, Run, both_paths, run_cptref

LOCAL = """code: "0100L"
status: active
title: Payer-specific widget review, local code
descriptor: A made-up local code for a payer's widget review, layered over the shipped library.
section: [Local codes]
add_on:
  primaries: ["47532"]
  note: made up for the tests
  sources: [aapc-2016-biliary]
  confidence: low
"""

OVERRIDE = """code: "47555"
status: active
title: Locally reworded biliary endoscopy with stricture dilation
descriptor: A made-up local rewording of 47555 that a payer directory lays over the shipped record.
section: [Local codes]
"""


def make(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    root = tmp_path / name
    (root / "procedures").mkdir(parents=True)
    for code, text in files.items():
        (root / "procedures" / f"{code}.yaml").write_text(text)
    return root


@pytest.fixture
def local(tmp_path: Path) -> Path:
    return make(tmp_path, "local", {"0100L": LOCAL, "47555": OVERRIDE})


def test_a_local_code_sits_beside_the_shipped_ones_and_says_where_it_came_from(
    cli: Callable[..., Run], local: Path
) -> None:
    run = cli("show", "0100L", "47532", "--json", "--data", str(local))
    assert run.code == 0, run.err
    mine, shipped = json.loads(run.out)["procedures"]
    assert (mine["code"], mine["data_dir"]) == ("0100L", str(local))
    assert Path(shipped["data_dir"]).resolve() == DATA.resolve()
    assert "0100L" in [d["code"] for d in shipped["derived"]["addons"]]  # relations cross the layers
    text = cli("show", "0100L", "--data", str(local)).out
    assert f"From: {local}" in text


def test_a_later_directory_wins_for_a_code(cli: Callable[..., Run], local: Path) -> None:
    run = cli("show", "47555", "--json", "--data", str(local))
    record = json.loads(run.out)["procedures"][0]
    assert record["title"] == "Locally reworded biliary endoscopy with stricture dilation"
    assert record["data_dir"] == str(local)
    assert cli("search", "locally reworded", "--json", "--data", str(local)).code == 0


def test_cptref_data_is_a_path_list_and_later_entries_win(cli: Callable[..., Run], local: Path, tmp_path: Path) -> None:
    second = make(tmp_path, "second", {"0100L": LOCAL.replace("Payer-specific widget review", "Second layer title")})
    env = {"CPTREF_DATA": os.pathsep.join([str(local), str(second)])}
    record = json.loads(cli("show", "0100L", "--json", env=env).out)["procedures"][0]
    assert (record["title"], record["data_dir"]) == ("Second layer title, local code", str(second))
    assert json.loads(cli("show", "47555", "--json", env=env).out)["procedures"][0]["data_dir"] == str(local)
    # --data names the directories for this run instead of CPTREF_DATA
    only = json.loads(cli("show", "0100L", "--json", "--data", str(local), env=env).out)["procedures"][0]
    assert only["data_dir"] == str(local)


def test_a_missing_layer_is_invalid_data(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("show", "47555", "--data", str(tmp_path / "nowhere"))
    assert run.code == 3
    assert "the data directory does not exist" in run.err


def test_validate_reads_your_directory_over_the_shipped_data_and_reports_only_yours(
    cli: Callable[..., Run], local: Path
) -> None:
    run = cli("validate", str(local))
    assert run.code == 0, run.out  # cites a shipped source, names a shipped code: both resolve
    assert run.err == "cptref: 2 record files checked: 0 errors, 1 warning\n"
    # its 47555 replaces the shipped record: said (an error with --strict), as a redefined family is
    assert run.out.strip().endswith("47555.yaml: $: warning: replaces the shipped record of 47555: " + REPLACES)
    assert cli("validate", str(local), "--strict").code == 3
    (local / "procedures" / "47555.yaml").unlink()
    broken = local / "procedures" / "0100L.yaml"
    broken.write_text(LOCAL.replace("aapc-2016-biliary", "no-such-source"))
    run = cli("validate", str(local))
    assert run.code == 3
    assert run.out.strip().endswith("0100L.yaml: $.add_on.sources[0]: unknown source id 'no-such-source'")
    assert len(run.out.splitlines()) == 1


REPLACES = "commands show and check this one instead"


def test_an_empty_data_argument_means_the_default_layers_not_the_current_folder() -> None:
    from cptref.library.catalog import load_catalog

    assert load_catalog("").codes() == load_catalog().codes()


# --- overlays ----------------------------------------------------------------------------------------


@pytest.fixture
def redefining(tmp_path: Path) -> Path:
    """An overlay whose families.yaml redefines the shipped percutaneous-biliary family without its rules."""
    import yaml

    folder = tmp_path / "overlay"
    (folder / "procedures").mkdir(parents=True)
    families = yaml.safe_load((DATA / "families.yaml").read_text())
    family = next(f for f in families if f["id"] == "percutaneous-biliary")
    family["includes"] = []
    (folder / "families.yaml").write_text(yaml.safe_dump([family], sort_keys=False))
    record = (GOOD / "procedures" / "0005X.yaml").read_text().replace("0005X", "9005X")
    (folder / "procedures" / "9005X.yaml").write_text(record)
    return folder


def test_an_overlay_redefining_a_shipped_family_is_named_by_validate_and_show(redefining: Path) -> None:
    lint = run_cptref("validate", str(redefining))
    assert "redefines the shipped family 'percutaneous-biliary'" in lint.out and "warning:" in lint.out
    assert run_cptref("validate", str(redefining), "--strict").code == 3
    shown = run_cptref("show", "47532", "--data", str(redefining))
    assert f"its family's rules (percutaneous-biliary) from {redefining}" in " ".join(shown.out.split())
    doc = json.loads(run_cptref("show", "47532", "--json", "--data", str(redefining)).out)
    assert doc["procedures"][0]["family"]["data_dir"] == str(redefining)
    assert json.loads(run_cptref("show", "47532", "--json").out)["procedures"][0]["family"]["data_dir"] is None


def test_validate_reads_a_record_linked_from_outside_as_the_commands_do(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "9001X.yaml").write_text('code: "9001X"\nstatus: active\ntitle: T\ndescriptor: D\nsection: [S]\nx: 1\n')
    overlay = tmp_path / "overlay"
    (overlay / "procedures").mkdir(parents=True)
    (overlay / "procedures" / "9001X.yaml").symlink_to(outside / "9001X.yaml")
    run = run_cptref("validate", "overlay", "--strict", cwd=tmp_path)
    assert run.code == 3 and "overlay/procedures/9001X.yaml: $.x: unknown field 'x'" in run.out
    assert run_cptref("show", "9001X", "--data", str(overlay)).code == 3


def test_an_empty_data_option_reads_the_default_layers_on_both_paths() -> None:
    fast, typer = both_paths(["show", "47555", "--json", "--data", ""])
    assert fast == typer and fast.code == 0
    assert json.loads(fast.out)["procedures"][0]["code"] == "47555"
