"""Policy files: validation (unknown keys, ranges, shapes) and the CLI's bad-input contract."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from pydantic import BaseModel, ValidationError
from typer.testing import CliRunner

from nrsim.cli.app import app
from nrsim.config import schema as config_schema
from nrsim.config.schema import FrozenModel
from nrsim.errors import ConfigError
from nrsim.policy import load_policy
from nrsim.policy import schema as policy_schema
from nrsim.policy.loading import validate_policy

BASE = {"start": "2025-01-01", "replacement": {"vendor": "vendor-a"},
        "removals": [{"vendor": "vendor-b", "deadline": "2027-12-31"}]}


def _with(**kw):
    return {**BASE, **kw}


def test_preset_loads_with_uk_dates():
    p = load_policy("london-2027")
    assert p.caps[0].max_share == 0.35 and p.caps[0].since == dt.date(2023, 10, 31)
    assert p.removals[0].deadline == dt.date(2027, 12, 31)
    assert p.purchase_bans[0].since == dt.date(2021, 1, 1)
    assert {z.since for z in p.exclusion_zones} == {dt.date(2023, 1, 28)}
    for name in ("doha-2028", "seoul-2027"):
        assert load_policy(name).illustrative


@pytest.mark.parametrize("data, field, text", [
    (_with(swap={"crews": 1, "sites_per_month": 3}), "policy.swap.sites_per_month", "unknown key"),
    (_with(caps=[{"vendor": "vendor-b", "max_share": 1.5, "since": "2025-01-01"}]), "policy.caps.0.max_share",
     "less than or equal to 1"),
    (_with(swap={"downtime_days": 40}), "policy.swap.downtime_days", "31"),
    (_with(exclusion_zones=[{"name": "z", "vendors": ["vendor-b"], "centre": [0.0, 51.0], "since": "2025-01-01"}]),
     "policy.exclusion_zones.0", "centre and radius_m"),
    (_with(caps=[{"vendor": "vendor-b", "max_share": 0.3, "region": "north", "since": "2025-01-01"}]), "policy",
     "not a regions[].name"),
    (_with(replacement={"vendor": "vendor-b"}), "policy", "itself restricted"),
    (_with(start="1900-01-01"), "policy", "allowed 1990-01-01"),
    (_with(strategy={"order": "plugin"}), "policy.strategy", "plugin"),
])
def test_bad_policy_names_the_field(data, field, text):
    with pytest.raises(ConfigError) as e:
        validate_policy(data)
    assert e.value.field.startswith(field) and text in str(e.value)


def test_policy_table_form_and_overrides(tmp_path):
    f = tmp_path / "p.toml"
    f.write_text('[policy]\nstart = 2025-01-01\n[policy.replacement]\nvendor = "vendor-a"\n'
                 '[[policy.removals]]\nvendor = "vendor-b"\ndeadline = 2027-12-31\n', encoding="utf-8")
    p = load_policy(str(f), ["swap.sites_per_crew_month=5"])
    assert p.name == "p" and p.swap.sites_per_month == 5


def test_cli_bad_policy_exit_2_nothing_written(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('start = 2025-01-01\nreplacement = {vendor = "vendor-a"}\ncapz = 1\n', encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["policy", "london-pilot", str(f), "--out", str(out)])
    assert res.exit_code == 2
    assert "unknown key 'policy.capz'" in res.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_cli_infeasible_policy_names_rule_region_and_date(tmp_path):
    f = tmp_path / "tight.toml"
    f.write_text('start = 2021-01-01\nreplacement = {vendor = "vendor-a"}\n'
                 '[[removals]]\nvendor = "vendor-b"\ndeadline = 2022-12-31\n'
                 '[swap]\nsites_per_crew_month = 2\n', encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["policy", "london-pilot", str(f), "--out", str(out)])
    assert res.exit_code == 2
    # 69 vendor-b sites at 2 a month from January 2021: the 35th month, 2023-11 (hand count)
    assert "policy.removals.0" in res.output and "whole network" in res.output
    assert "earliest feasible date for this rule: 2023-11-30" in res.output
    assert not out.exists()


def test_every_policy_and_config_model_is_one_frozen_strict_model():
    # One model policy for scenario and policy files: frozen, unknown keys rejected.
    models = [obj for module in (config_schema, policy_schema) for obj in vars(module).values()
              if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__]
    assert len(models) > 20
    assert all(issubclass(m, FrozenModel) for m in models), [m for m in models if not issubclass(m, FrozenModel)]
    with pytest.raises(ValidationError):
        policy_schema.Costs(unknown_key=1)
