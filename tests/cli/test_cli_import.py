"""`aftercare import FILE.csv`: exit codes, reported lines, kept rows, re-import."""

import pytest

HEADER = "clinic,name,phone,treatment_at,area,status,booking_id"


@pytest.fixture
def glow(cli):
    result = cli(
        "clinic", "add", "--slug", "glow", "--name", "Glow", "--timezone", "America/New_York", "--phone", "+12125550100"
    )
    assert result.exit_code == 0, result.output


def write(tmp_path, *rows, name="export.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_clean_file_exits_0_and_a_second_import_adds_nothing(cli, glow, row_counts, tmp_path):
    path = write(
        tmp_path,
        "glow,Ana Diaz,2125550123,2024-05-01 14:00,face,done,B-1",
        "glow,Bea 🌸,2125550124,2024-05-02 10:00,,,",
    )
    result = cli("import", str(path))
    assert result.exit_code == 0, result.output
    assert "2 rows: 2 treatments added, 0 updated, 0 already there, 0 rejected; 2 new clients" in result.stdout
    assert "importing export.csv" in result.stderr  # the progress bar's label
    counts = row_counts()
    assert (counts["clients"], counts["treatments"]) == (2, 2)

    again = cli("import", str(path))
    assert again.exit_code == 0
    assert "2 already there" in again.stdout
    assert row_counts() == counts


def test_rejected_rows_exit_1_are_listed_and_good_rows_kept(cli, glow, row_counts, tmp_path):
    path = write(
        tmp_path,
        "glow,Ana Diaz,2125550123,2024-05-01 14:00,,,",
        "nope,Bea,2125550124,2024-05-01 14:00,,,",
        'glow,"Cy,2125550125,2024-05-01 14:00,,,',
        f"glow,{'x' * 10_000},2125550126,2024-05-01 14:00,,,",
        "glow,Dee,2125550127,2999-01-01 10:00,,done,",
        "glow,Eve,2125550128,2024-05-01 14:00,,booked,B-7",
    )
    result = cli("import", str(path))
    assert result.exit_code == 1
    rejected = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in rejected] == ["line 3", "line 4", "line 5", "line 6"]
    assert "unknown clinic 'nope'" in rejected[0]
    assert "broken CSV" in rejected[1]
    assert "name is too long" in rejected[2] and len(rejected[2]) < 400
    assert "future" in rejected[3]
    assert "6 rows: 2 treatments added, 0 updated, 0 already there, 4 rejected; 2 new clients" in result.stdout
    counts = row_counts()
    assert (counts["clients"], counts["treatments"]) == (2, 2)


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "the file is empty"),
        (b"glow,Ana,2125550123,2024-05-01 14:00\n", "must be the header"),
        (b"clinic,name,phone\n", "lacks treatment_at"),
        ("clinic,name,phone,treatment_at\nglow,Zoë,2125550123,2024-05-01 14:00\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_an_unusable_file_exits_2_with_one_line(cli, glow, row_counts, tmp_path, one_line_error, content, fragment):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = row_counts()
    assert fragment in one_line_error(cli("import", str(path)))
    assert row_counts() == before


def test_a_missing_file_exits_2(cli, tmp_path, one_line_error, row_counts):
    assert "cannot read" in one_line_error(cli("import", str(tmp_path / "nope.csv")))
    assert set(row_counts().values()) == {0}


def test_a_header_only_file_is_fine(cli, glow, tmp_path):
    result = cli("import", str(write(tmp_path)))
    assert result.exit_code == 0
    assert "0 rows" in result.stdout
