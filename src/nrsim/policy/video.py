"""Video-call KPI of a stage from a reduced slot-level run (``evaluation.video = "slots"``,
docs/policy.md).

The stage's site list (vendor labels, replacement power, tilt and antenna label of swapped
sites) is written as a CSV site list beside the stage's part, the sites not on air are
switched off with ``sites.exclude_site`` (same cell indices and positions, so the same users
in every stage), and the scenario is run with the video-call engine of moving users
(:func:`nrsim.engine.calls.run_mobile_calls`, the one slot engine that takes mixed-environment
site lists such as the city pilots): ``evaluation.video_ues_per_cell`` users per cell, one
drop, ``evaluation.video_duration_s`` simulated, every user in a call (``slots.traffic``
settings of the scenario; moving as ``[mobility]`` of the scenario says, pedestrians at
3 km/h by default). The KPI is the satisfied-call share of TS 38.838-style calls
(``slots.traffic.call_max_frame_loss``, ``call_max_p95_delay_s``, docs/video.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nrsim.config.schema import ScenarioConfig
from nrsim.deployment.sites import COLUMNS, SiteList
from nrsim.engine.calls import check_call_config, run_mobile_calls
from nrsim.errors import ConfigError
from nrsim.policy.stage import StageState, stage_site_list
from nrsim.policy.schema import Policy

FIELD = "policy.evaluation.video"


def video_config(cfg: ScenarioConfig, policy: Policy, sites_file: str, off_site_ids: list[str]) -> ScenarioConfig:
    """The reduced video-call run of a stage: ``cfg`` with the stage's site list
    ``sites_file``, its sites not on air excluded, and the settings of the module docstring."""
    ev = policy.evaluation
    data = cfg.model_dump(mode="json")
    data["drops"] = 1
    data["deployment"]["sites_file"] = sites_file
    data["deployment"]["ue"]["per_sector"] = ev.video_ues_per_cell
    data["sites"]["exclude_site"] = sorted(set(data["sites"]["exclude_site"]) | set(off_site_ids))
    data["mobility"]["enabled"] = True
    data["mobility"]["duration_s"] = ev.video_duration_s
    data["slots"]["enabled"] = True
    data["slots"]["traffic"]["model"] = "video_call"
    data["slots"]["traffic"]["background_ftp_share"] = 0.0
    data["slots"]["traffic"]["capacity_calls_per_cell"] = []
    try:
        out = ScenarioConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"evaluation.video = 'slots': the reduced video-call run of the scenario is not valid "
                          f"({'.'.join(str(x) for x in err['loc'])}: {err['msg']})", field=FIELD) from None
    try:
        check_call_config(out)
    except ConfigError as exc:
        raise ConfigError(f"evaluation.video = 'slots': {exc}", field=FIELD) from None
    return out


def check_video(cfg: ScenarioConfig, policy: Policy) -> None:
    """Refuse, before any work, a scenario whose reduced video-call run is not valid."""
    if policy.evaluation.video == "slots":
        video_config(cfg, policy, str(cfg.deployment.sites_file), [])


def write_stage_sites(sites: SiteList, policy: Policy, state: StageState, path: Path) -> list[str]:
    """Write the stage's site list as CSV to ``path``; return the ids of its sites not on air."""
    st, off = stage_site_list(sites, policy, state)
    c = st.cells
    c[[k for k in COLUMNS if k in c.columns]].to_csv(path, index=False, encoding="utf-8")
    return sorted(set(c.loc[off, "site_id"].astype(str)))


def stage_video_kpis(cfg: ScenarioConfig, policy: Policy, sites: SiteList, state: StageState,
                     work_file: Path) -> dict[str, Any]:
    """``video_call_satisfied_share`` of a stage (and the calls it counts) from the reduced
    slot run; ``work_file`` is the stage's CSV site list (removed afterwards)."""
    try:
        off = write_stage_sites(sites, policy, state, work_file)
        run = run_mobile_calls(video_config(cfg, policy, str(work_file), off))
    finally:
        work_file.unlink(missing_ok=True)
    calls = run.kpis["calls"]
    return {"video_call_satisfied_share": float(calls["satisfied_share"]),
            "video_calls": int(run.ue["call"].sum())}
