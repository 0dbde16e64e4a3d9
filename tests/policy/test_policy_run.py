"""Stage evaluation on the London pilot (small): outputs, serial == Dask bytes, resume."""

from __future__ import annotations

import pandas as pd
import pytest

from nrsim.policy import run_policy

SMALL = ["deployment.ue.per_sector=1", "drops=1", "coverage.resolution_m=300"]
POL = ["evaluation.every_months=24", "evaluation.map_months=[2021-01-01]"]


class Stop(Exception):
    pass


def test_outputs_resume_and_workers_give_the_same_bytes(tmp_path):
    a = run_policy("london-pilot", "london-2027", overrides=SMALL, policy_overrides=POL, out_dir=tmp_path / "a")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    for f in ("plan.parquet", "stages.parquet", "cost.parquet", "summary.json", "timeline.png",
              "vendor_map_2021-01.png"):
        assert f in names
    plan = pd.read_parquet(tmp_path / "a" / "plan.parquet")
    assert (plan["action"] == "swap").sum() == 67 and (plan["action"] == "new").sum() == 2
    st = a.stages
    last_swap = int(plan["month_index"].max())
    assert st["stage"].tolist() == sorted({-1, 0, 24, 48, 72, 83, last_swap})  # baseline, every 24 months, last
    assert st["restricted_cell_share"].iloc[-1] == 0.0 and st["inter_vendor_relations"].iloc[-1] == 0
    assert st["inter_vendor_relations"].iloc[0] > 0
    # killed after two stages: the same call resumes from the committed stages
    calls = []

    def stop_after_two(done, total):
        calls.append(done)
        if done == 3:
            raise Stop

    with pytest.raises(Stop):
        run_policy("london-pilot", "london-2027", overrides=SMALL, policy_overrides=POL, out_dir=tmp_path / "b",
                   progress=stop_after_two)
    assert not (tmp_path / "b").exists()
    seen = []
    run_policy("london-pilot", "london-2027", overrides=SMALL, policy_overrides=POL, out_dir=tmp_path / "b",
               progress=lambda d, t: seen.append(d))
    assert seen[0] == 1 and 3 in seen[:3]  # the baseline and the first two stages were not run again
    run_policy("london-pilot", "london-2027", overrides=SMALL, policy_overrides=POL, out_dir=tmp_path / "c",
               workers=2)
    for f in ("plan.parquet", "stages.parquet", "cost.parquet"):
        ref = (tmp_path / "a" / f).read_bytes()
        assert (tmp_path / "b" / f).read_bytes() == ref
        assert (tmp_path / "c" / f).read_bytes() == ref
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # work folders removed
