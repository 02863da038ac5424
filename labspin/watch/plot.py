"""The live plot of a run: its natural axes, drawn from the rows on disk (PNG)."""

from __future__ import annotations

import io

import numpy as np


def run_plot_png(file: str, title: str = "", width: float = 6.4, height: float = 3.6) -> bytes:
    """A PNG of the run file's signal against its x axis, branches as they came."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from labspin.analysis.datasets import natural_axes
    from labspin.analysis.loaders import load_run

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    ax = figure.add_subplot()
    try:
        run = load_run(file)
        data = run.data
    except Exception as exc:  # the page shows why there is no plot
        ax.text(0.5, 0.5, f"no data to plot: {exc}", ha="center", va="center", wrap=True,
                transform=ax.transAxes)
        ax.set_axis_off()
    else:
        if data.empty:
            ax.text(0.5, 0.5, "no row measured yet", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_axis_off()
        else:
            x, y = natural_axes(data.columns, data)
            xs = np.asarray(data[x], dtype=float)
            ys = np.asarray(data[y], dtype=float)
            ax.plot(xs, ys, "-o", ms=3, lw=1, color="#1f77b4")
            ax.plot(xs[-1:], ys[-1:], "o", ms=7, color="#d62728", label="latest row")
            ax.set_xlabel(x)
            ax.set_ylabel(y)
            ax.legend(loc="best", fontsize=8)
            ax.grid(alpha=0.3)
            title = title or f"{run.procedure}: {len(data)} rows"
    ax.set_title(title, fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
