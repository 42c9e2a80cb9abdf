"""The water bureau the import tests work in, and files to import (no tests here).

Two business divisions (工管处 ``gqc`` and 河湖处 ``hhc``), the aggregator 水政处 ``szc``, the
service centre ``szy``; two items; a clerk of each business division.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from ledger.registry.service import Registry
from verify.uscc import check_character

TARGET_HEADERS_ZH = [
    "统一社会信用代码", "名称", "类型", "法定代表人", "地址", "所属区", "网格", "责任处室",
    "抽查事项", "许可证号", "许可有效期起", "许可有效期至", "信用等级", "风险标记",
]  # fmt: skip
TARGET_HEADERS_EN = [
    "code", "name", "kind", "legal_representative", "address", "district", "grid", "division",
    "items", "permit_number", "permit_valid_from", "permit_valid_until", "credit_class",
    "risk_flags",
]  # fmt: skip


def credit_code(n: int) -> str:
    """A valid unified social credit code (GB 32100 check character computed)."""
    first17 = f"91320400MA{n:07d}"
    return first17 + check_character(first17)


def bad_credit_code(n: int) -> str:
    code = credit_code(n)
    wrong = "0" if code[-1] != "0" else "1"
    return code[:-1] + wrong


def target_row(n: int, division: str = "gqc", **changes: Any) -> list[str]:
    """A target row in the layout's column order (TARGET_HEADERS_*)."""
    row = {
        "code": credit_code(n),
        "name": f"常州市第{n}水利工程有限公司",
        "kind": "企业",
        "legal_representative": "王芳",
        "address": f"江苏省常州市新北区滨河路{n}号",
        "district": "新北区",
        "grid": "G-07",
        "division": division,
        "items": "hdjs" if division == "gqc" else "hhgl",
        "permit_number": f"常水许〔2024〕{n}号",
        "permit_valid_from": "2024-01-01",
        "permit_valid_until": "2029-12-31",
        "credit_class": "B",
        "risk_flags": "投诉举报多",
    }
    row.update(changes)
    return [row[h] for h in TARGET_HEADERS_EN]


def csv_bytes(headers: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def build_bureau(registry: Registry) -> None:
    for code, name, kind in [
        ("szc", "水政处", "aggregator"),
        ("gqc", "工管处", "business_division"),
        ("hhc", "河湖处", "business_division"),
        ("szy", "水资源服务中心", "service_centre"),
    ]:
        registry.add_division({"code": code, "name": name, "kind": kind}, None)
    # The operator registers the clerks (its own act); each clerk lists their division's item.
    for code, division in [("clerk-gqc", "gqc"), ("clerk-hhc", "hhc")]:
        registry.register_official(
            {"code": code, "name": f"{division}办事员", "division": division, "roles": "clerk"},
            None,
        )
    for code, name, division in [("hdjs", "河道管理范围内建设项目检查", "gqc"),
                                 ("hhgl", "河湖管理检查", "hhc")]:  # fmt: skip
        registry.register_item(
            {
                "code": code,
                "name": name,
                "law": "中华人民共和国河道管理条例",
                "article": "第十一条",
                "division": division,
                "executing_units": f"{division},szy",
                "object_type": "建设单位",
                "checklist": "审批手续；施工方案",
                "method": "on_site",
            },
            f"clerk-{division}",
        )


# What these tests' bureau lets the ledger's operator record on its own: besides the default
# acts, the registries (a bureau may keep them so; the verifier judges each act by it), so that
# a test can import a file of several divisions' rows without an official of each.
OPERATOR_KEEPS_REGISTRIES = ["target.write", "inspector.write", "item.write"]


def operator_keeps_registries(registry: Registry) -> None:
    """Record (by an admin the operator registers) a policy version that lets the operator
    write the registries on its own (``OPERATOR_KEEPS_REGISTRIES``)."""
    from ledger.policies import Policies
    from verify.authority_rules import operator_acts

    app = registry.app
    admin = {"code": "admin-bgs", "name": "管理员", "division": "szc", "roles": "admin"}
    registry.register_official(admin, None)
    in_force = app.policy_in_force()
    alone, on_request = operator_acts(in_force)
    authority = {
        **in_force.get("authority", {}),
        "operator": [*alone, *OPERATOR_KEEPS_REGISTRIES],
        "operator_on_request": [a for a in on_request if a not in OPERATOR_KEEPS_REGISTRIES],
    }
    document = {**in_force, "version": "operator-keeps-registries", "authority": authority}
    Policies(app).set(document, "admin-bgs", "运维人员代为维护名录库（测试）")


def bureau(ledger: Any) -> Registry:
    """The bureau's registry on a ledger (for a test module's ``registry`` fixture), whose
    policy lets the operator write the registries (``operator_keeps_registries``)."""
    registry = Registry(ledger)
    build_bureau(registry)
    operator_keeps_registries(registry)
    return registry


def count_events(app: Any, topic: str | None = None) -> int:
    return sum(1 for _ in app.notifications(topics=[topic] if topic else None))
