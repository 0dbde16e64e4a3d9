"""Traffic models with per-UE buffers: full buffer, FTP model 3, and QoS-flow packets with a
delay budget (video calls, VoNR)."""

from nrsim.traffic.models import FileLog, FtpModel3, FullBuffer, poisson_arrivals
from nrsim.traffic.qos import FIVE_QI, FiveQi, PacketLog, QosPackets, video_call_packets

__all__ = [
    "FIVE_QI",
    "FileLog",
    "FiveQi",
    "FtpModel3",
    "FullBuffer",
    "PacketLog",
    "QosPackets",
    "poisson_arrivals",
    "video_call_packets",
]
