"""The report figure of a chip's correlation: Delta alpha (ST-FMR), |xi_DL| (harmonic
Hall) and J_c (switching loops) of each bar against its AFMI thickness, one panel each,
the points coloured by their verdict, the model's values as open diamonds when the runs
come from the simulated bench. Values that are not determined are not drawn as points;
the panel names the bars that lack one."""

from __future__ import annotations

import math

from labspin.analysis.correlation import Correlation
from labspin.analysis.figures import new_figure
from labspin.analysis.formatting import VERDICT_COLOURS

__all__ = ["correlation_figure"]

_PANELS = (("delta_alpha", "Δα (ST-FMR, against the control)", 1.0, False),
           ("xi_dl", "|ξ_DL| (harmonic Hall)", 1.0, True),
           ("j_c", "J_c (switching loops, 10¹² A/m²)", 1e-12, False))


def correlation_figure(result: Correlation):
    """The figure (matplotlib ``Figure``), or None when no bar has an AFMI thickness."""
    bars = result.series()
    if not bars:
        return None
    fig = new_figure((7.5, 7.8))
    control = f"control {result.control}" if result.control else "no control bar"
    fig.suptitle("Spin loss, torque and switching against AFMI thickness\n"
                 f"{len(bars)} bars, {control}", fontsize="medium")
    axes = fig.subplots(len(_PANELS), 1, sharex=True)
    thickness = [b.afmi_thickness * 1e9 for b in bars]
    for ax, (key, label, scale, magnitude) in zip(axes, _PANELS, strict=True):
        missing, drawn = [], False
        for t, bar in zip(thickness, bars, strict=True):
            value = bar.values[key]
            if value.determined:
                drawn = True
                y = abs(value.value) if magnitude else value.value
                ax.errorbar([t], [y * scale], yerr=[value.stderr * scale], fmt="o",
                            color=VERDICT_COLOURS[value.verdict], capsize=3)
            elif value.runs:
                missing.append(bar.sample)
        model = [(t, abs(b.values[key].model) if magnitude else b.values[key].model)
                 for t, b in zip(thickness, bars, strict=True)
                 if math.isfinite(b.values[key].model)]
        if model:
            ax.plot([m[0] for m in model], [m[1] * scale for m in model], "D--",
                    mfc="none", color="0.4", label="device model")
            ax.legend(fontsize="x-small", loc="best")
        if not drawn and not model:  # an empty panel says why
            why = ("no control bar on this chip: Δα needs one (a bar without the AFMI; "
                   "--control names it)") if key == "delta_alpha" and not result.control \
                else "no bar has a value"
            ax.text(0.5, 0.5, why, transform=ax.transAxes, ha="center", va="center",
                    fontsize="small", color="0.4", wrap=True)
        if missing:
            ax.text(0.01, 0.04, "not determined: " + ", ".join(missing),
                    transform=ax.transAxes, fontsize="x-small",
                    color=VERDICT_COLOURS["not determined"])
        ax.set_ylabel(label, fontsize="small")
        ax.grid(True, alpha=0.3)
    axes[-1].set_xscale("log")
    axes[-1].minorticks_off()
    axes[-1].set_xticks(thickness)
    axes[-1].set_xticklabels([f"{t:g}" for t in thickness])
    axes[-1].set_xlabel("AFMI thickness (nm)")
    return fig
