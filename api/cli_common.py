"""What every ``drawledger`` command module shares: creating a ledger, the options naming the
ledger and the acting official, and the progress bar.

The command modules (``cli_ledger``, ``cli_registry``, ``cli_plans``, ``cli_demo``) import this
module; it imports none of them, and ``cli`` assembles them into one parser.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ledger.actors import Request
    from ledger.application import LedgerApp

DEFAULT_ORIGIN = "drawledger.local/water-bureau"


def init_ledger(data: Path, origin: str, database: str | None = None) -> None:
    """Create a ledger in ``data`` (``ledger.setup.create_data_dir``) and say where its public
    key is to be had. LedgerError if ``data`` holds a ledger already."""
    from ledger.setup import create_data_dir

    key = create_data_dir(data, origin, database)
    print(f"已在 {data} 创建账本 {origin!r}")
    print(f"账本公钥：{key.verifier}")


def open_ledger(args: argparse.Namespace, **kwargs: Any) -> LedgerApp:
    """The ledger of ``--data``, opened for one command (``LedgerApp.open``); ``cli.main``
    closes it, with its connections and read models, when the command ends
    (``close_ledgers``)."""
    from ledger.application import LedgerApp

    app = LedgerApp.open(Path(args.data), **kwargs)
    vars(args).setdefault("opened_ledgers", []).append(app)
    return app


def close_ledgers(args: argparse.Namespace) -> None:
    """Close every ledger the command opened with ``open_ledger``, newest first."""
    opened: list[LedgerApp] = vars(args).pop("opened_ledgers", [])
    try:
        while opened:
            opened.pop().close()
    finally:
        for app in opened:  # one close failed: still release the others
            app.close()


def key_or_file(value: str, what: str) -> str:
    """A key given as itself (``name+id+base64``), or as the path of a file holding it (one
    line; ``verify.keys.read_key_text``). BadInput if the file cannot be read."""
    from ledger.errors import BadInput
    from verify.keys import read_key_text

    try:
        return read_key_text(value)
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{what} {value}: cannot read: {getattr(e, 'strerror', e)}") from None


TOKEN_VARIABLE = "DRAWLEDGER_TOKEN"


def add_data_and_acting(p: argparse.ArgumentParser) -> None:
    """``--data DIR`` (required); ``--as OFFICIAL_CODE`` with that official's credential
    (``--token-file FILE`` or ``DRAWLEDGER_TOKEN``); without a credential the ledger's own
    operator acts, and only as the policy lets it (``--on-request-of`` names a written request
    where that is needed). ``acting`` decides."""
    p.add_argument("--data", required=True, help="账本的数据目录")
    p.add_argument(
        "--as",
        dest="acting",
        metavar="OFFICIAL_CODE",
        help="以该工作人员的身份办理：需要其 API 令牌（--token-file 或 "
        f"{TOKEN_VARIABLE}）；没有令牌时由账本运营方办理，记为系统",
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"存有办理人 API 令牌的文件，仅所有者可读（chmod 600；或设置 {TOKEN_VARIABLE}）",
    )
    p.add_argument(
        "--on-request-of",
        metavar="OFFICIAL_CODE",
        help="运营方据其书面请求办理的工作人员（其本人须有权办理该事项），随行为记入账本；"
        "运营方导入名录、发布制度版本和删除个人信息时必须给出",
    )
    p.add_argument(
        "--request-ref",
        metavar="TEXT",
        help="书面请求本身（例如处室的函件及文号），随行为记入账本；"
        "给出 --on-request-of 时必须给出",
    )


def _credential(args: argparse.Namespace) -> str | None:
    from ledger.errors import BadInput

    if getattr(args, "token_file", None):
        path = Path(args.token_file)
        try:
            # Whoever reads the file acts as the official: like the ledger's key, owner only.
            if path.stat().st_mode & 0o077:
                raise BadInput(f"the token file {path} is readable by others: chmod 600 {path}")
            return path.read_text(encoding="utf-8").strip() or None
        except OSError as e:
            raise BadInput(f"cannot read the token file {args.token_file}: {e.strerror}") from None
    return os.environ.get(TOKEN_VARIABLE, "").strip() or None


@contextmanager
def acting(args: argparse.Namespace, app: LedgerApp, act: str) -> Iterator[str | None]:
    """Who records the command's ``act``: the official whose API token is given (checked like
    the API's bearer tokens; ``--as``, if given, must name them), or, without a credential, the
    ledger's operator if the policy in force lets it record ``act``, on the written request
    of ``--on-request-of`` where one is needed (recorded in the actor). The CLI never acts in an
    official's name without that official's credential. Forbidden or BadInput otherwise."""
    from ledger.actors import acting_with, on_request
    from ledger.errors import BadInput, Forbidden
    from ledger.registry.tokens import authenticate, token_id_of
    from verify.authority_rules import operator_refusal

    token = _credential(args)
    named = getattr(args, "acting", None)
    request = getattr(args, "on_request_of", None)
    reference = getattr(args, "request_ref", None)
    if token is not None:
        official = authenticate(app, token)
        if named is not None and named != official.code:
            raise Forbidden(f"the token given is official {official.code}'s, not {named}'s")
        if request or reference:
            raise BadInput("--on-request-of is for the operator's acts; an official acts in person")
        with acting_with(official.code, token_id_of(token)):  # the acts name the token
            yield official.code
        return
    if named is not None:
        raise Forbidden(
            f"--as {named}: the CLI acts in an official's name only with that official's "
            f"credential (--token-file FILE or {TOKEN_VARIABLE}); without one, leave out --as "
            "and the ledger's operator records the act as its own, where the policy allows"
        )
    refusal = operator_refusal(app.policy_in_force(), act, request)
    if refusal is not None:
        raise Forbidden(refusal)
    with on_request(_request(app, request, reference)):
        yield None


def _request(app: LedgerApp, code: str | None, reference: str | None) -> Request | None:
    """The written request ``--on-request-of CODE --request-ref TEXT`` names: BadInput unless
    it names a registered, active official and the request itself."""
    from ledger.actors import Request
    from ledger.errors import BadInput, NotFound
    from ledger.registry.authority import official_of

    if code is None:
        if reference:
            raise BadInput("--request-ref needs --on-request-of naming the official who asked")
        return None
    if not (reference or "").strip():
        raise BadInput(
            f"--on-request-of {code}: name the written request with --request-ref "
            "(e.g. the letter and its number)"
        )
    try:
        official = official_of(app, code)
    except NotFound:
        raise BadInput(f"--on-request-of {code}: there is no official {code}") from None
    if official is None or not official.active:
        raise BadInput(f"--on-request-of {code}: official {code} is deactivated")
    return Request(official, reference.strip() if reference else None)


class ProgressBar:
    """Progress of a long run on stderr, as ``bar(done, total)``: redrawn in place on a terminal
    (at most 10 times a second), otherwise one line per 10 % so that logs stay readable. Runs of
    fewer than ``min_total`` steps show nothing."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        tty: bool | None = None,
        min_total: int = 0,
    ) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.min_total = min_total
        self._shown = -1  # the last tenth written (not a terminal)
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if total < self.min_total:
            return
        pct = 100 * done // total if total else 100
        if self.tty:
            now = time.monotonic()
            if done < total and now - self._last < 0.1:
                return
            self._last = now
            bar = "#" * (pct // 4) + "." * (25 - pct // 4)
            end = "\n" if done >= total else "\r"
            text = f"{self.label} [{bar}] {done:,}/{total:,} ({pct}%)"
            print(text, end=end, file=self.stream, flush=True)
        elif pct // 10 > self._shown:
            self._shown = pct // 10
            print(f"{self.label}: {done:,}/{total:,} ({pct}%)", file=self.stream, flush=True)


def stage_bars(
    label: str, stream: TextIO | None = None, names: dict[str, str] | None = None
) -> Callable[[str, int, int], None]:
    """``progress(stage, done, total)`` for a run in stages: one ProgressBar per stage, labelled
    ``"{label} {stage}"``, the stage by its name in ``names`` if it has one."""
    bars: dict[str, ProgressBar] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            bars[stage] = ProgressBar(f"{label} {(names or {}).get(stage, stage)}", stream)
        bars[stage](done, total)

    return report


def seal_at_end(args: argparse.Namespace) -> None:
    """A one-shot command's events are sealed once, at its end, in one checkpoint (embedded
    mode; the service and the follower seal by themselves), by the ledger the command opened
    (``cli.main`` closes it after)."""
    if args.command in ("seal", "serve") or not getattr(args, "data", None):
        return
    opened = vars(args).get("opened_ledgers") or [open_ledger(args)]  # the command's own
    if opened[0].embedded_sealing:
        opened[0].seal()
