"""--set-policy: dotted overrides that index list entries (caps.0.since), without changing the
scenario override parser."""

from __future__ import annotations

import datetime as dt

import pytest

from nrsim.config.loading import apply_overrides
from nrsim.errors import ConfigError
from nrsim.policy import load_policy


def test_list_entries_by_index():
    p = load_policy("london-2027", ["caps.0.since=2024-01-01", "exclusion_zones.1.radius_m=500",
                                    "evaluation.map_months.0=2022-06-01", "exclusion_zones.0.centre.0=-0.13",
                                    "regions.1.polygon.0=[-0.13, 51.49]", "swap.crews=2"])
    base = load_policy("london-2027")
    assert p.caps[0].since == dt.date(2024, 1, 1) and base.caps[0].since == dt.date(2023, 10, 31)
    assert p.exclusion_zones[1].radius_m == 500.0 and base.exclusion_zones[1].radius_m == 300.0
    assert p.exclusion_zones[0].radius_m == base.exclusion_zones[0].radius_m  # other entries untouched
    assert p.evaluation.map_months == [dt.date(2022, 6, 1), dt.date(2023, 10, 1), dt.date(2027, 12, 1)]
    assert p.exclusion_zones[0].centre == (-0.13, 51.4995)
    assert p.regions[1].polygon[0] == (-0.13, 51.49) and p.regions[1].polygon[1] == base.regions[1].polygon[1]
    assert p.swap.crews == 2


@pytest.mark.parametrize("override, field, text", [
    ("caps.1.since=2024-01-01", "policy.caps.1.since", "allowed 0..0"),
    ("caps.-1.since=2024-01-01", "policy.caps.-1.since", "not an entry of policy.caps"),
    ("exclusion_zones.x.radius_m=1", "policy.exclusion_zones.x.radius_m", "allowed 0..2"),
    ("caps.0.sinc=2024-01-01", "policy.caps.0.sinc", "unknown key"),
    ("caps.0.max_share=1.5", "policy.caps.0.max_share", "less than or equal to 1"),
    ("start.0=1", "policy.start.0", "not a table"),
    ("noequals", "policy.noequals", "dotted.key=value"),
])
def test_bad_list_override_names_the_field(override, field, text):
    with pytest.raises(ConfigError) as e:
        load_policy("london-2027", [override])
    assert e.value.field == field and text in str(e.value)


def test_scenario_parser_is_unchanged():
    # the shared parser still treats a list on the path as "not a table" (scenarios have no lists of tables)
    with pytest.raises(ConfigError, match="is not a table"):
        apply_overrides({"a": [{"b": 1}]}, ["a.0.b=2"])
    assert apply_overrides({"a": {"b": 1}}, ["a.b=2", "c.d=[1, 2]"]) == {"a": {"b": 2}, "c": {"d": [1, 2]}}
