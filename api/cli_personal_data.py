"""``drawledger personal-data erase REF``: erase an individual's personal data (个人信息保护法).

REF is the individual's pseudonymous reference (``person-…``, as the registry and the column
show it) or their ID number (the reference is computed from it; the number is not kept). The
erasure is recorded as a signed ``target.personal_data_erased`` event with its reason and
source; the personal-data row is deleted. The legal office acts with its credential (``--as
CODE --token-file F``); the ledger's operator only on the person's written request
(``--on-request-of``), as the policy lets it.
"""

from __future__ import annotations

import argparse

from .cli_common import acting, add_data_and_acting, open_ledger

DESCRIPTION = (
    "删除个人的个人信息（个人信息保护法）。REF 是该个人的化名编号（person-…，即名录和公示栏"
    "显示的编号）或其身份证号码（由号码算出编号；号码不予保存）。删除行为记为签名的 "
    "target.personal_data_erased 事件，附其理由和来源；个人信息行被删除。法制处以其凭据"
    "办理（--as CODE --token-file F）；账本运营方只能依本人的书面请求（--on-request-of）、"
    "在制度允许时办理。"
)


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``personal-data`` subcommands to the drawledger parser."""
    p = sub.add_parser("personal-data", help="个人的个人信息：删除（个人信息保护法）")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser(
        "erase",
        help="删除个人检查对象的个人信息；删除行为记入账本",
        description=DESCRIPTION,
    )
    a.add_argument("ref", metavar="REF", help="person-… 编号，或本人身份证号码")
    add_data_and_acting(a)
    a.add_argument("--reason", required=True, help="理由（申请或法律依据）；记入账本")
    a.add_argument("--source", required=True, help="申请的文号（函件、案号）")
    a.set_defaults(func=cmd_erase)


def cmd_erase(args: argparse.Namespace) -> int:
    from ledger.errors import NotFound
    from ledger.registry.service import Registry
    from ledger.registry.targets import target_id

    registry = Registry(open_ledger(args))
    ref = args.ref if args.ref.startswith("person-") else registry.people.reference(args.ref)
    target = target_id("individual", ref)
    if target not in registry.app.repository:  # named by its reference, not the derived id
        raise NotFound(f"no individual with reference {ref}")
    with acting(args, registry.app, "personal_data.erase") as by:
        registry.erase_personal_data(target, args.reason, args.source, by)
    print(f"已删除 {ref} 的个人信息；删除行为已记入账本")
    return 0
