"""Reports: plots (matplotlib is imported only when a plot is drawn)."""

from nrsim.report.plots import empirical_cdf, plot_cdf

__all__ = ["empirical_cdf", "plot_cdf"]
