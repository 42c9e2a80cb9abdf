"""Every command line speaks Chinese to its user: each ``drawledger`` command's help, the
verifier's (``python -m verify``, ``sample``, ``dispute``), and what each says to a bad call
(a missing argument, an unknown option, an invalid choice or number, a bundle that is not
there). The check is a small heuristic: after taking out what is code — quoted commands,
options, choices, metavars, paths, dotted names — no three ASCII words may stand in a row.
"""

from __future__ import annotations

import argparse
import re

import pytest

from api.cli import build_parser
from api.cli import main as drawledger
from verify.__main__ import main as verify
from verify.chinese_parser import ChineseArgumentParser, display_width, wrap

_CODE = [
    re.compile(r"'[^'\n]*'|`[^`\n]*`|\"[^\"\n]*\""),  # quoted: commands, values, names
    re.compile(r"\{[^}\n]*\}"),  # a choice list
    re.compile(r"(?<![\w-])-{1,2}[\w-]+"),  # an option
    # a path, URL, key, dotted or snake_case name, code, or number
    re.compile(r"\S*[/.:_+=@#\\]\S*|\S*\d\S*"),
    re.compile(r"\b[A-Z][A-Z_]+\b"),  # a metavar (DIR, OFFICIAL_CODE)
]
# Command and program names that are words (the usage line's "drawledger import", "python -m
# verify dispute"), and the names of formats the help quotes.
ALLOWED = {
    "drawledger",
    "python",
    "verify",
    "sample",
    "dispute",
    "witness",
    "witnesses",
    "list",
    "add",
    "remove",
    "keys",
    "rotate",
    "revoke",
    "overlap",
    "end",
    "issue",
    "token",
    "official",
    "division",
    "policy",
    "show",
    "set",
    "plans",
    "rollover",
    "personal",
    "data",
    "erase",
    "key",
    "record",
    "draw",
    "registry",
    "export",
    "import",
    "template",
    "serve",
    "seal",
    "rebuild",
    "init",
    "demo",
    "assessment",
    "targets",
    "inspectors",
    "items",
    "file",
    "bundle",
    "directory",
    "ref",
    "command",
    "action",
}
_ENGLISH = re.compile(r"[A-Za-z]+(?:[ ,;]+[A-Za-z]+){2,}")


def english_sentences(text: str) -> list[str]:
    """The runs of three or more ASCII words left in ``text`` once code is taken out and the
    allowed command names are set aside."""
    for pattern in _CODE:
        text = pattern.sub(" ", text)
    found = []
    for match in _ENGLISH.finditer(text):
        words = re.findall(r"[A-Za-z]+", match.group())
        if sum(w.lower() not in ALLOWED for w in words) >= 2:
            found.append(match.group())
    return found


def _parsers(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """The parser and every subcommand's, each with the words that reach it."""
    out = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += _parsers(sub, (*path, name))
    return out


DRAWLEDGER = _parsers(build_parser())


def _said(capsys: pytest.CaptureFixture[str], run, argv: list[str]) -> tuple[object, str]:  # type: ignore[no-untyped-def]
    try:
        status: object = run(argv)
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out + err


def _refused_in_chinese(capsys: pytest.CaptureFixture[str], run, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    """A usage error: exit 2, the Chinese refusal, no English sentence."""
    status, text = _said(capsys, run, argv)
    assert status == 2 and "错误（usage）：" in text, text
    assert english_sentences(text) == [], text


def test_the_heuristic_finds_an_english_sentence_and_passes_code():
    assert english_sentences("show this help message and exit")
    assert english_sentences("错误：the following arguments are required: --data")
    assert not english_sentences(
        "用法：drawledger import [-h] --data DATA {targets,inspectors,items} file"
    )
    assert not english_sentences("见 'python -m verify dispute --help'；DIR/keys/ledger.pub")
    plain = argparse.ArgumentParser(prog="drawledger")
    assert english_sentences(plain.format_help())  # argparse's own English is caught


@pytest.mark.parametrize("path", [p for p, _ in DRAWLEDGER], ids=" ".join)
def test_every_drawledger_command_s_help_is_chinese(path, capsys):
    status, text = _said(capsys, drawledger, [*path, "--help"])
    assert status == 0 and "用法：" in text
    assert english_sentences(text) == [], text


@pytest.mark.parametrize("path", [p for p, _ in DRAWLEDGER], ids=" ".join)
def test_every_drawledger_command_refuses_a_bad_call_in_chinese(path, capsys):
    _refused_in_chinese(capsys, drawledger, [*path, "--no-such-option"])


@pytest.mark.parametrize(
    "argv",
    [
        ["no-such-command"],
        [],
        ["import", "targets"],
        ["demo", "--data", "x", "--targets", "many"],
        ["export-registry", "targets", "--data", "x", "--out", "y", "--headers", "fr"],
        ["witness", "--ledger", "u", "--key", "k", "--state", "s", "--interval", "soon"],
    ],
    ids=["unknown-command", "no-command", "missing", "not-a-number", "bad-choice", "float"],
)
def test_drawledger_usage_errors_are_chinese(argv, capsys):
    _refused_in_chinese(capsys, drawledger, argv)


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["sample", "--help"], ["dispute", "--help"]],
    ids=["verify", "sample", "dispute"],
)
def test_the_verifier_s_help_is_chinese(argv, capsys):
    status, text = _said(capsys, verify, argv)
    assert status == 0 and "用法：" in text
    assert english_sentences(text) == [], text


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["b.bundle", "--no-such-option"],
        ["b.bundle", "--jobs", "many"],
        ["sample", "--seed", "s"],
        ["sample", "--seed", "s", "--count", "two"],
        ["dispute"],
        ["dispute", "d", "--no-such-option"],
    ],
)
def test_the_verifier_s_usage_errors_are_chinese(argv, capsys):
    _refused_in_chinese(capsys, verify, argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["nowhere.bundle"],
        ["nowhere.bundle", "--json"],
        ["nowhere.bundle", "--key", "nowhere.pub"],
        ["dispute", "nowhere", "--key", "nowhere.pub"],
        ["dispute", "nowhere"],
    ],
)
def test_the_verifier_refuses_unusable_input_in_chinese(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, text = _said(capsys, verify, argv)
    said = ("输入无法使用", "未核验", '"unusable": "nowhere.bundle：文件不存在"')
    assert status in (2, 3) and any(s in text for s in said), text
    assert english_sentences(text) == [], text


def test_the_chinese_parser_leaves_argparse_english_outside_it(capsys):
    ChineseArgumentParser(prog="x").format_help()
    assert "show this help message and exit" in argparse.ArgumentParser(prog="y").format_help()


def test_help_is_wrapped_by_display_width_never_inside_an_option():
    text = "没有它也没有 --trusted-checkpoint 时，只核验导出包自身是否一致（退出状态 3）"
    lines = wrap(text, 20)
    assert all(display_width(line) <= 20 for line in lines if " " not in line.strip())
    assert any("--trusted-checkpoint" in line for line in lines)
    assert not any(line.startswith(("，", "）")) for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "revoke", "drawledger.test/w+00000000+AAAA", "--from", "1", "--reason", "r"],
        ["witnesses", "add", "garbage", "--reason", "r"],
        ["witnesses", "add", "a+zz+AAAA", "--reason", "r"],
        ["witnesses", "add", "a b+00000000+AAAA", "--reason", "r"],
        ["witnesses", "add", "a+00000000+AAA", "--reason", "r"],
        ["personal-data", "erase", "person-abc", "--reason", "r", "--source", "s"],
    ],
    ids=["short-key", "one-part", "bad-id", "bad-name", "bad-base64", "no-such-person"],
)
def test_a_mistyped_key_or_reference_is_refused_in_chinese(argv, tmp_path, capsys):
    """The operator's typing errors in OPERATIONS.md's key and witness commands and in an
    erasure were refused in the verifier's English (`expected 1 type byte + 32 key bytes`,
    marked 原文 for a witness key), and an unknown person by an id they never typed."""
    data = str(tmp_path / "ledger")
    assert drawledger(["init", "--data", data, "--origin", "drawledger.test/w"]) == 0
    capsys.readouterr()
    status, text = _said(capsys, drawledger, [*argv, "--data", data])
    assert status == 1 and "错误（" in text, text
    assert "原文" not in text and english_sentences(text) == [], text
    if argv[0] == "personal-data":
        assert "person-abc" in text, text


@pytest.mark.parametrize("path", [p for p, _ in DRAWLEDGER], ids=" ".join)
def test_every_option_of_every_command_says_what_it_is(path):
    """`drawledger official add --help` listed --code, --name and --division with nothing
    beside them (and no word of which roles exist); token revoke's --reason and witness-key's
    --out the same."""
    parser = dict(DRAWLEDGER)[path]
    silent = [
        action.option_strings
        for action in parser._actions
        if action.option_strings and action.help is None
    ]
    assert silent == [], silent
    if path == ("official", "add"):  # the roles an operator may give, each with its name
        (roles,) = [a.help for a in parser._actions if "--roles" in a.option_strings]
        assert "legal_office（法制处）" in str(roles) and "admin（系统管理员）" in str(roles)
