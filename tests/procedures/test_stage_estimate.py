"""A run that sets the stage temperature waits for the stage: its duration estimate, and
a queue's, count that wait from the setpoint of the run before (a queue sweeping
280-340 K spent most of its bench time settling while its plan said a third of it)."""

from __future__ import annotations

import pytest
import yaml

from labspin.procedures import procedure_class
from labspin.procedures.timing import ROOM_TEMPERATURE, stage_settling_seconds
from labspin.queues import load_queue_file, plan_queue
from labspin.runs import open_catalog, run_procedure
from labspin.station import Station


def test_settling_grows_with_the_gap_and_is_nothing_without_a_setpoint():
    assert stage_settling_seconds(None, 250.0) == 0.0
    near = stage_settling_seconds(ROOM_TEMPERATURE + 0.05)
    small, large = stage_settling_seconds(310.0), stage_settling_seconds(340.0)
    assert near < small < large
    assert stage_settling_seconds(340.0, 340.0) == near  # already there: the stable readings
    assert stage_settling_seconds(280.0, 340.0) == stage_settling_seconds(340.0, 280.0)


def test_a_temperature_queue_plan_holds_each_run_to_the_bench_time_it_took(tmp_path):
    queue = tmp_path / "temperatures.yaml"
    queue.write_text(yaml.safe_dump({"name": "USMR against T", "steps": [{
        "procedure": "USMRLoop",
        "parameters": {"field_max": "30 mT", "field_step": "5 mT"},
        "sweep": [{"stage_temperature": {"values": ["off", "340 K", "320 K", "280 K",
                                                    "280 K"]}}]}]}))
    with Station.open(sim=True, seed=3) as station, open_catalog(tmp_path / "d") as catalog:
        plan = plan_queue(load_queue_file(queue), str(queue), station.guard)
        taken = []
        for planned in plan.runs:
            proc = procedure_class(planned.procedure)()
            proc.set_parameters(planned.parameters)
            start = station.now()
            assert run_procedure(proc, station, catalog).status == "finished"
            taken.append(station.now() - start)
    durations = [r.duration for r in plan.runs]
    for estimate, elapsed in zip(durations, taken, strict=True):
        assert elapsed < estimate < 1.6 * elapsed + 30
    # the stage's share: 340 K from room, 320 K from 340 K, 280 K from 320 K, then there
    assert taken[1] > 2 * taken[0] and durations[1] > 2 * durations[0]
    assert durations[4] == pytest.approx(durations[0] + stage_settling_seconds(280, 280))
    # the run alone (the GUI, labspin run) counts its stage from room temperature (its
    # ramps at the default rate, not the station's: within a second)
    alone = procedure_class("USMRLoop")()
    alone.set_parameters(plan.runs[3].parameters)
    assert alone.estimated_duration() == pytest.approx(
        durations[3] - stage_settling_seconds(280, 320) + stage_settling_seconds(280), abs=1.0)
