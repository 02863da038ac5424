"""The chip's correlation in a report (:func:`labspin.analysis.report.make_report`):
``correlation.csv``, the figure (``correlation.png`` and ``.svg``) and its section of
``summary.md`` and ``index.html``."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from labspin.analysis.correlation import Correlation, correlation_stage
from labspin.analysis.correlation_text import headers, markdown, reasons, value_lines

__all__ = ["write_correlation"]

FIGURE = "correlation"


def _html(result: Correlation, figure: Path | None) -> str:
    e = html.escape
    parts = ["<h2>The paper's correlation on this chip</h2>", "<table><thead><tr>"
             + "".join(f"<th>{e(h)}</th>" for h in headers(result)) + "</tr></thead><tbody>"]
    for bar in result.bars:
        cells = [bar.sample, bar.label]
        cells_html = [e(c) for c in cells]
        cells_html += ["<br>".join(e(line) for line in value_lines(v))
                       for v in bar.values.values()]
        parts.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells_html) + "</tr>")
    parts.append("</tbody></table>")
    items = result.trends() + reasons(result) + result.notes
    parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>")
    if figure is not None:
        parts.append(f'<figure id="{FIGURE}"><img src="{e(figure.name)}" alt="correlation">'
                     "<figcaption>Δα, |ξ_DL| and J_c against AFMI thickness (<a href="
                     f'"{e(figure.with_suffix(".svg").name)}">SVG</a>)</figcaption></figure>')
    return "\n".join(parts)


def write_correlation(summary: pd.DataFrame, out: Path, control: str | None,
                      plot_errors: dict[str, str]
                      ) -> tuple[Correlation | None, Path | None, list[str], str]:
    """The correlation of the summary's runs (None when they are not a chip's), the CSV
    written, the Markdown lines and the HTML of its section; a figure that fails is
    recorded in ``plot_errors`` and the tables are written without it."""
    result = correlation_stage(summary, control=control)
    if result is None:
        return None, None, [], ""
    csv_path = out / "correlation.csv"
    result.table().to_csv(csv_path, index=False)
    figure = None
    try:
        from labspin.analysis.correlation_plot import correlation_figure
        from labspin.analysis.figures import save_figure

        fig = correlation_figure(result)
        if fig is not None:
            figure = save_figure(fig, out / FIGURE)[0]
    except Exception as exc:  # one bad figure must not lose the report
        plot_errors[FIGURE] = f"{type(exc).__name__}: {exc}"
    return result, csv_path, markdown(result, figure.name if figure else None), \
        _html(result, figure)
