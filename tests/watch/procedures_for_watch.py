"""A procedure that leaves a field on and then loses the magnet supply's connection, so
that the make-safe of its shutdown cannot bring the field down."""

from pymeasure.experiment import FloatParameter

from tests.runs.procedures_for_tests import ReadResistance


class FieldThenDrop(ReadResistance):
    DESCRIPTION = "a field along y, then the y supply's cable is pulled (test procedure)"
    field_y = FloatParameter("Field y", units="T", default=0.02, minimum=-0.1, maximum=0.1)

    def check_limits(self, guard):
        super().check_limits(guard)
        guard.check_field("y", self.field_y)

    def execute(self):
        self.station.magnet("y").ramp_to(self.field_y)
        super().execute()
        self.station.bench.inject_fault("magnet_y", drop_after=0)


class TooMuchCurrent(ReadResistance):
    """Asks for 200 mA, beyond the station's 100 mA: refused before anything is sent."""

    def check_limits(self, guard):
        guard.check_current(0.2, "read current")
