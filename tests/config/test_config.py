"""Configuration loading, overrides and every bad input of the foundation issue."""

from __future__ import annotations

from pathlib import Path

import pytest

import nrsim
from nrsim.config import list_presets
from nrsim.errors import ConfigError


def test_presets_listed_and_valid() -> None:
    presets = list_presets()
    for name in ("uma-default", "umi-default", "rma-default", "inh-office", "single-site", "uma-7site"):
        assert name in presets and presets[name]
        cfg = nrsim.load_config(name)
        assert cfg.name == name


def test_default_scenario_matches_issue() -> None:
    cfg = nrsim.load_config("uma-default")
    assert cfg.channel.scenario == "uma" and cfg.channel.fc_ghz == 3.5
    assert cfg.deployment.rings == 2 and cfg.deployment.isd_m == 500.0
    assert cfg.deployment.wraparound and cfg.deployment.sectors_per_site == 3
    assert cfg.radio.bandwidth_mhz == 100.0 and cfg.deployment.ue.per_sector == 10
    assert cfg.drops > 1


def test_dotted_overrides() -> None:
    cfg = nrsim.load_config(
        "uma-default",
        ["channel.scenario=umi", "deployment.isd_m=200", "deployment.bs_height_m=10", "channel.shadowing=false"],
        seed=7,
        drops=2,
    )
    assert cfg.channel.scenario == "umi" and cfg.deployment.isd_m == 200.0
    assert cfg.channel.shadowing is False and cfg.seed == 7 and cfg.drops == 2


def test_config_is_frozen_and_hash_stable() -> None:
    a = nrsim.load_config("uma-default")
    b = nrsim.load_config("uma-default")
    assert nrsim.config_hash(a) == nrsim.config_hash(b)
    assert nrsim.config_hash(a) != nrsim.config_hash(nrsim.load_config("uma-default", seed=99))
    with pytest.raises(Exception):
        a.seed = 3  # type: ignore[misc]


def test_toml_file(tmp_path: Path) -> None:
    f = tmp_path / "my.toml"
    f.write_text('[channel]\nscenario = "umi"\nfc_ghz = 4.0\n[deployment]\nisd_m = 200.0\nbs_height_m = 10.0\n')
    cfg = nrsim.load_config(f)
    assert cfg.name == "my" and cfg.channel.fc_ghz == 4.0


BAD_OVERRIDES = [
    (["deployment.isdm=300"], "unknown key 'deployment.isdm'"),
    (["deployment.isd_m=-500"], "deployment.isd_m"),
    (["deployment.isd_m=abc"], "deployment.isd_m"),
    (["channel.fc_ghz=200"], "channel.fc_ghz"),
    (["channel.scenario=xyz"], "channel.scenario"),
    (["radio.bandwidth_mhz=33"], "radio.bandwidth_mhz"),
    (["deployment.ue.indoor_fraction=1.5"], "deployment.ue.indoor_fraction"),
    (["nonsense"], "dotted.key=value"),
]


@pytest.mark.parametrize("overrides, needle", BAD_OVERRIDES)
def test_bad_overrides(overrides: list[str], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        nrsim.load_config("uma-default", overrides)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_frequency_out_of_validity_names_range() -> None:
    with pytest.raises(ConfigError) as info:
        nrsim.load_config("uma-default", ["channel.fc_ghz=200"])
    msg = str(info.value)
    assert "0.5" in msg and "100" in msg


def test_frequency_validity_warn_policy() -> None:
    with pytest.warns(nrsim.ModelValidityWarning):
        cfg = nrsim.load_config("uma-default", ["channel.fc_ghz=150", "channel.validity=warn", "radio.scs_khz=120"])
    assert cfg.channel.fc_ghz == 150


def test_bad_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="empty"):
        nrsim.load_config(empty)
    broken = tmp_path / "broken.toml"
    broken.write_text("[channel\nscenario = 'uma'")
    with pytest.raises(ConfigError, match="not valid TOML"):
        nrsim.load_config(broken)
    typo = tmp_path / "typo.toml"
    typo.write_text("[chanel]\nscenario = 'uma'\n")
    with pytest.raises(ConfigError, match="unknown key 'chanel'"):
        nrsim.load_config(typo)
    wrong_type = tmp_path / "type.toml"
    wrong_type.write_text("[deployment]\nrings = 'two'\n")
    with pytest.raises(ConfigError, match="deployment.rings"):
        nrsim.load_config(wrong_type)
    with pytest.raises(ConfigError, match="does not exist"):
        nrsim.load_config(tmp_path / "missing.toml")


def test_unknown_preset() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'umaa'.*uma-default"):
        nrsim.load_config("umaa")


def test_inconsistent_layout_and_scenario() -> None:
    with pytest.raises(ConfigError, match="inh"):
        nrsim.load_config("uma-default", ["channel.scenario=inh"])


def test_configuration_doc_is_current() -> None:
    from nrsim.config.docs import configuration_markdown
    repo = Path(__file__).resolve().parents[2]
    doc = (repo / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert doc == configuration_markdown(), "run: python -m nrsim.config.docs"
