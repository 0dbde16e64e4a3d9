"""nrsim draws its figures without pyplot: a caller's matplotlib backend and open figures are
left as they were (a notebook's inline plots keep working after nrsim.run)."""

from __future__ import annotations

import matplotlib
import numpy as np

from nrsim.report.plots import new_figure, plot_cdf


def test_plots_leave_the_backend_and_pyplot_alone(tmp_path) -> None:
    import matplotlib.pyplot as plt

    original = matplotlib.get_backend()
    matplotlib.use("svg")  # a caller's backend other than nrsim's former forced "Agg"
    before = matplotlib.get_backend()
    n_open = len(plt.get_fignums())
    plot_cdf(tmp_path / "cdf.png", {"a": np.linspace(0.0, 1.0, 50)}, xlabel="x", title="t", stamp="s")
    fig, ax = new_figure(figsize=(2, 2))
    ax.plot([0, 1], [0, 1])
    fig.savefig(tmp_path / "f.png")
    assert matplotlib.get_backend() == before
    assert len(plt.get_fignums()) == n_open
    assert (tmp_path / "cdf.png").stat().st_size > 1000
    matplotlib.use(original)
