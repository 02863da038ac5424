"""Writing a device as a device file: every key, in the units people write.

``device_yaml(params)`` gives a file that :func:`labspin.physics.devicefile.load_device`
reads back to the same parameters (12 significant digits, what the quantity parser
keeps); with ``comments=True`` each key carries its meaning, unit and allowed range
(``labspin device template``).
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from labspin.physics.device_schema import FIELDS, SECTIONS, Spec
from labspin.physics.parameters import DeviceParameters

_COMMENT_COLUMN = 44


def device_yaml(params: DeviceParameters, *, comments: bool = False,
                base: str | None = None) -> str:
    """``params`` as a complete device file (``base`` only written as a comment)."""
    lines: list[str] = []
    if comments:
        lines += [
            "# A device file for labspin's simulated bench: every key the model has.",
            "# Numbers without a unit are SI; write units as shown (3 nm, 25 uohm cm).",
            "# Keep only what differs from a preset and start from it with `base:`,",
            "# e.g. `base: py-nio`; keys left out keep the base's value.",
            "# Check a file with: labspin device show FILE",
        ]
    if base:
        lines.append(f"base: {base}")
    lines.append(f"name: {_text(params.name)}")
    if params.description:
        lines.append(f"description: {_text(params.description)}")
    for section in SECTIONS:
        part = getattr(params, section)
        if part is None:
            lines.append(f"{section}: null" + (_pad(f"{section}: null",
                                                     "no layer on this side")
                                               if comments else ""))
            continue
        specs = FIELDS[type(part)]
        header = f"{section}:"
        if comments:
            header += _pad(header, _section_note(section, part))
        lines.append(header)
        if section in ("bottom", "top"):
            lines.append(f"  type: {type(part).__name__}")
        for field in fields(part):
            spec = specs[field.name]
            line = f"  {field.name}: {value_text(spec, getattr(part, field.name))}"
            if comments:
                line += _pad(line, _note(spec))
            lines.append(line)
    return "\n".join(lines) + "\n"


def _section_note(section: str, part: Any) -> str:
    if section in ("bottom", "top"):
        where = "grown first, under the ferromagnet" if section == "bottom" else \
            "grown on the ferromagnet"
        return f"{where}: type Antiferromagnet, OxideCap or HeavyMetal, or null"
    return {"ferromagnet": "the conducting magnet that carries the current and switches",
            "hall_bar": "geometry: current along x through the width",
            "readout": "magnetotransport of the ferromagnet",
            "thermal": "Joule heating of the bar",
            "kinetics": "thermally activated reversal"}.get(section, "")


def _note(spec: Spec) -> str:
    unit = f"[{spec.shown}] " if spec.shown else ""
    if spec.kind in ("text", "axis"):
        return spec.about
    return f"{unit}{spec.about}; {spec.range_text}"


def _pad(line: str, note: str) -> str:
    return " " * max(2, _COMMENT_COLUMN - len(line)) + f"# {note}" if note else ""


def value_text(spec: Spec, value: Any) -> str:
    if value is None:
        return "null"
    if spec.kind == "text":
        return _text(value)
    if spec.kind == "axis":
        named = {(1.0, 0.0, 0.0): "x", (0.0, 1.0, 0.0): "y", (0.0, 0.0, 1.0): "z",
                 (-1.0, 0.0, 0.0): "-x", (0.0, -1.0, 0.0): "-y", (0.0, 0.0, -1.0): "-z"}
        key = tuple(float(c) for c in value)
        if key in named:
            return named[key]
        return "[" + ", ".join(repr(float(c)) for c in value) + "]"
    if spec.kind == "int":
        return str(int(value))
    return spec.show(float(value))


def _text(value: str) -> str:
    """A YAML scalar that reads back as exactly this text."""
    return json.dumps(value, ensure_ascii=False)
