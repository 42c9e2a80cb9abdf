"""Imports that never lose data silently (issue 14 part 1), with real .csv (UTF-8, GB18030) and
.xlsx files: every cell checked, every problem of a file in one report, changes shown field by
field (and only previewed in a dry run), blank cells that never erase, the clear marker, unique
certificates, one 403, the file named once in the reason. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli import main as drawledger
from api.importing import import_file
from ledger.application import LedgerApp
from ledger.errors import Forbidden
from ledger.registry.inspectors import Inspector, inspector_id
from ledger.registry.targets import Target, target_id

from .test_import_support import (
    TARGET_HEADERS_ZH,
    bureau,
    count_events,
    credit_code,
    csv_bytes,
    target_row,
    xlsx_bytes,
)

INSPECTOR_HEADERS = ["编号", "姓名", "执法证号", "执法证有效期至", "单位", "处室", "执法资格"]


@pytest.fixture
def registry(ledger):
    return bureau(ledger)


def _file(headers, rows, form):
    """The rows as a real file: CSV in UTF-8 or GB18030, or an .xlsx workbook."""
    if form == "xlsx":
        return xlsx_bytes(headers, rows)
    return csv_bytes(headers, rows, form)


FORMS = ["utf-8", "gb18030", "xlsx"]


def _import(registry, kind, data, by=None, **kwargs):
    return import_file(registry, kind, data, by=by, source="t.csv", **kwargs)


def _target(registry, n):
    return registry.app.get(target_id("enterprise", credit_code(n)), Target)


@pytest.mark.parametrize("form", FORMS)
def test_validity_dates_are_checked_though_the_permit_number_is_empty(registry, form):
    rows = [
        target_row(1, permit_number="", permit_valid_from="2026-13-01", permit_valid_until=""),
        target_row(2, permit_valid_from="2028-01-01", permit_valid_until="2027-12-31"),
        target_row(3, permit_number="", permit_valid_from="", permit_valid_until="2029-12-31"),
        target_row(4),
    ]
    before = count_events(registry.app)

    report = _import(registry, "targets", _file(TARGET_HEADERS_ZH, rows, form))

    found = {(p.row, p.column, p.value) for p in report.problems}
    assert (2, "许可有效期起", "2026-13-01") in found  # the invalid date, though no number
    assert (3, "许可有效期起", "2028-01-01") in found  # starts after it ends
    assert (4, "许可证号", None) in found  # dates without a number
    messages = {p.row: p.message for p in report.problems}
    assert "YYYY-MM-DD" in messages[2] and "starts after it ends" in messages[3]
    assert report.refused and report.recorded == 0
    assert count_events(registry.app) == before  # row 5 was good: still nothing recorded


@pytest.mark.parametrize("form", FORMS)
def test_format_and_reference_problems_come_in_one_report(registry, form):
    rows = [target_row(1, credit_class="E", division="nosuch", items="hdjs,nosuch-item")]
    report = _import(registry, "targets", _file(TARGET_HEADERS_ZH, rows, form))
    assert sorted((p.column, p.value) for p in report.problems) == [
        ("信用等级", "E"),
        ("抽查事项", "nosuch-item"),
        ("责任处室", "nosuch"),
    ]

    roster = [["i-1", "赵六", "C-1", "2029-02-30", "nounit", "gqc", "hdjs,nosuch-item"]]
    report = _import(registry, "inspectors", _file(INSPECTOR_HEADERS, roster, form))
    assert sorted((p.column, p.value) for p in report.problems) == [
        ("单位", "nounit"),
        ("执法证有效期至", "2029-02-30"),
        ("执法资格", "nosuch-item"),
    ]
    assert all(p.row == 2 for p in report.problems)


@pytest.mark.parametrize("form", FORMS)
def test_blank_cells_never_erase_and_the_marker_empties_a_field(registry, form):
    _import(registry, "targets", _file(TARGET_HEADERS_ZH, [target_row(1)], form))
    stored = _target(registry, 1)
    blank = target_row(
        1, grid="", permit_number="", permit_valid_from="", permit_valid_until="", risk_flags=""
    )
    before = count_events(registry.app)

    # The attack: a clerk's file with blank cells, imported with skip_invalid.
    report = _import(
        registry, "targets", _file(TARGET_HEADERS_ZH, [blank], form), skip_invalid=True
    )

    assert (report.unchanged, report.updated, report.changes) == (1, 0, [])
    assert count_events(registry.app) == before
    kept = _target(registry, 1)
    assert (kept.grid, kept.permit, kept.risk_flags) == (
        stored.grid,
        stored.permit,
        stored.risk_flags,
    )

    cleared = target_row(
        1,
        grid="<清空>",
        permit_number="<clear>",
        permit_valid_from="<clear>",
        permit_valid_until="<clear>",
        risk_flags="<清空>",
    )
    report = _import(registry, "targets", _file(TARGET_HEADERS_ZH, [cleared], form))
    assert report.updated == 1
    assert sorted((c.column, repr(c.after)) for c in report.changes) == [
        ("permit", "None"),
        ("网格", "None"),
        ("风险标记", "[]"),
    ]
    after = _target(registry, 1)
    assert (after.grid, after.permit, after.risk_flags) == (None, None, [])


def test_a_dry_run_lists_each_change_field_by_field_and_records_nothing(registry):
    _import(registry, "targets", _file(TARGET_HEADERS_ZH, [target_row(1), target_row(2)], "xlsx"))
    edited = [target_row(1, address="常州市天宁区某路8号", credit_class="C"), target_row(2)]
    data = _file(TARGET_HEADERS_ZH, edited, "gb18030")
    before = count_events(registry.app)

    preview = _import(registry, "targets", data, dry_run=True)

    assert preview.dry_run and (preview.updated, preview.unchanged) == (1, 1)
    assert sorted((c.row, c.column, c.before, c.after) for c in preview.changes) == [
        (2, "信用等级", "B", "C"),
        (2, "地址", "江苏省常州市新北区滨河路1号", "常州市天宁区某路8号"),
    ]
    assert "would record" in preview.summary()
    assert count_events(registry.app) == before
    assert _target(registry, 1).credit_class == "B"

    done = _import(registry, "targets", data)
    assert done.changes == preview.changes and not done.dry_run
    assert _target(registry, 1).credit_class == "C"


def test_a_dry_run_of_a_new_individual_keeps_no_personal_data(registry):
    row = target_row(9, code="320404199001011234", name="张某", kind="个人")
    from ledger.registry.personal_data import TABLE

    preview = _import(registry, "targets", _file(TARGET_HEADERS_ZH, [row], "utf-8"), dry_run=True)
    assert preview.recorded == 1
    with registry.app.recorder.datastore.transaction(commit=False) as c:
        c.execute(f"SELECT COUNT(*) AS n FROM {TABLE}")
        assert c.fetchone()["n"] == 0


@pytest.mark.parametrize("form", FORMS)
def test_certificate_numbers_are_unique(registry, form):
    roster = [["i-1", "赵六", "C-1", "2029-06-30", "szy", "gqc", "hdjs"]]
    assert not _import(registry, "inspectors", _file(INSPECTOR_HEADERS, roster, form)).problems
    twice = [
        ["i-2", "钱七", "C-1", "2029-06-30", "szy", "gqc", "hdjs"],  # i-1's certificate
        ["i-3", "孙八", "C-3", "2029-06-30", "szy", "gqc", "hdjs"],
        ["i-4", "李九", "C-3", "2029-06-30", "szy", "gqc", "hdjs"],  # row 3's certificate
    ]
    report = _import(registry, "inspectors", _file(INSPECTOR_HEADERS, twice, form))
    messages = {p.row: p.message for p in report.problems}
    assert "certificate of inspector i-1" in messages[2]
    assert "row 3" in messages[4]
    assert report.recorded == 0
    # The holder may still re-import their own row unchanged.
    again = _import(registry, "inspectors", _file(INSPECTOR_HEADERS, roster, form))
    assert (again.problems, again.unchanged) == ([], 1)
    assert registry.app.get(inspector_id("i-1"), Inspector).certificate["number"] == "C-1"


def test_a_huge_cell_is_quoted_by_a_short_prefix(registry):
    row = target_row(1, name="长" * 30_000)  # beyond 32,767: the file is refused (limits)
    report = _import(registry, "targets", _file(TARGET_HEADERS_ZH, [row], "utf-8"))
    (problem,) = report.problems
    assert problem.column == "名称" and "longer than 200" in problem.message
    assert len(problem.value) <= 41 and problem.value.endswith("…")
    assert len(str(report.to_json())) < 2000


def test_the_recorded_reason_names_the_file_once(registry):
    _import(registry, "targets", _file(TARGET_HEADERS_ZH, [target_row(1)], "utf-8"))
    edited = csv_bytes(TARGET_HEADERS_ZH, [target_row(1, grid="G-99")])
    import_file(registry, "targets", edited, by=None, source="t_good2.csv")
    (event,) = [e for _, e in registry.app.records(topics=["target.updated"])]
    payload = event.envelope["payload"]
    assert (payload["reason"], payload["source"]) == ("import from t_good2.csv", "t_good2.csv")


def test_an_official_without_the_right_gets_one_403_for_the_whole_file(registry):
    registry.register_official(
        {"code": "auditor-1", "name": "审计", "division": "szc", "roles": "auditor"}, None
    )
    client = TestClient(create_app(registry.app))
    token = registry.issue_token("auditor-1", None)
    rows = [target_row(n) for n in range(1, 30)] + [target_row(40, credit_class="E")]
    before = count_events(registry.app)

    response = client.post(
        "/imports/targets",
        files={"file": ("t.csv", csv_bytes(TARGET_HEADERS_ZH, rows))},
        headers={"Authorization": f"Bearer {token}"},
        params={"skip_invalid": "true"},
    )

    assert response.status_code == 403, response.text
    body = response.json()
    assert body["detail"].count("无权登记或更正检查对象（target.write）") == 1
    assert "problems" not in body
    assert count_events(registry.app) == before
    with pytest.raises(Forbidden):
        _import(registry, "items", b"x", by="auditor-1")  # before its header or rows are checked


def test_the_api_previews_an_import_with_dry_run(registry):
    client = TestClient(create_app(registry.app))
    clerk = {"Authorization": f"Bearer {registry.issue_token('clerk-gqc', None)}"}
    first = csv_bytes(TARGET_HEADERS_ZH, [target_row(1)], "gb18030")
    assert (
        client.post("/imports/targets", files={"file": ("t.csv", first)}, headers=clerk).json()[
            "recorded"
        ]
        == 1
    )
    edited = csv_bytes(TARGET_HEADERS_ZH, [target_row(1, grid="G-99")], "gb18030")
    before = count_events(registry.app)

    response = client.post(
        "/imports/targets",
        files={"file": ("t.csv", edited)},
        headers=clerk,
        params={"dry_run": "true"},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and body["updated"] == 1
    assert body["changes"] == [
        {
            "row": 2,
            "code": credit_code(1),
            "field": "grid",
            "column": "网格",
            "before": "G-07",
            "after": "G-99",
        }
    ]
    assert count_events(registry.app) == before


def test_the_cli_dry_run_prints_the_changes_and_records_nothing(tmp_path, capsys):
    data = str(tmp_path / "ledger")
    assert drawledger(["init", "--data", data]) == 0
    bureau(LedgerApp.open(tmp_path / "ledger"))
    first = tmp_path / "t.csv"
    first.write_bytes(csv_bytes(TARGET_HEADERS_ZH, [target_row(1)], "gb18030"))
    assert (
        drawledger(
            [
                "import",
                "targets",
                str(first),
                "--data",
                data,
                "--on-request-of",
                "clerk-gqc",
                "--request-ref",
                "各处室报送名录的函",
            ]
        )
        == 0
    )
    first.write_bytes(csv_bytes(TARGET_HEADERS_ZH, [target_row(1, grid="G-99")], "gb18030"))
    app = LedgerApp.open(tmp_path / "ledger")
    before = count_events(app)
    capsys.readouterr()

    assert (
        drawledger(
            [
                "import",
                "targets",
                str(first),
                "--data",
                data,
                "--dry-run",
                "--on-request-of",
                "clerk-gqc",
                "--request-ref",
                "各处室报送名录的函",
            ]
        )
        == 0
    )

    out = capsys.readouterr().out
    assert f"将变更：第 2 行，{credit_code(1)}：网格 'G-07' → 'G-99'" in out
    assert "试运行，未记录任何内容" in out
    assert count_events(LedgerApp.open(tmp_path / "ledger")) == before


def test_import_help_points_at_the_documentation_and_the_template(capsys):
    with pytest.raises(SystemExit):
        drawledger(["import", "--help"])
    out = capsys.readouterr().out
    assert "docs/IMPORT.md" in out and "drawledger template" in out
    assert ".py" not in out


def test_an_entry_edited_in_the_database_refuses_the_import_that_reads_it(registry, new_ledger):
    from ledger.errors import TamperedEvent
    from ledger.registry.service import Registry
    from tests.tamper.bundle_edits import with_payload_keeping_signature
    from tests.tamper.test_store_tampering import _drop_append_only_triggers, _execute

    app = registry.app
    data = csv_bytes(TARGET_HEADERS_ZH, [target_row(1), target_row(2)])
    _import(registry, "targets", data)
    stored = next(iter(app.notifications(topics=["target.registered"])))
    edited = with_payload_keeping_signature(stored.state, grid="G-00")
    _drop_append_only_triggers(app)
    _execute(
        app, f"UPDATE {app.events_table} SET state = ? WHERE state = ?", (edited, stored.state)
    )
    restarted = new_ledger()  # nothing read before is trusted
    size = restarted.recorder.max_notification_id()

    with pytest.raises(TamperedEvent, match="signature"):
        _import(Registry(restarted), "targets", data)
    assert restarted.recorder.max_notification_id() == size


@pytest.mark.parametrize("form", FORMS)
def test_an_individuals_new_name_is_refused_and_a_dropped_address_is_said(registry, form):
    person = dict(code="320404199001011234", name="张某", kind="个人", legal_representative="")
    first = target_row(9, **person, address="")
    assert _import(registry, "targets", _file(TARGET_HEADERS_ZH, [first], form)).recorded == 1

    renamed = target_row(9, **{**person, "name": "张某某"}, address="")
    report = _import(registry, "targets", _file(TARGET_HEADERS_ZH, [renamed], form))
    assert [(p.row, p.column) for p in report.problems] == [(2, "名称")]
    assert "recorded name '张某'" in report.problems[0].message
    with_address = target_row(9, **person, address="常州市某小区1栋")
    report = _import(registry, "targets", _file(TARGET_HEADERS_ZH, [with_address], form))
    assert "row 2: address is not kept for an individual" in " ".join(report.warnings)
    again = _import(registry, "targets", _file(TARGET_HEADERS_ZH, [first], form))
    assert (again.problems, again.unchanged) == ([], 1)
