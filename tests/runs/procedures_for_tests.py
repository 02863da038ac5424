"""Small procedures that exercise the runner and queues without slow physics."""

from pymeasure.experiment import FloatParameter, IntegerParameter, ListParameter

from labspin.procedures.base import SpintronicsProcedure


class ReadResistance(SpintronicsProcedure):
    """R_xx a few times at one read current; can fail or be interrupted on purpose."""

    DESCRIPTION = "R_xx readings (test procedure)"
    DATA_COLUMNS = ["Index", "R_xx (ohm)", "Time (s)"]  # noqa: RUF012 - pymeasure API
    points = IntegerParameter("Points", default=3, minimum=1, maximum=1000)
    read_current = FloatParameter("Read current", units="A", default=1e-4, minimum=-0.1,
                                  maximum=0.1)
    mode = ListParameter("Readout", choices=["dc", "reversal"], default="reversal")
    fail_at = IntegerParameter("Fail at point", default=-1, minimum=-1, maximum=1000)
    interrupt_at = IntegerParameter("Interrupt at point", default=-1, minimum=-1,
                                    maximum=1000)

    def check_limits(self, guard):
        guard.check_current(self.read_current, "read current")

    def planned_points(self):
        return self.points

    def seconds_per_point(self):
        return 0.5

    def execute(self):
        for i in range(self.points):
            if self.should_stop():
                return
            if i == self.fail_at:
                raise RuntimeError(f"failed on purpose at point {i}")
            if i == self.interrupt_at:
                raise KeyboardInterrupt
            r = self.apparatus.read_voltage("xx", self.read_current, self.mode, nplc=1)
            self.emit_row({"Index": i, "R_xx (ohm)": r})
