"""``jiuye policy calculate | schema | params | run``: output and exit codes."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jiuye.policies.api.catalogue import schema_markdown
from jiuye.policies.inputs import SCHEMA
from jiuye.policies.management.commands.policy import Command
from jiuye.policies.rules import all_policies

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
GRADUATE = str(EXAMPLES / "graduate-small-firm.json")
QUWO = "141021000000"


def run(*args) -> str:
    out = io.StringIO()
    call_command("policy", *args, stdout=out)
    return out.getvalue()


def run_argv(capsys, *args) -> tuple[int, str, str]:
    """As from a shell: parse ``argv``, print errors to stderr, exit with a status. (It closes
    the database connections afterwards, so only for tests that use no database.)"""
    try:
        Command().run_from_argv(["jiuye", "policy", *args])
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_calculate_prints_a_table_per_policy_and_subject():
    out = run("calculate", GRADUATE, "--language", "en")
    assert out.startswith("Policy calculator · as of 2025-10-10\n")
    block = out.split("■ One-off job-expansion subsidy（expansion_subsidy）")[1].split("■")[0]
    assert "no application needed · Unemployment insurance fund" in block
    assert "person p1 → paid to employer e1: Eligible · 1,500.00 yuan" in block
    conditions = all_policies()["expansion_subsidy"].conditions
    assert block.count("    ✓ ") == len(conditions)
    assert (
        "✓ Unemployment, work-injury and pension insurance paid for the required months"
        "（Months paid: unemployment 3, work injury 3, pension 3; required 3）" in block
    )
    assert "expansion_subsidy.amount = 1500（2022-07-01 – 2025-12-31；人社部发〔2022〕41号" in block


def test_a_failed_condition_is_a_cross(tmp_path):
    situation = json.loads(Path(GRADUATE).read_text(encoding="utf-8"))
    situation["hires"][0]["pension_months_after"] = 1
    path = tmp_path / "s.json"
    path.write_text(json.dumps(situation), encoding="utf-8")
    out = run("calculate", str(path), "--policy", "expansion_subsidy", "--language", "en")
    assert "person p1 → paid to employer e1: Not eligible\n" in out
    assert "    ✗ Unemployment, work-injury and pension insurance" in out
    assert "pension 1; required 3" in out


def test_calculate_is_chinese_by_default():
    with translation.override("zh-hans"):
        default = run("calculate", GRADUATE, "--policy", "expansion_subsidy")
        assert default == run(
            "calculate", GRADUATE, "--policy", "expansion_subsidy", "--language", "zh-hans"
        )
    english = run("calculate", GRADUATE, "--policy", "expansion_subsidy", "--language", "en")
    assert default != english
    assert "人员 p1" in default  # "person", already in the catalogue


def test_only_the_chosen_policies(tmp_path):
    out = run("calculate", GRADUATE, "--policy", "expansion_subsidy", "--language", "en")
    assert out.count("■ ") == 1
    assert "Nobody in the situation concerns" not in out


def test_policies_without_records_are_listed_on_one_line():
    out = run("calculate", str(EXAMPLES / "older-unemployed-woman.json"), "--language", "en")
    last = out.strip().splitlines()[-1]
    assert last.startswith("Nobody in the situation concerns: ")
    assert "（expansion_subsidy）" in last  # no hire in the situation


def test_json_is_the_api_answer(staff, client_for):
    out = run("calculate", GRADUATE, "--json")
    response = client_for(staff["county_operator"]).post(
        "/api/policies/calculate",
        Path(GRADUATE).read_bytes(),
        content_type="application/json",
    )
    assert json.loads(out) == response.json()
    assert list(json.loads(out)["policies"][0]) == list(response.json()["policies"][0])


def test_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(Path(GRADUATE).read_text(encoding="utf-8")))
    out = run("calculate", "-", "--json", "--policy", "expansion_subsidy")
    assert json.loads(out)["policies"][0]["results"][0]["amount"] == 1500


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Cannot read"),
        ('{"as_of": "2025-01-01", ', "not valid JSON (line 1, column"),
        ("", "The situation is empty"),
        ('{"as_of": "2025-01-01", "people": [{"id": 1, "birth_date": "1990-02-30"}]}',
         "people[0].birth_date: '1990-02-30' is not a valid date"),
        ('{"as_of": "2025-01-01", "people": [{"id": 1, "sex": 1, "graduate": "yes"}]}',
         "people[0].graduate: 'yes' is not a valid bool"),
        ('{"people": []}', "as_of: required"),
    ],
)  # fmt: skip
def test_bad_files_exit_1_with_a_clear_message(tmp_path, capsys, content, message):
    path = tmp_path / "situation.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with translation.override("en"):
        code, out, err = run_argv(capsys, "calculate", str(path), "--language", "en")
    assert code == 1
    assert out == ""
    assert message in err
    assert str(path) in err
    assert "Traceback" not in err


def test_unknown_policy_exits_1(capsys):
    code, _out, err = run_argv(capsys, "calculate", GRADUATE, "--policy", "nope")
    assert code == 1 and "policies: unknown policy code(s): nope" in err


def test_good_file_exits_0(capsys):
    code, out, err = run_argv(capsys, "calculate", GRADUATE, "--language", "en")
    assert code == 0 and err == ""
    assert "Eligible · 1,500.00 yuan" in out


def test_schema_markdown_is_the_generated_tables():
    out = run("schema", "--markdown")
    assert out == schema_markdown()
    for entity, columns in SCHEMA.items():
        for column in columns:
            assert f"| `{column.name}` |" in out, (entity, column.name)


def test_schema_text_and_json():
    text = run("schema")
    assert "people (person)" in text and "birth_date" in text
    data = json.loads(run("schema", "--json"))
    assert [e["entity"] for e in data["entities"]] == list(SCHEMA)
    assert "json_schema" in data


def test_params_of_one_policy():
    out = run("params", "expansion_subsidy", "--language", "en")
    assert out.startswith("One-off job-expansion subsidy（expansion_subsidy）\n")
    assert "  expansion_subsidy.min_insured_months (months)\n" in out
    assert "    1  2022-07-01 – 2023-12-31  人社部发〔2022〕41号" in out
    assert "    3  2024-01-01 – 2025-12-31  2024—2025年扩岗补助政策" in out
    assert "Shared parameters it reads" in out and "blacklist.blocks_subsidies" in out


def test_params_marks_unconfirmed_values():
    out = run("params", "--language", "en")
    line = next(x for x in out.splitlines() if "retirement.default_female_category" in x)
    assert "[UNCONFIRMED]" in line
    line = next(x for x in out.splitlines() if x.strip().startswith("working_age.minimum"))
    assert "UNCONFIRMED" not in line


def test_params_of_an_unknown_policy():
    with pytest.raises(CommandError, match="Unknown policy nope"):
        run("params", "nope", "--language", "en")


def test_run_checks_its_arguments(staff):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run(
            "run",
            "--user",
            "qw_operator",
            "--as-of",
            "10/10/2025",
            "--region",
            QUWO,
            "--language",
            "en",
        )
    with pytest.raises(CommandError, match="No active user"):
        run(
            "run", "--user", "nobody", "--as-of", "2025-10-10", "--region", QUWO, "--language", "en"
        )
    with pytest.raises(CommandError, match="Unknown policy"):
        run(
            "run", "--user", "qw_operator", "--as-of", "2025-10-10", "--region", QUWO,
            "--policy", "nope", "--language", "en",
        )  # fmt: skip


def test_run_outside_the_users_region_is_refused(staff):
    # call_command, not run_from_argv: that closes the database connection the test runs in.
    with pytest.raises(CommandError):
        run("run", "--user", "qw_operator", "--as-of", "2025-10-10", "--region", "141081000000")
    from jiuye.policies.models import PolicyRun

    assert not PolicyRun.objects.exists()


def test_run_prints_counts_and_timings(staff, person_factory):
    from jiuye.policies.models import PolicyRun

    person_factory("王芳", birth=datetime.date(1981, 3, 12), female=True)
    out = run(
        "run", "--user", "qw_operator", "--as-of", "2025-10-10", "--region", QUWO,
        "--policy", "expansion_subsidy", "--policy", "difficulty_recognition",
        "--language", "en",
    )  # fmt: skip
    row = PolicyRun.objects.get()
    lines = out.splitlines()
    assert lines[0] == f"Run {row.pk} (Done): as of 2025-10-10, region {QUWO}"
    assert set(row.counts) == {"expansion_subsidy", "difficulty_recognition"}
    for code, counts in row.counts.items():
        (line,) = [x for x in lines if f"（{code}）: " in x]
        assert f"eligible {counts['eligible']}" in line
        assert f"candidates {counts['candidates']}" in line
    (timings,) = [x for x in lines if x.strip().startswith("Timings: ")]
    assert f"total {row.timings['total']:.2f} s" in timings


@pytest.mark.django_db
def test_tick_sends_queued_notices(capsys):
    from django.core.management import call_command

    from jiuye.policies.models import Notice, NoticeChannel, NoticeStatus

    Notice.objects.create(
        policy="expansion_subsidy",
        subject_type="person",
        subject_id=1,
        period="once",
        channel=NoticeChannel.SMS,
        region_code="141021100200",
        recipient="13800000000",
        title="t",
        body="b",
    )
    call_command("policy", "tick", "--language", "en")
    assert "Notices sent: 1, failed: 0; public notices closed: 0" in capsys.readouterr().out
    assert Notice.objects.get().status == NoticeStatus.SENT
