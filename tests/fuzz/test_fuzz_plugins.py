"""Fuzz the fields that name Python code (``slots.scheduler.plugin``) and the Dask scheduler
address (``--scheduler``).

Plugins: ``nrsim validate`` says a scenario names code; ``nrsim run`` without
``--allow-plugins`` exits 2 before any work (no output folder, the plugin file not
executed), and with it a missing file is exit 2 before any work. Addresses: a malformed one
is exit 2 before any work; every address nrsim accepts, Dask's own parser accepts (an
independent oracle). Property (conftest): exit 0 or 2, no traceback, one line on stderr."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nrsim
from nrsim.boundary import SCHEDULER_SCHEMES, check_scheduler_address

FUZZ = settings(max_examples=int(os.environ.get("NRSIM_FUZZ_EXAMPLES") or 40), deadline=None,
                suppress_health_check=list(HealthCheck))
SLOTS = ["--set=deployment.ue.per_sector=2", "--set=slots.enabled=true", "--set=slots.n_slots=20",
         "--set=slots.warmup_slots=5", "--set=radio.bandwidth_mhz=20", "--set=output.plots=false", "--drops=1"]
IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
SPECS = st.one_of(st.text(max_size=40), st.builds(lambda p, c: f"{p}:{c}", st.text(max_size=30), IDENT))
PLUGIN = '''import pathlib
pathlib.Path(__file__).with_name("EXECUTED").write_text("the plugin ran")
class Sched:
    def __init__(self, n_ue):
        pass
    def allocate(self, inp):
        raise RuntimeError("not used")
    def update(self, inp, bits):
        pass
'''


def _plugin_args(spec: str) -> list[str]:
    return ["--set=slots.scheduler.name=plugin", f"--set=slots.scheduler.plugin={spec}"]


@FUZZ
@given(spec=SPECS)
def test_plugin_strings(fuzz, scratch, spec: str) -> None:
    res = fuzz.invoke(["validate", "single-site", *SLOTS[:-1], *_plugin_args(spec)])
    out = scratch() / "out"
    run = fuzz.invoke(["run", "single-site", *SLOTS, *_plugin_args(spec), f"--out={out}"], out=out)
    assert run.exit_code == 2  # never runs: not allowed, or not a valid plugin field
    if res.exit_code == 0:
        assert "names Python code: slots.scheduler.plugin" in res.stdout and "--allow-plugins" in res.stdout
        assert "--allow-plugins" in run.stderr and "slots.scheduler.plugin" in run.stderr
        allowed = fuzz.invoke(["run", "single-site", *SLOTS, *_plugin_args(spec), f"--out={out}",
                               "--allow-plugins"], out=out)
        assert allowed.exit_code == 2 and "does not exist" in allowed.stderr  # a random path: no such file


@FUZZ
@given(cls=IDENT)
def test_real_plugin_file_never_runs_without_the_option(fuzz, scratch, cls: str) -> None:
    folder = scratch()
    (folder / "plug.py").write_text(PLUGIN, encoding="utf-8")
    out = folder / "out"
    res = fuzz.invoke(["run", "single-site", *SLOTS, *_plugin_args(f"{folder / 'plug.py'}:{cls}"), f"--out={out}"],
                      out=out)
    assert res.exit_code == 2 and "--allow-plugins" in res.stderr
    assert not (folder / "EXECUTED").exists()


ADDRESSES = st.one_of(
    st.text(max_size=40),
    st.builds(lambda s, h, p: f"{s}{h}:{p}",
              st.sampled_from(["", "tcp://", "tls://", "ws://", "wss://", "udp://", "inproc://", "TCP://", "Tls://",
                               "tcp:/"]),
              st.one_of(st.from_regex(r"[A-Za-z0-9_.-]{0,20}", fullmatch=True), st.sampled_from(
                  ["[::1]", "[fe80::1]", "::1", "[::1", "127.0.0.1", "-bad", "a..b", "x" * 300, "[]"])),
              st.one_of(st.integers(-5, 70_000).map(str), st.text(max_size=6))),
)


@FUZZ
@given(address=ADDRESSES)
def test_scheduler_addresses(fuzz, scratch, address: str) -> None:
    try:
        check_scheduler_address(address)
    except nrsim.ConfigError:
        out = scratch() / "out"
        res = fuzz.invoke(["run", "single-site", "--drops=1", f"--scheduler={address}", f"--out={out}"], out=out)
        assert res.exit_code == 2 and "--scheduler" in res.stderr
        return
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)  # accepted by nrsim: parsed by Dask too
    assert scheme in SCHEDULER_SCHEMES
    host, port = parse_host_port(location)
    assert host and 1 <= port <= 65535
