"""Traffic models with per-UE buffers: full buffer and FTP model 3."""

from nrsim.traffic.models import FileLog, FtpModel3, FullBuffer, poisson_arrivals

__all__ = ["FileLog", "FtpModel3", "FullBuffer", "poisson_arrivals"]
