"""``labspin fit`` reads at 80 columns: run, verdict and quantities as columns, each
quantity with its error on one line, and the notes under the table as prose."""

from click.testing import CliRunner

from labspin.cli import main


def test_the_fit_table_reads_at_80_columns(every_kind):
    files = [str(every_kind[role]) for role in ("switching", "angle_scan", "sequence")]
    result = CliRunner().invoke(main, ["fit", *files, "--workers", "1"],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert not [line for line in lines if len(line.rstrip()) > 80]
    header = next(line for line in lines if line.startswith("run "))
    assert header.split() == ["run", "verdict", "quantities"], result.output
    for name in ("I_c+", "I_c-", "J_c-", "R_PHE", "A(B_low)", "ΔR"):
        line = next((line for line in lines if f"{name} = " in line), result.output)
        # the value, "±" and the error with its unit, whole on one line
        assert line.rstrip().endswith(("A", "A/m²", "V", "Ω")) and " ± " in line, line
    end = max(k for k, line in enumerate(lines) if " = " in line)
    notes = [line for line in lines[end + 1:] if line.startswith("  0")]
    assert notes, result.output  # e.g. the pulse sequence's levels, under the table
    assert lines[-1].startswith("verdicts: ")
