"""A queue run whose output goes to a file (a night under nohup) has no live progress
bar to read: it says each run as it ends, with its rows and file."""

import re
from pathlib import Path

from click.testing import CliRunner

from labspin.cli import main

QUEUE = """name: two
steps:
  - procedure: HallLoop
    parameters: {field_axis: z, field_max: 10 mT, field_step: 5 mT, settle_time: 10 ms}
    sweep:
      - read_current: {values: [0.1 mA, 0.2 mA]}
"""


def test_each_finished_run_is_a_line_when_the_output_is_not_a_terminal(tmp_path):
    queue = tmp_path / "q.yaml"
    queue.write_text(QUEUE, encoding="utf-8")
    result = CliRunner().invoke(main, ["queue", "run", str(queue), "--sim", "--data-dir",
                                       str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    lines = re.findall(r"^run (\d+) \(queue run (\d) of 2, HallLoop\): finished, 10 rows "
                       r"→ (\S+\.csv)$", result.output, flags=re.M)
    assert [(a, b) for a, b, _ in lines] == [("1", "1"), ("2", "2")], result.output
    assert all(Path(f).is_file() and Path(f).is_relative_to(tmp_path / "d")
               for _, _, f in lines)
