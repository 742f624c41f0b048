"""A Figure bound to the Agg canvas (no pyplot state: safe in scripts, MPI ranks, threads)."""
from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def figure(ncols: int = 1, width: float = 5.0, height: float = 3.8):
    """(fig, [axes]) with ``ncols`` panels of ``width`` x ``height`` inches side by side."""
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
