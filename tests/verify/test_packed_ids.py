"""Aggregate ids packed to 16 bytes and columns by row (verify/aggregate_ids.py), as the record
pass keeps its chains' heads and the authority replay's owners and target keys (issue 15).
Packing must tell apart exactly the ids the text did: a forged id that spells a real one
otherwise (upper case, no hyphens, a space) is another aggregate, caught as the text one was —
a chain that does not start at version 1, a record whose division nobody named."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from verify.aggregate_ids import Column, packed, row_of, unpacked
from verify.authority_replay import replay_authority
from verify.chain_heads import ChainHeads
from verify.record_pass import Decoded, RecordPass

ID = "c9fd5e91-ecd6-5997-acaf-f38599edcaf8"
LOOKALIKES = [
    ID.upper(),
    ID.replace("-", ""),
    ID.replace("-", " ", 1),
    ID[:-1] + "F",
    "{" + ID[1:-1] + "}",
    ID.replace("-", "", 1) + "0",
    "c9fd5e91-ecd6-5997-acaf-f38599edcaf\u0669",  # an Arabic-Indic digit, not hex
]


def test_a_canonical_id_packs_to_its_16_bytes_and_back_and_nothing_else_packs():
    assert packed(ID) == uuid.UUID(ID).bytes and unpacked(packed(ID)) == ID
    for lookalike in LOOKALIKES:
        assert packed(lookalike) == lookalike, lookalike  # stays text: never equal to bytes
        assert packed(lookalike) != packed(ID)
    for other in ["t-1", "", 5, None, ["x"], b"0123456789abcdef"]:
        assert packed(other) == other
    assert packed(packed(ID)) == packed(ID)  # packing twice is packing once


def test_packing_is_one_to_one_on_many_random_ids():
    rng = random.Random(15)
    ids = {str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(20_000)}
    keys = {packed(i) for i in ids}
    assert len(keys) == len(ids) and all(type(k) is bytes and len(k) == 16 for k in keys)
    assert {unpacked(k) for k in keys} == ids


def test_a_column_answers_as_a_dict_through_many_changes_with_rows_numbered_elsewhere():
    rng = random.Random(4)
    rows: dict[Any, int] = {}
    column, plain = Column(rows), {}
    names = [packed(str(uuid.UUID(int=rng.getrandbits(128)))) for _ in range(200)] + ["t-x"]
    for _ in range(5_000):
        name = rng.choice(names)
        if rng.random() < 0.3:
            row_of(rows, name)  # numbered by another column: no value here
            continue
        value = rng.choice(["szc", "jcc", None])
        column[name] = value
        plain[name] = value
    for name in [*names, "never", ["not", "a", "key"]]:
        assert column.get(name, "-") == plain.get(name, "-") if type(name) is not list else True
        if type(name) is not list:
            assert (name in column) == (name in plain)
    assert len(column) == len(plain)
    with pytest.raises(KeyError):
        column["never"]


def test_heads_sharing_rows_with_a_column_answer_as_a_dict():
    rng = random.Random(9)
    heads, plain = ChainHeads(), {}
    owners = Column(heads.rows)
    names = [f"agg-{n}" for n in range(100)]
    for position in range(3_000):
        name = rng.choice(names)
        if rng.random() < 0.2:
            owners[rng.choice(names)] = "szc"  # may number a row before its head
            continue
        seen = plain.get(name)
        assert heads.get(name) == seen
        head = ((seen[0] + 1) if seen else 1, rng.randbytes(32), position)
        heads[name] = head
        plain[name] = head
    assert len(heads) == len(plain)
    for name in [*names, "never"]:
        assert heads.get(name) == plain.get(name) and (name in heads) == (name in plain)


def _decoded(aggregate: str, version: int, prev: bytes | None, digest: bytes) -> Decoded:
    facts = ("clerk-1", "clerk", "szc", "szc", None, None, None)
    return Decoded(
        "target.updated", aggregate, version, prev.hex() if prev else None, digest, b"k", facts
    )


@pytest.mark.parametrize("forged", LOOKALIKES[:3])
def test_a_lookalike_id_cannot_extend_a_real_chain(forged: str):
    """The insider forges v2 of a real target's chain under an id that reads the same: it is
    another aggregate, whose chain starts at v2 — caught, and the real head is untouched."""
    passed = RecordPass([], None)
    first, second = bytes([1]) * 32, bytes([2]) * 32
    passed.add(b"r0", _decoded(ID, 1, None, first))
    passed.add(b"r1", _decoded(forged, 2, first, second))
    failures = passed.chains.failures
    assert [f.position for f in failures] == [1]
    assert f"记录 {forged}：应为版本 1（作为其第一个事件），实为 2" in failures[0].message
    assert passed.last.get(packed(ID)) == (1, first, 0) and len(passed.last) == 2


def test_a_broken_link_in_a_packed_chain_is_caught_and_named_by_its_text():
    passed = RecordPass([], None)
    digests = [bytes([n]) * 32 for n in range(1, 8)]
    for version in range(1, 8):
        prev = None if version == 1 else digests[version - 2]
        if version == 5:
            prev = bytes([0xAB]) * 32  # the 5th event links to a digest that is not the 4th's
        passed.add(f"r{version}".encode(), _decoded(ID, version, prev, digests[version - 1]))
    failures = passed.chains.failures
    assert [f.position for f in failures] == [4]
    assert f"记录 {ID} 版本 5：prev 为 {'ab' * 32}" in failures[0].message
    assert f"应为 {digests[3].hex()}（位置 3 处版本 4 的摘要）" in failures[0].message


def _acts(*events: tuple[str, str, Any, Any]) -> list[tuple[int, str, str, Any]]:
    official = {"szc": ("clerk-s", "clerk", "szc"), "jcc": ("clerk-j", "clerk", "jcc")}
    out: list[tuple[int, str, str, Any]] = [
        (
            0,
            "official.registered",
            "o-s",
            ("admin", "admin", "szc", ("clerk-s", "szc", ["clerk"]), None, None, None),
        ),
        (
            1,
            "official.registered",
            "o-j",
            ("admin", "admin", "szc", ("clerk-j", "jcc", ["clerk"]), None, None, None),
        ),
    ]  # fmt: skip  (their registration is not what is judged here: findings from 2 on)
    for n, (kind, aggregate, by, extra) in enumerate(events, start=2):
        out.append((n, kind, aggregate, (*official[by], extra, None, None, None)))
    return out


def test_a_lookalike_id_does_not_borrow_a_real_records_division():
    """A clerk of jcc moves "a target" under an id spelling szc's target otherwise: the replay
    knows no record by that id (as the text replay did) and says so, naming the id as written;
    the real target's own update by jcc is outside jcc's authority, as before."""
    report = replay_authority(
        _acts(
            ("target.registered", ID, "szc", "szc"),
            ("target.updated", ID.upper(), "jcc", None),
            ("target.updated", ID, "jcc", None),
            ("target.updated", ID, "szc", None),
        )
    )
    findings = {f.position: f.message for f in report.findings if f.position >= 2}
    assert sorted(findings) == [3, 4], findings
    assert f"记录 {ID.upper()} 所属的处室不明" in findings[3]
    assert "不能办理处室 szc 的记录" in findings[4]


def test_a_publication_naming_a_lookalike_inspection_id_has_no_owner():
    report = replay_authority(
        _acts(
            ("inspection.notified", ID, "szc", "szc"),
            ("publication.published", "p-2", "szc", ID.replace("-", "")),
            ("publication.published", "p-3", "szc", ID),
        )
    )
    found = {f.position: f.message for f in report.findings if f.position >= 2}
    assert sorted(found) == [3], found
    assert f"记录 {ID.replace('-', '')} 所属的处室不明" in found[3]


def test_the_population_digests_hashed_in_batches_are_the_one_shot_digests():
    """The digests a freeze records, hashed a batch of lines at a time (no text of the whole
    population held): byte for byte the digest of the one joined text, repeats dropped."""
    import hashlib

    from verify.draws import population_digest, population_table_digest, roster_digest

    rng = random.Random(7)
    for size in [0, 1, 4095, 4096, 4097, 12_345]:
        kinds = ["9132", "project:常水许可〔2023〕", "individual:"]
        ids = [rng.choice(kinds) + str(rng.randrange(9_000)) for _ in range(size)]
        one_shot = "".join(f"{i}\n" for i in sorted(set(ids)))
        assert population_digest(ids) == hashlib.sha256(one_shot.encode()).hexdigest()
        assert roster_digest(ids) == population_digest(ids)
        rows = [(i, rng.choice(["all", "武进区"]), rng.choice([1, 2, 3])) for i in ids]
        table = "".join(f"{i}\t{s}\t{w}\n" for i, s, w in sorted(rows))
        assert population_table_digest(rows) == hashlib.sha256(table.encode()).hexdigest()
    one = population_digest(["a", "b"])
    assert population_digest(["b", "a", "b"]) == one != population_digest(["a", "b", "c"])


def _fold_both(envelopes: list[dict[str, Any]]) -> tuple[Any, Any]:
    from verify.registry_state import RegistryState

    plain, packed_fold = RegistryState(names=False), RegistryState(names=False, packed_ids=True)
    for envelope in envelopes:
        plain.apply(envelope)
        packed_fold.apply(envelope)
    return plain, packed_fold


def _target_env(kind: str, aggregate: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "aggregate": aggregate, "payload": payload, "time": "2026-03-02T00:00Z"}


def test_the_draw_replays_packed_registry_is_the_plain_one_and_a_lookalike_changes_nothing():
    """Steps 9 and 10 fold the registry by packed id: the same records, populations and
    recusals as the text fold; a forged update under a lookalike id fails alike in both (no
    record by that id) and leaves the real target as it was."""
    from verify.eligibility import inspector_exclusion, population
    from verify.registry_state import InspectorState

    rng = random.Random(5)
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(60)]
    envelopes = [
        _target_env(
            "target.registered",
            aggregate,
            {
                "kind": "enterprise",
                "code": f"91320400{n:010d}",
                "name": "x",
                "district": "武进区",
                "grid": None,
                "division": rng.choice(["szc", "jcc"]),
                "items": ["qsxk"],
                "credit_class": "A",
                "risk_flags": [],
            },
        )
        for n, aggregate in enumerate(ids)
    ]
    envelopes += [
        _target_env("target.updated", ids[3], {"changes": {"division": "szc"}}),
        _target_env("target.status_changed", ids[4], {"status": "closed"}),
    ]
    plain, packed_fold = _fold_both(envelopes)
    assert list(packed_fold.targets) == [packed(i) for i in ids]
    for aggregate in ids:
        p, q = plain.targets[aggregate], packed_fold.targets[packed(aggregate)]
        assert q._replace(aggregate=unpacked(q.aggregate)) == p
    criteria = {"division": "szc"}
    assert population(packed_fold, criteria, {}, 2026) == population(plain, criteria, {}, 2026)
    forged = _target_env("target.updated", ids[5].upper(), {"changes": {"division": "jcc"}})
    for state in (plain, packed_fold):
        with pytest.raises(KeyError):
            state.apply(forged)
    assert packed_fold.targets[packed(ids[5])].division == plain.targets[ids[5]].division
    # A conflict declared on the target's id (as text) still recuses for it: the draw rules
    # compare the record's id unpacked (draw_rules.assignment, substitution).
    key = f"91320400{7:010d}"
    target = packed_fold.targets_by_keys([key])[key]
    certificate = {"valid_until": "2030-01-01"}
    inspector = InspectorState("i-1", "n", certificate, "u", "szc", True, ["qsxk"], "on_duty")
    inspector = InspectorState(**{**inspector.__dict__, "conflicts": frozenset({ids[7]})})
    why = inspector_exclusion(
        inspector,
        code="i-1",
        item="qsxk",
        target_aggregate=unpacked(target.aggregate),
        on_date="2026-03-02",
        policy={},
        assignments=0,
    )
    assert why is not None and why.startswith("recused")
