"""The ledger's own life: ``drawledger init``, ``export``, ``seal``, ``draw-record``,
``rebuild``, ``serve``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_common import DEFAULT_ORIGIN, ProgressBar, init_ledger, open_ledger


def cmd_init(args: argparse.Namespace) -> int:
    init_ledger(Path(args.data), args.origin, args.database)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from ledger.export import export_bundle

    app = open_ledger(args)
    events, checkpoints = export_bundle(app, Path(args.out), ProgressBar("导出"))
    print(f"已写入 {args.out}：{events} 个事件，{checkpoints} 个检查点")
    return 0


def cmd_seal(args: argparse.Namespace) -> int:
    from ledger.sealing import follow

    app = open_ledger(args, embedded_sealing=False)
    if not args.follow:
        checkpoint = app.sealer.seal()
        if checkpoint is not None:
            print(f"已封存：树大小 {checkpoint.size}", flush=True)
        return 0
    print(f"持续封存：每 {args.interval} 秒封存一轮", flush=True)
    follow(app.sealer, args.interval, say=lambda line: print(line, flush=True),
           warn=lambda line: print(line, file=sys.stderr, flush=True))  # fmt: skip
    return 0


def cmd_draw_record(args: argparse.Namespace) -> int:
    from ledger.draws.aggregate import draw_id
    from ledger.draws.record import write_draw_record
    from ledger.draws.service import Draws

    app = open_ledger(args)
    manifest, population = write_draw_record(Draws(app), draw_id(args.draw), Path(args.out))
    print(f"已写入 {manifest.parent / 'record.json'}、{manifest} 和 {population}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from ledger.as_of import resolve
    from projections.past import rebuild_read_models

    app = open_ledger(args)
    upto = resolve(app, args.upto) if args.upto is not None else None
    position, events = rebuild_read_models(app, upto, ProgressBar("重建"))
    # The events the read models follow; the other records (of topics no read model keeps)
    # are read past, so the two counts differ.
    print(
        f"已重建读取模型至位置 {position}：读取模型所用的事件 {events} 个"
        f"（其余 {max(position - events, 0)} 个记录与读取模型无关）"
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serving import serve

    serve(Path(args.data), args.host, args.port, args.workers)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this module's subcommands to the drawledger parser."""
    p = sub.add_parser("init", help="创建账本：密钥、设置、ledger.created、policy.set")
    p.add_argument("--data", required=True, help="要创建的数据目录")
    p.add_argument("--origin", default=DEFAULT_ORIGIN, help="检查点来源及密钥名称")
    p.add_argument("--database", help="数据库网址（默认：数据目录中的 SQLite 文件）")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("export", help="写出供 'python -m verify' 核验的导出包")
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument("--out", required=True, help="要写出的导出包文件")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("seal", help="封存新事件并签署检查点")
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument("--follow", action="store_true", help="持续封存（PostgreSQL 跟随进程）")
    p.add_argument("--interval", type=float, default=1.0, help="两轮之间的秒数")
    p.set_defaults(func=cmd_seal)

    p = sub.add_parser("draw-record", help="写出抽取的公开记录（即 API 和公示栏提供的内容）")
    p.add_argument("draw", help="抽取编号")
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument(
        "--out", required=True, help="存放 record.json、manifest.json、population.txt 的目录"
    )
    p.set_defaults(func=cmd_draw_record)

    p = sub.add_parser("rebuild", help="删除读取模型，从账本重新生成（可至某一位置）")
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument(
        "--upto",
        metavar="POSITION",
        help="账本位置，或中国时间的日期/日期时间（2026-11-30、2026-11-30T10:00）："
        "生成至该处（默认：整个账本）；服务下次读取时会追至最新",
    )
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("serve", help="启动 HTTP 服务")
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument("--host", default="127.0.0.1", help="监听地址")
    p.add_argument("--port", type=int, default=8000, help="监听端口")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="工作进程数（默认 1）；多于一个时需要 PostgreSQL，并同时运行 "
        "'drawledger seal --follow'（docs/OPERATIONS.md）",
    )
    p.set_defaults(func=cmd_serve)
