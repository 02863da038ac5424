"""Device files: your own Hall-bar stack for the simulated bench, in YAML with units.

The keys are the field names of the parameter dataclasses (labspin.physics.parameters),
one section per layer or aspect; ``base: PRESET`` (or ``base: other-device.yaml``)
starts from that device and the file overrides only what differs::

    base: py-nio
    name: CoFeB 3 nm / NiO 8 nm, chip 7
    ferromagnet: {name: CoFeB, thickness: 3 nm, saturation_magnetization: 1.1e6 A/m}
    top: {name: NiO, thickness: 8 nm, spin_conductance: 1.5e15}
    hall_bar: {width: 3 um, length: 12 um}

Quantities are numbers in SI units or texts with a unit (``3 nm``, ``25 uohm cm``,
``1.5e15 ohm^-1 m^-2``), read by the bounded parser of labspin.configfiles (no
expression evaluation), and the file itself by its bounded YAML reader (no aliases, no
huge or deep files). Every problem is reported at once, each with its key path, unit
and allowed range (labspin.physics.device_schema), unknown keys with the key meant.
A layer (``bottom``, ``top``) is an ``Antiferromagnet``, ``OxideCap`` or ``HeavyMetal``:
``type:`` says which, or it is the base's layer type, or what its keys make plain;
``top: null`` removes the layer. ``labspin device template`` writes every key.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from labspin.config_keys import closest_key
from labspin.configfiles import load_yaml_text, read_config_text
from labspin.physics.device_schema import ALIASES, FIELDS, LAYER_TYPES, SECTIONS, Spec
from labspin.physics.device_values import MAX_NAME, read_value
from labspin.physics.parameters import DeviceParameters, ParameterError
from labspin.physics.presets import preset, preset_names, py_nio

#: a base may itself have a base, this many deep (a loop is refused before that)
MAX_BASE_DEPTH = 8
_TOP_KEYS = ("base", "name", "description", "type", *SECTIONS)


class DeviceFileError(ValueError):
    """A device file (or inline device) that cannot be used: ``source`` names it,
    ``problems`` lists (key path, what is wrong) pairs; the message says it all."""

    def __init__(self, message: str, source: str = "device",
                 problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.problems = problems or []


def load_device(source: str | Path | Mapping[str, Any] | DeviceParameters, *,
                base_dir: str | Path | None = None, label: str | None = None,
                ) -> DeviceParameters:
    """The device ``source`` describes: a preset name, the path of a device file
    (relative to ``base_dir`` if given, else to the working folder), the already
    loaded keys of one (a mapping), or a :class:`DeviceParameters` (returned as is).

    Raises :class:`DeviceFileError` naming the file (``label`` for a mapping) and every
    key that is wrong, with its unit, allowed range or the key meant."""
    return _load(source, base_dir=base_dir, label=label, chain=())


def is_preset_name(source: Any) -> bool:
    return isinstance(source, str) and source in preset_names()


def looks_like_device_file(data: Any) -> bool:
    """Whether loaded YAML is a device file rather than a station file."""
    return isinstance(data, Mapping) and bool({"ferromagnet", "base"} & set(map(str, data))) \
        and not {"instruments", "limits", "magnets"} & set(map(str, data))


def _load(source: Any, *, base_dir: Any, label: str | None,
          chain: tuple[Path, ...]) -> DeviceParameters:
    if isinstance(source, DeviceParameters):
        return source
    if isinstance(source, Mapping):
        return _build(dict(source), label or "device", None, base_dir, chain)
    if not isinstance(source, str | Path):
        raise DeviceFileError(f"a device is a preset name, a device file or its keys, got "
                              f"{type(source).__name__}")
    if is_preset_name(source):
        return preset(str(source))
    path = Path(source).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    if isinstance(source, str) and not path.exists() and \
            not source.lower().endswith((".yaml", ".yml")):
        raise DeviceFileError(_not_a_device(source), str(source))
    resolved = path.resolve()
    if resolved in chain:
        loop = " -> ".join(p.name for p in (*chain, resolved))
        raise DeviceFileError(f"{path}: its base leads back to itself ({loop})", str(path))
    if len(chain) >= MAX_BASE_DEPTH:
        raise DeviceFileError(f"{path}: bases nested more than {MAX_BASE_DEPTH} deep",
                              str(path))
    text = read_config_text(path, DeviceFileError, "device file")
    data = load_yaml_text(text, str(path), DeviceFileError)
    if data is None:
        raise DeviceFileError(f"{path} is empty: a device file needs at least "
                              "`base: PRESET` or a ferromagnet section", str(path))
    return _build(data, str(path), path.stem, path.parent, (*chain, resolved))


def _not_a_device(text: str) -> str:
    close = difflib.get_close_matches(text, preset_names(), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (f"{text[:80]!r} is neither a device preset{hint} nor a device file (no file "
            f"of that name); presets: {', '.join(preset_names())}")


class _Problems:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, what: str) -> None:
        self.items.append((where, what))

    def under(self, prefix: str) -> bool:
        return any(w == prefix or w.startswith(prefix + ".") for w, _ in self.items)


def _build(data: Any, source: str, stem: str | None, base_dir: Any,
           chain: tuple[Path, ...]) -> DeviceParameters:
    if not isinstance(data, Mapping):
        raise DeviceFileError(f"{source}: expected the keys of a device (base, name, "
                              f"ferromagnet, top, ...), got {type(data).__name__}", source)
    problems = _Problems()
    data = {str(k): v for k, v in data.items()}
    if {"instruments", "limits"} & set(data) and not {"ferromagnet", "base"} & set(data):
        raise DeviceFileError(f"{source} is a station file, not a device file: give it as "
                              "--station FILE; a device file has base: PRESET or a "
                              "ferromagnet section (labspin device template)", source)
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(key, _unknown_top_key(key))
    if data.get("type", "DeviceParameters") != "DeviceParameters":
        problems.add("type", f"{data['type']!r}: a device file describes a whole device; "
                     "leave type out (it belongs inside a bottom or top layer)")
    base = None
    if "base" in data:
        try:
            base = _base(data["base"], base_dir, chain)
        except DeviceFileError as exc:
            problems.add("base", str(exc))
    if problems.under("base"):  # nothing below can be read without its base
        raise _error(source, problems)
    if base is None and "ferromagnet" not in data:
        problems.add("ferromagnet", "missing: without a base (base: py-nio, ...) a device "
                     "file describes its ferromagnet")
    parts: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        start = getattr(base, section) if base is not None else None
        if section not in data:
            if start is not None or cls is None:
                parts[section] = start
            elif section != "ferromagnet":
                parts[section] = cls()
            continue
        given = data[section]
        if cls is None:
            parts[section] = _layer(section, given, start, problems)
        else:
            parts[section] = _part(section, cls, given, start, problems)
    fm, thermal = parts.get("ferromagnet"), parts.get("thermal")
    if fm is not None and thermal is not None and \
            fm.curie_temperature <= thermal.stage_temperature:
        problems.add("ferromagnet.curie_temperature",
                     f"{fm.curie_temperature:g} K is not above thermal.stage_temperature "
                     f"({thermal.stage_temperature:g} K): the ferromagnet would be no "
                     "magnet on the stage")
    name = _text(data, "name", problems)
    description = _text(data, "description", problems)
    if problems.items:
        raise _error(source, problems)
    if name is None:
        name = stem or (f"{base.name} (modified)" if base is not None else "custom device")
    if description is None:
        description = f"based on {base.name}" if base is not None else ""
    try:
        return DeviceParameters(name=name, description=description, **parts)
    except ParameterError as exc:  # the checks across sections
        problems.add("device", str(exc).replace("DeviceParameters.", ""))
        raise _error(source, problems) from None


def _error(source: str, problems: _Problems) -> DeviceFileError:
    lines = "\n".join(f"  {where}: {what}" for where, what in problems.items)
    return DeviceFileError(f"{source} is not a valid device file:\n{lines}", source,
                           problems.items)


def _base(value: Any, base_dir: Any, chain: tuple[Path, ...]) -> DeviceParameters:
    if not isinstance(value, str) or not value.strip():
        raise DeviceFileError(f"give a preset ({', '.join(preset_names())}) or the path of "
                              f"another device file, got {value!r}")
    value = value.strip()
    if is_preset_name(value):
        return preset(value)
    return _load(value, base_dir=base_dir, label=None, chain=chain)


def _text(data: Mapping[str, Any], key: str, problems: _Problems) -> str | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (key == "name" and not value.strip()):
        problems.add(key, f"must be a text, like 'CoFeB 3 nm / NiO 8 nm', got {value!r}")
        return None
    if len(value) > MAX_NAME * (10 if key == "description" else 1):
        problems.add(key, f"a text of {len(value)} characters is too long")
        return None
    return value.strip()


# -- sections -----------------------------------------------------------------------------
def _layer(section: str, given: Any, start: Any, problems: _Problems) -> Any:
    if given is None:
        return None  # top: null removes the base's layer
    if not isinstance(given, Mapping):
        problems.add(section, f"expected the keys of a layer (type, name, thickness, ...) "
                     f"or null for none, got {_kind(given)}")
        return None
    given = {str(k): v for k, v in given.items()}
    cls = None
    if "type" in given:
        cls = _layer_type(given["type"])
        if cls is None:
            problems.add(f"{section}.type", f"{given['type']!r} is not a layer type; use "
                         f"{', '.join(LAYER_TYPES)}")
            return None
    elif start is not None:
        cls = type(start)
    else:
        keys = set(given)
        fits = [c for c in LAYER_TYPES.values() if keys <= set(FIELDS[c])]
        if len(fits) != 1:
            why = "its keys fit none of them" if not fits else \
                f"its keys fit {' and '.join(c.__name__ for c in fits)}"
            problems.add(section, f"say what the layer is with type: "
                         f"{', '.join(LAYER_TYPES)} ({why})")
            return None
        cls = fits[0]
    if start is not None and not isinstance(start, cls):
        start = None  # a new kind of layer takes nothing from the base's
    return _part(section, cls, {k: v for k, v in given.items() if k != "type"}, start,
                 problems)


def _layer_type(value: Any) -> type | None:
    if not isinstance(value, str):
        return None
    wanted = re.sub(r"[\s_-]", "", value).lower()
    aliases = {"afm": "antiferromagnet", "afmi": "antiferromagnet", "oxide": "oxidecap",
               "cap": "oxidecap", "insulator": "oxidecap", "hm": "heavymetal"}
    wanted = aliases.get(wanted, wanted)
    return next((cls for name, cls in LAYER_TYPES.items() if name.lower() == wanted), None)


def _part(where: str, cls: type, given: Any, start: Any, problems: _Problems) -> Any:
    specs = FIELDS[cls]
    if not isinstance(given, Mapping):
        problems.add(where, f"expected the keys of the {_what(cls)} ({', '.join(specs)}), "
                     f"got {_kind(given)}")
        return None
    values = {f.name: getattr(start, f.name) for f in fields(start)} if start is not None \
        else {}
    bad = False
    for key, raw in given.items():
        key = str(key)
        if key == "type" and where not in ("bottom", "top"):  # as_dict() writes it
            if str(raw) != cls.__name__:
                problems.add(f"{where}.type", f"{where} is always a {cls.__name__}; leave "
                             "type out")
                bad = True
            continue
        if key not in specs:
            problems.add(f"{where}.{key}", _unknown_key(key, cls, where))
            bad = True
            continue
        try:
            values[key] = read_value(specs[key], raw, _example(cls, key))
        except ValueError as exc:
            problems.add(f"{where}.{key}", str(exc))
            bad = True
    missing = [f.name for f in fields(cls) if f.name not in values
               and f.default is MISSING and f.default_factory is MISSING
               and f.name not in given]
    if missing:
        keys = ", ".join(f"{k} ({_unit_words(specs[k])}, e.g. {_example(cls, k)})"
                         for k in missing)
        fresh = " (a layer of another type than the base's starts afresh)" \
            if start is None and where in ("bottom", "top") else ""
        problems.add(where, f"missing {keys}{fresh}")
        bad = True
    if bad:
        return None
    try:
        return cls(**values)
    except ParameterError as exc:  # the checks across fields of one section
        problems.add(where, str(exc).replace(f"{cls.__name__}.", ""))
        return None


# -- words ----------------------------------------------------------------------------------
def _unknown_key(key: str, cls: type, where: str) -> str:
    specs = FIELDS[cls]
    text = f"not a key of the {_what(cls)}"
    owners = [c.__name__ for c in FIELDS if key in FIELDS[c]]
    if owners:
        layer = where in ("bottom", "top") and all(n in LAYER_TYPES for n in owners)
        change = f" (give {where}: {{type: {owners[0]}, ...}} to change the layer)" \
            if layer else ""
        return f"{text}; it is a key of {' and '.join(owners)}{change}"
    meant = _meant(key, list(specs))
    if meant:
        return f"{text}; did you mean {meant}?"
    return f"{text}; its keys: {', '.join(specs)}"


def _unknown_top_key(key: str) -> str:
    layer = _layer_type(key)
    if layer is not None:
        return (f"not a key of a device file: layers go under bottom (grown first) or top, "
                f"e.g. top: {{type: {layer.__name__}, name: ..., thickness: ...}}")
    meant = _meant(key, list(_TOP_KEYS))
    if meant:
        return f"not a key of a device file; did you mean {meant}?"
    sections = [s for s, c in SECTIONS.items()
                if key in (FIELDS[c] if c else set().union(*map(FIELDS.get,
                                                                 LAYER_TYPES.values())))]
    if sections:
        return (f"not a key of a device file: it belongs inside "
                f"{' or '.join(sections)}, e.g. {sections[0]}: {{{key}: ...}}")
    return f"not a key of a device file; its keys: {', '.join(_TOP_KEYS)}"


def _meant(key: str, candidates: list[str]) -> str | None:
    lowered = key.lower().strip()
    alias = ALIASES.get(lowered)
    if alias in candidates and alias != key:
        return alias
    return closest_key(key, candidates)  # the same words as station and queue files


def _what(cls: type) -> str:
    words = {"Ferromagnet": "ferromagnet", "Antiferromagnet": "Antiferromagnet layer",
             "OxideCap": "OxideCap layer", "HeavyMetal": "HeavyMetal layer",
             "HallBar": "hall_bar", "Readout": "readout",
             "ThermalEnvironment": "thermal section", "SwitchingKinetics": "kinetics"}
    return words.get(cls.__name__, cls.__name__)


def _kind(value: Any) -> str:
    return "a list" if isinstance(value, list) else \
        f"{type(value).__name__} {str(value)[:40]!r}"


def _unit_words(spec: Spec) -> str:
    if spec.kind in ("text", "axis", "int"):
        return {"text": "a text", "axis": "an axis", "int": "a whole number"}[spec.kind]
    return f"in {spec.shown}" if spec.shown else "a pure number"


_REFERENCE: dict[type, Any] = {}


def _example(cls: type, key: str) -> str:
    """How to write ``key``: the value a preset has, in the file's unit."""
    if not _REFERENCE:
        from labspin.physics.presets import cofeb_nio_pma, pt_py

        ref = py_nio()
        for part in (ref.ferromagnet, ref.top, ref.bottom, pt_py().bottom, ref.hall_bar,
                     ref.readout, ref.thermal, ref.kinetics):
            _REFERENCE[type(part)] = part
        _REFERENCE["nucleation_field"] = cofeb_nio_pma().ferromagnet.nucleation_field
    spec = FIELDS[cls][key]
    value = getattr(_REFERENCE.get(cls), key, None)
    if value is None:
        value = _REFERENCE.get(key) or spec.scale
    if spec.kind == "text":
        return repr(value)
    if spec.kind == "axis":
        return "z or [0, 0, 1]"
    shown = spec.show(value)
    return f"'{shown}'" if " " in shown else shown
