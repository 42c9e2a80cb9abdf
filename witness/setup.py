"""Opening a witness from its files, and running its rounds (once, or every interval)."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from verify.errors import VerifyError, file_reason
from verify.keys import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    SignerKey,
    parse_signer_key,
    parse_verifier_key,
)

from .auditor import Outcome, Witness
from .ledger_api import LedgerClient, Transport, http_transport
from .state import State


class WitnessSetupError(Exception):
    """The witness's key, state or ledger keys are unusable; says which and why."""


def new_witness_key(name: str, out: Path) -> SignerKey:
    """Write a new cosignature/v1 key to ``out`` (mode 0600; never over an existing file)."""
    try:
        key = SignerKey.generate(name, ALG_COSIGNATURE_V1)
    except VerifyError as e:
        raise WitnessSetupError(f"见证方名称 {name!r}：{e}") from None
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WitnessSetupError(f"{out} 已存在：见证方密钥从不覆盖") from None
    except OSError as e:
        raise WitnessSetupError(f"无法写入 {out}：{file_reason(e)}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key.to_text() + "\n")
    return key


def load_witness_key(path: Path) -> SignerKey:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise WitnessSetupError(f"--key {path}：无法读取：{file_reason(e)}") from None
    if stat.S_IMODE(mode) & 0o077:
        raise WitnessSetupError(f"--key {path} 可被他人读取：请执行 chmod 600 {path}")
    try:
        key = parse_signer_key(text)
    except VerifyError as e:
        raise WitnessSetupError(f"--key {path}: {e}") from None
    if key.alg != ALG_COSIGNATURE_V1:
        raise WitnessSetupError(
            f"--key {path}：见证方须以 cosignature/v1（0x04）密钥签名，此密钥的类型为 "
            f"{key.alg:#04x}（请用 'drawledger witness-key' 生成）"
        )
    return key


def open_witness(
    ledger: str | Transport,
    key_file: Path,
    state_dir: Path,
    log_keys: list[str] = (),  # type: ignore[assignment]
) -> Witness:
    """The witness of ``ledger`` (its base URL, or a transport) with the key in ``key_file``
    and its state in ``state_dir``. Ledger keys given are added to those the state keeps
    (announced by the caller); with none kept and none given, WitnessSetupError."""
    signer = load_witness_key(key_file)
    state = State(state_dir)
    kept = state.log_keys()
    keys = []
    for text in [*kept, *(k for k in log_keys if k not in kept)]:
        try:
            key = parse_verifier_key(text)
        except VerifyError as e:
            raise WitnessSetupError(f"账本公钥 {text!r}：{e}") from None
        if key.alg != ALG_ED25519:
            raise WitnessSetupError(f"账本公钥 {text!r}：应为 Ed25519（0x01）密钥")
        keys.append(key)
    if not keys:
        raise WitnessSetupError(
            "不知道账本公钥：请用 --log-key 给出（账本公钥由账本运营方提供：DIR/keys/ledger.pub）"
        )
    state.keep_log_keys([str(k) for k in keys])
    transport = http_transport(ledger) if isinstance(ledger, str) else ledger
    return Witness(LedgerClient(transport), signer, keys, state)


def run(
    witness: Witness,
    once: bool,
    interval: float,
    report: Callable[[Outcome], None],
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """One round (``once``), or rounds every ``interval`` seconds until interrupted; returns
    the last outcome."""
    while True:
        outcome = witness.round()
        report(outcome)
        if once:
            return outcome
        sleep(interval)
