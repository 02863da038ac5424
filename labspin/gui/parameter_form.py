"""A procedure's parameters as a form, typed as a person writes them.

Each box takes "200 mA", "50 us", "0.2" (a bare number is in the parameter's own unit,
which the box shows) and converts it with :func:`labspin.settings.convert`, the same
conversion as ``--set`` and queue files. Every problem is shown under its box while it
is typed and nothing is reverted behind the user's back: text that is not a number, a
unit of another kind, a value outside the parameter's range, and (given the station's
limits) a value the station would refuse, with the limit it breaks. Parameters that only
apply to one mode are hidden in the others, as pymeasure's ``InputsWidget`` does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pymeasure.experiment import (
    BooleanParameter,
    FloatParameter,
    IntegerParameter,
    ListParameter,
    Parameter,
)
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

from labspin.configfiles import QuantityError, parse_quantity
from labspin.procedures.base import ProcedureError
from labspin.queues import check_procedure
from labspin.safety import LimitError
from labspin.settings import SettingError, configure, convert, describe_parameter, quantity_text
from labspin.station_needs import StationMismatch, check_station

__all__ = ["FormCheck", "ParameterForm", "format_value", "parameter_names"]

_BAD = "QLineEdit, QComboBox { border: 1px solid #c62828; background: #fff6f6; }"
_NOTE = "color:#b71c1c; font-size:small;"


def parameter_names(cls: type) -> list[str]:
    """A procedure's parameters in the order the classes declare them; the base's
    stage temperature last (it applies to every procedure)."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Parameter) and name not in names:
                names.append(name)
    if "stage_temperature" in names:
        names.remove("stage_temperature")
        names.append("stage_temperature")
    return names


def _kind(param: Any) -> str:
    for cls, kind in ((BooleanParameter, "flag"), (IntegerParameter, "whole"),
                      (FloatParameter, "number"), (ListParameter, "choice")):
        if isinstance(param, cls):
            return kind
    return "text"


def format_value(param: Any, value: Any) -> str:
    """A parameter value as a person writes it: ``0.035`` A -> ``'35 mA'``."""
    kind = _kind(param)
    units = getattr(param, "units", None)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return quantity_text(float(value), units)
    if kind == "whole" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value)} {units}" if units else str(int(value))
    return str(value)


def _exact_text(param: Any, value: float) -> str | None:
    """``format_value`` when it reads back as exactly ``value``, else None."""
    text = format_value(param, value)
    try:
        back = parse_quantity(text, getattr(param, "units", None) or "dimensionless", "")
    except QuantityError:
        return None
    return text if back == value or (math.isnan(back) and math.isnan(value)) else None


@dataclass
class FormCheck:
    """The form checked: the configured procedure, or why not, per parameter."""

    procedure: Any | None  # configured, in range and (given a guard) within the limits
    problems: dict[str, str] = field(default_factory=dict)  # name ("" = form) -> why
    values: dict[str, Any] = field(default_factory=dict)  # the values that converted
    converted: bool = False  # every box converted (problems, if any, are limits or text)

    @property
    def ok(self) -> bool:
        return self.procedure is not None and not self.problems

    @property
    def summary(self) -> str:
        """The first problem, one line; "" when there is none."""
        return next(iter(self.problems.values()), "")


class _Field:
    """One parameter: its label, its editor and the note under it."""

    def __init__(self, name: str, param: Any, form: ParameterForm) -> None:
        self.name, self.param, self.kind = name, param, _kind(param)
        self.label = QLabel(param.name)
        self.label.setWordWrap(True)
        self.label.setToolTip(f"{name}: {describe_parameter(param)}")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(_NOTE)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._shown: tuple[str, Any] | None = None  # text shown and the exact value behind
        if self.kind == "choice":
            self.editor: QWidget = QComboBox()
            self.editor.addItems([str(c) for c in param.choices])
            self.editor.currentIndexChanged.connect(form._edited)
        elif self.kind == "flag":
            self.editor = QCheckBox()
            self.editor.toggled.connect(form._edited)
        else:
            self.editor = QLineEdit()
            self.editor.textEdited.connect(form._edited)
            self.editor.editingFinished.connect(lambda: form._finished(self))
            units = getattr(param, "units", None)
            if self.kind in ("number", "whole") and units:
                self.editor.setPlaceholderText(f"in {units}, or with a unit")
        self.editor.setObjectName(f"param_{name}")
        self.editor.setToolTip(f"{param.name} ({name}): {describe_parameter(param)}")
        self.editor.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.show(param.value if param.is_set() else param.default)

    def show(self, value: Any) -> None:
        """Put ``value`` (SI) in the box."""
        if self.kind == "choice":
            choices = list(self.param.choices)
            if value in choices:
                self.editor.setCurrentIndex(choices.index(value))
        elif self.kind == "flag":
            self.editor.setChecked(bool(value))
        else:
            text = "" if value is None else format_value(self.param, value)
            self.editor.setText(text)
            self.editor.setCursorPosition(0)
            self._shown = (text, value)

    def raw(self) -> Any:
        """What the box holds: the exact value it was given while its text is unchanged,
        else the text as typed."""
        if self.kind == "choice":
            return self.param.choices[self.editor.currentIndex()]
        if self.kind == "flag":
            return self.editor.isChecked()
        text = self.editor.text()
        if self._shown is not None and text == self._shown[0]:
            return self._shown[1]
        return text

    def set_problem(self, text: str) -> None:
        self.note.setText(text)
        self.editor.setStyleSheet(_BAD if text else "")


class ParameterForm(QWidget):
    """The parameters of ``cls``; ``changed`` is emitted on every edit."""

    changed = pyqtSignal()

    def __init__(self, cls: type, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cls = cls
        self._template = cls()  # configured again on each check (pymeasure makes slowly)
        objects = self._template.parameter_objects()
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.layout_.setVerticalSpacing(4)
        self.fields: dict[str, _Field] = {}
        for name in parameter_names(cls):
            if name not in objects:
                continue
            item = _Field(name, objects[name], self)
            self.fields[name] = item
            self.layout_.addRow(item.label, item.editor)
            self.layout_.addRow(item.note)
        self._update_visibility()

    # -- values ---------------------------------------------------------------------------
    def set_values(self, values: dict[str, Any]) -> list[str]:
        """Show ``values`` (name -> SI value); returns the names this procedure does not
        have (left out)."""
        unknown = [name for name in values if name not in self.fields]
        for name, value in values.items():
            if name in self.fields:
                self.fields[name].show(value)
        self._edited()
        return unknown

    def reset(self) -> None:
        """Every parameter back to its default."""
        self.set_values({name: f.param.default for name, f in self.fields.items()})

    def raw_values(self) -> dict[str, Any]:
        """What the boxes hold (text where typed), by parameter name."""
        return {name: f.raw() for name, f in self.fields.items()}

    def editor(self, name: str) -> QWidget:
        return self.fields[name].editor

    def type_text(self, name: str, text: str) -> None:
        """Replace the text of a box as typing would (tests, scripted use)."""
        editor = self.fields[name].editor
        editor.setText(text)
        editor.textEdited.emit(text)

    def problem(self, name: str) -> str:
        """The note shown under a parameter's box ("" when none)."""
        return self.fields[name].note.text()

    # -- checking -------------------------------------------------------------------------
    def check(self, guard: Any = None, fresh: bool = False, config: Any = None) -> FormCheck:
        """Convert every box, configure the procedure and, given the station's guard,
        check it against the limits, and given the station file ``config``, against the
        instruments and wiring it needs (``labspin.station_needs``, as ``labspin run`` and
        queue plans do); each problem is shown under its box. ``fresh``: a new procedure
        instance (to keep or run) instead of the form's reused one."""
        result = FormCheck(None)
        for name, item in self.fields.items():
            try:
                result.values[name] = convert(name, item.param, item.raw())
            except SettingError as exc:
                result.problems[name] = str(exc)
        result.converted = not result.problems
        if not result.problems:
            try:
                result.procedure = configure(self.cls, result.values,
                                             None if fresh else self._template)
            except SettingError as exc:
                result.problems[exc.parameter or ""] = str(exc)
            except (ProcedureError, ValueError, TypeError) as exc:
                result.problems[""] = f"{self.cls.__name__}: {exc}"
        if result.procedure is not None and guard is not None:
            try:
                check_procedure(result.procedure, guard)
            except (LimitError, ProcedureError, ValueError) as exc:
                text = f"beyond the station limits: {exc}"
                for name in self._blame(result.values, guard) or [""]:
                    result.problems[name] = text
        if result.procedure is not None and config is not None and not result.problems:
            try:
                check_station(result.procedure, config)
            except StationMismatch as exc:
                result.problems[""] = f"this station cannot run it: {exc}"
        if result.problems:
            result.procedure = None
        self._show_problems(result.problems)
        return result

    def _blame(self, values: dict[str, Any], guard: Any) -> list[str]:
        """The parameters whose own value breaks the limits: those that, put back to
        their default alone, let the procedure pass."""
        blamed = []
        for name, item in self.fields.items():
            default = item.param.default
            if default is None or values[name] == default:
                continue
            try:
                check_procedure(configure(self.cls, {**values, name: default},
                                          self._template), guard)
            except (SettingError, LimitError, ProcedureError, ValueError, TypeError):
                continue
            blamed.append(name)
        return blamed

    def _show_problems(self, problems: dict[str, str]) -> None:
        for name, item in self.fields.items():
            text = problems.get(name, "")
            if text.startswith(f"{name} "):
                text = text[len(name) + 1:]  # the box's label names it already
            item.set_problem(text)
            self.layout_.setRowVisible(item.note, bool(text) and self._visible(name))

    # -- events ---------------------------------------------------------------------------
    def _edited(self, *_: Any) -> None:
        self._update_visibility()
        self.changed.emit()

    def _finished(self, item: _Field) -> None:
        """A box left with a valid value shows it as read ("0.2" -> "200 mA"), so the
        unit a bare number was taken in is visible."""
        raw = item.raw()
        if not isinstance(raw, str) or item.kind not in ("number", "whole"):
            return
        try:
            value = convert(item.name, item.param, raw)
        except SettingError:
            return
        text = _exact_text(item.param, value) if item.kind == "number" else \
            format_value(item.param, value)
        if text is not None and text != raw:
            item.editor.setText(text)
            item._shown = (text, value)

    def _visible(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """pymeasure's grouping: shown when every controlling parameter is shown and
        holds its condition (a value, or a function of the value)."""
        item = self.fields[name]
        for group, condition in getattr(item.param, "group_by", {}).items():
            control = self.fields.get(group)
            if control is None or group in seen:
                continue
            if not self._visible(group, seen | {name}):
                return False
            value = control.raw()
            if callable(condition):
                if not condition(value):
                    return False
            elif value != condition:
                return False
        return True

    def _update_visibility(self) -> None:
        for name, item in self.fields.items():
            visible = self._visible(name)
            self.layout_.setRowVisible(item.editor, visible)
            self.layout_.setRowVisible(item.note, visible and bool(item.note.text()))
