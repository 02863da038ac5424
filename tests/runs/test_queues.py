"""Queue files: expansion, validation with named errors, journaled runs and resume."""

import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from labspin.procedures import PROCEDURES
from labspin.procedures.timing import stage_settling_seconds
from labspin.queue_runner import queue_progress, run_queue
from labspin.queues import QueueFileError, load_queue_file, parse_queue, plan_queue
from labspin.runs import open_catalog
from labspin.safety import SafetyGuard
from labspin.station import Station, default_sim_config


@pytest.fixture(autouse=True)
def test_procedure(monkeypatch):
    monkeypatch.setitem(PROCEDURES, "ReadResistance",
                        "tests.runs.procedures_for_tests:ReadResistance")


@pytest.fixture(scope="module")
def guard():
    config = default_sim_config()
    return SafetyGuard(config.limits, config.sample, config.name)


def plan(data, guard, source="q.yaml"):
    return plan_queue(parse_queue(data, source), source, guard)


def test_sweeps_nest_zip_repeat_and_convert_units(guard):
    data = {"name": "night", "steps": [{
        "procedure": "ReadResistance", "parameters": {"points": 2},
        "sweep": [{"read_current": {"values": ["100 uA", "0.2 mA"]}},
                  {"mode": {"values": ["dc", "reversal", "dc"]},
                   "stage_temperature": {"linspace": [250, 350, 3]}}],
        "repeat": 2}]}
    p = plan(data, guard)
    assert len(p.runs) == 2 * 2 * 3
    first = [(r.parameters["read_current"], r.parameters["mode"],
              r.parameters["stage_temperature"]) for r in p.runs[:6]]
    assert first == [(1e-4, "dc", 250.0), (1e-4, "reversal", 300.0), (1e-4, "dc", 350.0),
                     (2e-4, "dc", 250.0), (2e-4, "reversal", 300.0), (2e-4, "dc", 350.0)]
    assert p.runs[6].parameters == p.runs[0].parameters  # the repeat
    # the points, and the stage settling at each setpoint from the one before (room first)
    setpoints = [r.parameters["stage_temperature"] for r in p.runs]
    settling = sum(stage_settling_seconds(t, before)
                   for t, before in zip(setpoints, [None, *setpoints[:-1]], strict=True))
    assert p.duration == pytest.approx(12 * (10 + 2 * 0.5) + settling)
    assert settling > 12 * 100  # 50 K steps: minutes each


def test_logspace_and_range_specs(guard):
    data = {"steps": [{"procedure": "ReadResistance", "sweep": [
        {"points": {"range": [1, 7, 3]}}, {"read_current": {"logspace": [1e-5, 1e-3, 3]}}]}]}
    p = plan(data, guard)
    assert sorted({r.parameters["points"] for r in p.runs}) == [1, 4, 7]
    assert [r.parameters["read_current"] for r in p.runs[:3]] == pytest.approx(
        [1e-5, 1e-4, 1e-3])


@pytest.mark.parametrize(("step", "message"), [
    ({"procedure": "NoSuchThing"}, "step 1 (NoSuchThing): unknown procedure 'NoSuchThing'"),
    ({"procedure": "ReadResistance", "parameters": {"pionts": 3}},
     "unknown parameter 'pionts'"),
    ({"procedure": "ReadResistance", "parameters": {"points": "many"}},
     "points 'many' is not a number"),
    ({"procedure": "ReadResistance", "parameters": {"points": 5000}},
     "points 5000 is above its maximum 1000"),
    ({"procedure": "ReadResistance", "parameters": {"read_current": "2 T"}},
     "'2 T' is not in units of A"),
    ({"procedure": "ReadResistance", "parameters": {"read_current": 0.09}},
     "limits.max_current"),
    ({"procedure": "ReadResistance", "sweep": [{"points": {"values": []}}]},
     "sweep level 1: points: values is empty"),
    ({"procedure": "ReadResistance", "sweep": [{"points": {"linspace": [1, 2]}}]},
     "step 1.sweep level 1.points.linspace"),
    ({"procedure": "ReadResistance", "sweep": [{"points": {"values": [1, 2]},
                                                "mode": {"values": ["dc"]}}]},
     "different lengths"),
    ({"procedure": "ReadResistance", "parameters": {"points": 2},
      "sweep": [{"points": {"values": [1]}}]}, "given twice"),
    ({"procedure": "ReadResistance", "on_error": "ignore"}, "step 1.on_error"),
    ({"procedure": "ReadResistance", "repat": 2}, "step 1.repat: not a known key"),
])
def test_bad_queues_are_refused_naming_step_and_key(step, message, guard):
    with pytest.raises(QueueFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan({"steps": [{"procedure": "ReadResistance"}, step][-1:]}, guard)


def test_yaml_errors_and_empty_queues(tmp_path, guard):
    path = tmp_path / "q.yaml"
    path.write_text("steps:\n  - procedure: [\n")
    with pytest.raises(QueueFileError, match="not valid YAML at line"):
        load_queue_file(path)
    with pytest.raises(QueueFileError, match="steps"):
        plan({"steps": []}, guard)
    with pytest.raises(QueueFileError, match="no such queue file"):
        load_queue_file(tmp_path / "missing.yaml")


garbage = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(
        st.sampled_from(["steps", "procedure", "parameters", "sweep", "values", "linspace",
                         "range", "repeat", "on_error", "points", "x"]), c, max_size=4),
    max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(garbage)
def test_random_garbage_gives_a_queue_file_error_never_a_crash(data):
    try:
        plan(data, None)
    except QueueFileError:
        pass


@pytest.fixture
def station():
    with Station.open(sim=True, seed=5) as st_:
        yield st_


def test_a_queue_runs_journaled_and_resumes_without_repeating(station, tmp_path, guard):
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"name": "resume", "steps": [
        {"procedure": "ReadResistance", "parameters": {"points": 2},
         "sweep": [{"read_current": {"values": [1e-4, 2e-4, 3e-4, 4e-4]}}]}]}))
    p = plan_queue(load_queue_file(path), str(path), guard)
    with open_catalog(tmp_path / "data") as catalog:
        # Ctrl+C arrives during the third run, after its first row
        current = {}

        def ctrl_c_in_third_run(row):
            if current["index"] == 2 and row["Index"] == 0:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run_queue(p, station, catalog, on_row=ctrl_c_in_third_run,
                      on_run_start=lambda run, qid: current.update(index=run.index))
        queue_id = catalog.latest_queue()["id"]
        assert queue_progress(catalog, queue_id) == {0: "finished", 1: "finished",
                                                     2: "aborted"}
        assert catalog.queue(queue_id)["status"] == "stopped"
        assert station.bench.dc_current() == 0.0
        # resuming runs 2 and 3 only
        again = plan_queue(load_queue_file(path), str(path), guard)
        outcome = run_queue(again, station, catalog, resume=True)
        assert (outcome.skipped, outcome.finished) == (2, 2)
        runs = catalog.query(queue_id=queue_id)
    finished = [r.queue_index for r in runs if r.status == "finished"]
    assert sorted(finished) == [0, 1, 2, 3]
    assert [r.status for r in runs if r.queue_index == 2] == ["aborted", "finished"]


def test_resume_refuses_a_changed_file(station, tmp_path, guard):
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"steps": [{"procedure": "ReadResistance"}]}))
    with open_catalog(tmp_path / "data") as catalog:
        run_queue(plan_queue(load_queue_file(path), str(path), guard), station, catalog)
        path.write_text(yaml.safe_dump({"steps": [{"procedure": "ReadResistance",
                                                   "parameters": {"points": 4}}]}))
        with pytest.raises(QueueFileError, match="has changed since queue"):
            run_queue(plan_queue(load_queue_file(path), str(path), guard), station, catalog,
                      resume=True)


def test_on_error_continue_and_stop(station, tmp_path, guard):
    steps = [{"procedure": "ReadResistance", "parameters": {"fail_at": 0},
              "on_error": "continue"},
             {"procedure": "ReadResistance"},
             {"procedure": "ReadResistance", "parameters": {"fail_at": 1}},
             {"procedure": "ReadResistance"}]
    p = plan({"steps": steps}, guard, str(tmp_path / "q.yaml"))
    with open_catalog(tmp_path / "data") as catalog:
        outcome = run_queue(p, station, catalog)
        assert (outcome.finished, outcome.failed, outcome.stopped_early) == (1, 2, True)
        assert [r.status for r in catalog.query()] == ["failed", "finished", "failed"]


def test_resume_closes_leftovers_whose_pid_lives_on(station, tmp_path, guard):
    """A killed runner's run whose pid now belongs to a living process (pids are reused)
    is no ghost either: the next holder of the queue's lock marks it interrupted."""
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump({"steps": [{"procedure": "ReadResistance",
                                               "sweep": [{"points": {"values": [1, 2]}}]}]}))
    p = plan_queue(load_queue_file(path), str(path), guard)
    with open_catalog(tmp_path / "data") as catalog:
        queue_id = catalog.create_queue("q", str(path.resolve()), p.plan_hash, 2)
        queued = catalog.create_run("ReadResistance", {}, "s", queue_id, 0)  # our own pid
        running = catalog.create_run("ReadResistance", {}, "s", queue_id, 1)
        catalog.start_run(running, tmp_path / "x.csv", {})
        assert catalog.mark_interrupted() == []  # alive, as far as pids tell
        outcome = run_queue(p, station, catalog, resume=True)
        assert (outcome.skipped, outcome.finished) == (0, 2)
        assert catalog.get(queued).status == catalog.get(running).status == "interrupted"
        assert catalog.queue(queue_id)["status"] == "finished"
        assert catalog.queue(queue_id)["pid"] == os.getpid()
