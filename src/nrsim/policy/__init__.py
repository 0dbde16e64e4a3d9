"""Vendor-restriction policy studies: caps, exclusion zones, purchase bans, removal
deadlines and swap-out plans, each stage evaluated with the simulator (docs/policy.md)."""

from nrsim.policy.compare import compare_policies
from nrsim.policy.loading import list_policy_presets, load_policy
from nrsim.policy.planner import Plan, PlanSites, PolicyInfeasibleError, make_plan, stage_violations
from nrsim.policy.run import PolicyResult, run_policy
from nrsim.policy.schema import Policy

__all__ = ["Plan", "PlanSites", "Policy", "PolicyInfeasibleError", "PolicyResult", "compare_policies",
           "list_policy_presets", "load_policy", "make_plan", "run_policy", "stage_violations"]
