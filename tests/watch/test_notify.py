"""Notifications, received by a real SMTP server on the loopback (aiosmtpd), not a mock."""

from __future__ import annotations

import logging

import pytest
import yaml

from labspin.notify import NotifyConfigError, flush_all
from labspin.queue_runner import run_queue
from labspin.queues import load_queue_file, plan_queue
from labspin.runs import open_catalog, run_procedure
from labspin.station import Station
from labspin.stationfile import StationFileError, load_station_file
from tests.runs.procedures_for_tests import ReadResistance

from .conftest import PASSWORD_VARIABLE, files_containing, station_file
from .procedures_for_watch import FieldThenDrop, TooMuchCurrent


def run_once(path, data_dir, procedure):
    with Station.open(path) as station, open_catalog(data_dir) as catalog:
        record = run_procedure(procedure, station, catalog)
        truth = {"dc_current": station.bench.dc_current(),
                 "field_y": float(station.bench.lab_field()[1])}
    assert flush_all(30)  # messages leave from a background thread
    return record, truth


def test_a_failed_run_mails_the_run_the_error_and_the_safe_bench(mailbox, tmp_path):
    path = station_file(tmp_path, {"urls": [mailbox.url]})
    record, truth = run_once(path, tmp_path / "data", ReadResistance(points=5, fail_at=2))
    assert record.status == "failed"
    assert mailbox.logins == [True]  # the password came from the environment
    assert len(mailbox.messages) == 1
    subject, body = mailbox.subjects()[0], mailbox.bodies()[0]
    assert f"run {record.id} (ReadResistance) failed on sim-probe-station" in subject
    assert "RuntimeError: failed on purpose at point 2" in body
    assert "2 rows on disk" in body and record.file in body
    assert truth["dc_current"] == 0.0
    assert "Bench: safe:" in body and "source output off" in body
    assert "pulser channel 1 output off" in body and "stage 300.0 K" in body
    assert "field y +0.0" in body or "field y -0.0" in body


def test_the_secret_is_in_no_file_the_run_wrote(mailbox, tmp_path):
    path = station_file(tmp_path, {"urls": [mailbox.url], "on": ["end"]})
    record, _ = run_once(path, tmp_path / "data", ReadResistance(points=2))
    assert record.status == "finished" and len(mailbox.messages) == 1
    assert "finished" in mailbox.subjects()[0]
    assert files_containing(tmp_path, mailbox.password) == []
    assert files_containing(tmp_path / "data", PASSWORD_VARIABLE) == []


def test_a_make_safe_that_cannot_confirm_is_a_safety_message_naming_what_is_on(
        mailbox, tmp_path):
    path = station_file(tmp_path, {"urls": [mailbox.url]})
    record, truth = run_once(path, tmp_path / "data", FieldThenDrop(points=2, field_y=0.02))
    # the measurement went well, but a run whose shutdown was not confirmed is failed
    assert record.status == "failed" and "may still carry" in record.error
    assert truth["field_y"] == pytest.approx(0.02, abs=1e-3)  # the field really stayed on
    assert len(mailbox.messages) == 1
    subject, body = mailbox.subjects()[0], mailbox.bodies()[0]
    assert subject.startswith("labspin SAFETY: run")
    assert "bench not confirmed safe" in subject
    assert "NOT confirmed safe" in body
    assert "make-safe failed: magnet y (KepcoBOP3612 at GPIB0::2::INSTR) may still carry " \
        "0.4 A (about 20 mT)" in body
    assert "still on: field y +20" in body  # read from the y gaussmeter, which answers


def test_a_limit_refused_at_run_time_is_a_safety_message(mailbox, tmp_path):
    path = station_file(tmp_path, {"urls": [mailbox.url], "on": ["safety"]})
    record, truth = run_once(path, tmp_path / "data", TooMuchCurrent())
    assert record.status == "failed" and "max_current" in record.error
    assert truth["dc_current"] == 0.0
    assert mailbox.subjects() == [f"labspin SAFETY: run {record.id} (TooMuchCurrent) on "
                                  "sim-probe-station: limit refused"]
    assert "exceeds limits.max_current" in mailbox.bodies()[0]


def write_queue(tmp_path, station, notify=None, on_error="continue"):
    data = {"name": "night", "station": str(station), "steps": [
        {"procedure": "ReadResistance", "label": "fails",
         "sweep": [{"fail_at": {"values": [0, -1, 0, 0]}}], "on_error": on_error}]}
    if notify is not None:
        data["notify"] = notify
    path = tmp_path / "queue.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def run_queue_file(queue_path, data_dir):
    queue = load_queue_file(queue_path)
    config = load_station_file(queue.station)
    from labspin.safety import SafetyGuard

    plan = plan_queue(queue, str(queue_path), SafetyGuard(config.limits, config.sample,
                                                          config.name))
    with Station.open(queue.station) as station, open_catalog(data_dir) as catalog:
        return run_queue(plan, station, catalog)


def test_a_queue_sends_failures_up_to_its_cap_then_one_summary(
        mailbox, tmp_path, test_procedures):
    station = station_file(tmp_path)  # no notify in the station: the queue file's counts
    queue = write_queue(tmp_path, station, {"urls": [mailbox.url],
                                            "max_failure_messages": 2})
    outcome = run_queue_file(queue, tmp_path / "data")
    assert (outcome.finished, outcome.failed) == (1, 3)
    subjects, bodies = mailbox.subjects(), mailbox.bodies()
    assert len(subjects) == 3  # two failures, then the end
    assert all("failed" in s for s in subjects[:2])
    assert "run 1 of 4 (fails" in bodies[0] and "queue" in bodies[0]
    assert "last failure message of this queue" in bodies[1]
    assert subjects[2] == (f"labspin: queue {outcome.queue_id} 'night' finished with "
                           "failures: 1 of 4 finished, 3 failed")
    end = bodies[2]
    assert end.count("failed on purpose at point 0") == 3
    assert "(1 failure messages were held back" in end
    assert "Bench: safe:" in end


def test_a_queue_stopped_by_a_failure_says_how_to_resume(mailbox, tmp_path, test_procedures):
    station = station_file(tmp_path, {"urls": [mailbox.url], "on": ["failure"]})
    queue = write_queue(tmp_path, station, on_error="stop")
    outcome = run_queue_file(queue, tmp_path / "data")
    assert outcome.stopped_early
    assert len(mailbox.messages) == 2  # the failure, then the queue's end (it failed)
    assert f"labspin queue run {queue} --resume" in mailbox.bodies()[1]
    assert "0 finished now, 0 before, 1 failed, 3 not run." in mailbox.bodies()[1]


def test_a_literal_password_in_a_station_file_is_refused(tmp_path):
    path = station_file(tmp_path, {"urls": ["mailto://lab:hunter2@127.0.0.1?to=a@b.org"]})
    with pytest.raises(StationFileError) as info:
        load_station_file(path)
    message = str(info.value)
    assert "notify.urls" in message and "literal password" in message
    assert "${NAME}" in message and "hunter2" not in message


@pytest.mark.parametrize("url", ["ntfy://host/topic?token=abc123",
                                 "slack://user@host?webhook=xyz"])
def test_literal_tokens_in_query_are_refused(tmp_path, url):
    with pytest.raises(StationFileError, match="environment variable"):
        load_station_file(station_file(tmp_path, {"urls": [url]}))


def test_an_unset_variable_stops_the_queue_before_any_run(tmp_path, test_procedures,
                                                          monkeypatch):
    monkeypatch.delenv("LABSPIN_NOT_SET", raising=False)
    station = station_file(tmp_path)
    queue = write_queue(tmp_path, station, {"urls": ["mailto://lab:${LABSPIN_NOT_SET}@"
                                                     "127.0.0.1?to=a@b.org"]})
    with pytest.raises(NotifyConfigError) as info:
        run_queue_file(queue, tmp_path / "data")
    assert "LABSPIN_NOT_SET" in str(info.value) and "notify.urls[0]" in str(info.value)
    with open_catalog(tmp_path / "data") as catalog:
        assert catalog.query() == [] and catalog.latest_queue() is None


def test_an_unreachable_mail_server_does_not_stop_the_run(tmp_path, monkeypatch, caplog):
    from .conftest import free_port

    monkeypatch.setenv(PASSWORD_VARIABLE, "x")
    url = (f"mailto://lab:${{{PASSWORD_VARIABLE}}}@127.0.0.1:{free_port()}"
           "?from=a@b.org&to=c@d.org&mode=insecure")
    path = station_file(tmp_path, {"urls": [url]})
    with caplog.at_level(logging.WARNING, logger="labspin.notify"):
        record, _ = run_once(path, tmp_path / "data", ReadResistance(points=2, fail_at=1))
    assert record.status == "failed"
    assert any("not accepted" in r.getMessage() or "not sent" in r.getMessage()
               for r in caplog.records)


def test_labspin_run_mails_an_instrument_timeout_naming_the_instrument(mailbox, tmp_path):
    from click.testing import CliRunner

    from labspin.cli import main

    path = station_file(tmp_path, {"url": mailbox.url, "on": "failure"})
    data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    data["sim"]["faults"] = {"voltmeter": {"timeout_after": 40}}
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, [
        "run", "HallLoop", "--station", str(path), "--set", "field_step=20 mT",
        "--data-dir", str(tmp_path / "data")])
    assert flush_all(30)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(mailbox.messages) == 1
    body = mailbox.bodies()[0]
    assert "failed" in mailbox.subjects()[0]
    assert "'voltmeter' (Keithley2182 at GPIB0::7::INSTR) did not answer" in body
    assert "Bench: safe:" in body and "source output off" in body


def test_labspin_run_refuses_to_start_without_the_secret(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from labspin.cli import main

    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    url = f"mailto://lab:${{{PASSWORD_VARIABLE}}}@127.0.0.1?to=a@b.org"
    path = station_file(tmp_path, {"urls": [url]})
    result = CliRunner().invoke(main, ["run", "HallLoop", "--station", str(path),
                                       "--data-dir", str(tmp_path / "data")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert PASSWORD_VARIABLE in result.output and "not set" in result.output
    with open_catalog(tmp_path / "data") as catalog:
        assert catalog.query() == []


def test_a_refused_login_leaves_the_secret_in_no_file_or_log(mailbox, tmp_path,
                                                             test_procedures, monkeypatch):
    wrong = "wrong-" + mailbox.password
    monkeypatch.setenv(PASSWORD_VARIABLE, wrong)
    station = station_file(tmp_path)
    # a server that never answers a refused login: give up after 2 s (apprise's cto)
    queue = write_queue(tmp_path, station, {"urls": [mailbox.url + "&cto=2"],
                                            "max_failure_messages": 1})
    outcome = run_queue_file(queue, tmp_path / "data")
    assert outcome.failed == 3
    assert mailbox.messages == [] and mailbox.logins and not any(mailbox.logins)
    logs = list((tmp_path / "data" / "queues").glob("*.log"))
    assert logs and "not accepted" in logs[0].read_text()
    assert files_containing(tmp_path, wrong) == []


def test_the_readme_notify_section_loads_as_written():
    """YAML 1.1 reads a bare ``on`` as the boolean true: README's ``on: [failure, ...]``
    was refused ("Keys should be strings") until the loader kept to YAML 1.2 booleans.
    The block is taken from README itself, so the documented text is what is tested."""
    import re
    from pathlib import Path

    from labspin.configfiles import load_yaml_text
    from labspin.notify_settings import NotifySettings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)
                 if b.startswith("notify:"))
    assert "\n  on: [" in block  # unquoted, as a user writes it
    section = load_yaml_text(block, "README", ValueError)["notify"]
    settings = NotifySettings.model_validate(section)
    assert settings.on == ["failure", "safety", "end"]
    assert settings.max_failure_messages == 10
