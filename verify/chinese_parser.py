"""The command-line parser every drawledger CLI uses (``drawledger …``, ``python -m verify``, the
witness): ``argparse`` speaking Chinese.

argparse writes its fixed texts (``usage:``, the group titles, ``-h``'s help, every usage error)
through ``argparse._`` and ``argparse.ngettext`` (gettext). ``ChineseArgumentParser`` puts the
catalogue below in their place while it builds itself, formats its help and usage, parses and
reports an error, and restores them after: nothing else in the process is affected. A text
missing from the catalogue (a later Python's new message) is shown as argparse wrote it.

It lives in ``verify/`` (standard library only) so that the verifier, which imports nothing of
the ledger, can use it, and ``api/`` and ``witness/`` import it from here.
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

# argparse's own texts (Python 3.11 to 3.13), in Chinese; the %-fields are argparse's.
CATALOGUE: dict[str, str] = {
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误（usage）：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "one of the arguments %s is required": "参数 %s 中必须给出一个",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "ignored explicit argument %r": "忽略了多余的值 %r",
    "expected one argument": "应给出一个值",
    "expected at most one argument": "至多应给出一个值",
    "expected at least one argument": "至少应给出一个值",
    "expected %s argument": "应给出 %s 个值",
    "expected %s arguments": "应给出 %s 个值",
    "ambiguous option: %(option)s could match %(matches)s": (
        "选项 %(option)s 有歧义，可能是：%(matches)s"
    ),
    "unexpected option string: %s": "意外的选项：%s",
    "invalid %(type)s value: %(value)r": "%(value)r 不是有效的 %(type)s 值",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "无效的选择：%(value)r（可选：%(choices)s）"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "没有子命令 %(parser_name)r（可选：%(choices)s）"
    ),
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    'argument "-" with mode %r': "参数“-”不能以模式 %r 打开",
    "%(prog)s: error: ": "%(prog)s：错误（usage）：",
}
# How an ``invalid … value`` error names the types the CLIs use.
TYPE_NAMES = {"int": "整数", "float": "数值", "Path": "路径"}


def chinese(text: str) -> str:
    """``text`` (one of argparse's fixed texts) in Chinese, or as it is if the catalogue lacks
    it."""
    return CATALOGUE.get(text, text)


def _chinese_plural(singular: str, plural: str, n: int) -> str:
    return chinese(singular if n == 1 else plural)


@contextmanager
def speaking_chinese() -> Iterator[None]:
    """argparse's texts in Chinese within the block (re-entrant: a subcommand's parser nested
    in its parent's restores what it found)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = chinese  # type: ignore[attr-defined]
    argparse.ngettext = _chinese_plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


# A unit of text a line may not be broken inside: a run of non-Chinese characters (a word, an
# option, a path) or one Chinese character, each with the closing punctuation that follows it
# (a line never starts with "，" or "）").
_UNITS = re.compile(r"(?:[^\s\u2e80-\uffef]+|[\u2e80-\uffef])[，。；：、）」”’！？》]*| ")


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: a Chinese (wide) character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns (a unit wider than that alone on its
    line), broken between Chinese characters or at spaces, never inside a word or an option."""
    lines: list[str] = []
    line = ""
    for unit in _UNITS.findall(" ".join(text.split())):
        if line and display_width(line + unit.rstrip()) > width:
            lines.append(line.rstrip())
            line = unit.lstrip()
        else:
            line += unit
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _ChineseWrapping(argparse.HelpFormatter):
    """Help text wrapped by display width (Chinese characters are two columns wide and may be
    broken between), unless the formatter it is mixed into keeps the text as written."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        if isinstance(self, argparse.RawTextHelpFormatter):
            return super()._split_lines(text, width)
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if isinstance(self, argparse.RawDescriptionHelpFormatter):
            return super()._fill_text(text, width, indent)
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ``argparse.ArgumentParser`` whose help, usage and errors are in Chinese (exit 2 on a
    usage error, as argparse's), its help wrapped for Chinese text. Its subcommands' parsers
    are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        base = kwargs.get("formatter_class", argparse.HelpFormatter)
        if not issubclass(base, _ChineseWrapping):
            kwargs["formatter_class"] = type(
                f"Chinese{base.__name__}", (_ChineseWrapping, base), {}
            )
        with speaking_chinese():  # the group titles and -h's help are made here
            super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("parser_class", type(self))
        with speaking_chinese():
            return super().add_subparsers(**kwargs)

    def format_usage(self) -> str:
        with speaking_chinese():
            return super().format_usage()

    def format_help(self) -> str:
        with speaking_chinese():
            return super().format_help()

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        with speaking_chinese():
            return super().parse_known_args(args, namespace)

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        with speaking_chinese():  # "unrecognized arguments" is reported here
            return super().parse_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        with speaking_chinese():
            super().error(message)

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        try:
            return super()._get_value(action, arg_string)  # type: ignore[misc]
        except argparse.ArgumentError as e:
            name = getattr(action.type, "__name__", "")
            if name in TYPE_NAMES and e.message.startswith(repr(arg_string)):
                raise argparse.ArgumentError(
                    action, f"{arg_string!r} 不是{TYPE_NAMES[name]}"
                ) from None
            raise
