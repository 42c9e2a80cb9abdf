"""Reading the responsibility trail: the acts touching one entity, by one official, in one
division or under one policy version, in ledger order, with inclusion proofs on request.

Who reads what (``trail.read`` in ``verify/authority_rules.py``): auditors and the legal office
every division's acts; every other official only the acts in their own division (an act is in
the divisions of its actor and of the records it touches), and a leader in charge besides those
of every division the policy in force puts in their charge (``authority.read_charge``), all in
one answer, in ledger order. An entity none of whose acts is in the reader's divisions is a 403
for them, an entity no act touches a 404.

``as_of`` is a ledger position: only the acts at or before it, as the trail stood then (a
position beyond the log's end is refused). Proofs are against the latest signed checkpoint;
an act after it has none yet (``proof: null``).
"""

from __future__ import annotations

import base64
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, exists, select

from ledger.application import LedgerApp
from ledger.errors import BadInput, Forbidden, NotFound
from ledger.registry.authority import authorise, authorise_read, read_charge
from ledger.registry.officials import Official, official_id
from verify.authority_rules import CROSS_DIVISION
from verify.merkle import Levels, leaf_hash
from verify.uscc import normalise

from . import tables as t
from .queries import DEFAULT_LIMIT, TOTALS, _check_page, _choice, _reading, bounded_count
from .tracking import ReadModelMismatch

ENTITIES = (
    "target",
    "draw",
    "directed",
    "inspection",
    "publication",
    "plan",
    "inspector",
    "item",
    "division",
    "policy",
    "official",  # the acts about an official (registration, roles, tokens): of_official for theirs
)
READ = "trail.read"
_acts, _links = t.trail_acts, t.trail_links


def _linked(kind: str, key: str) -> ColumnElement[bool]:
    """The acts touching an entity: driven from the links' index (kind, key, position), never a
    scan of every act."""
    touching = select(_links.c.position).where(_links.c.kind == kind, _links.c.key == key)
    return _acts.c.position.in_(touching)


class Trails:
    """The trail read model of one ledger, read on behalf of an official."""

    def __init__(self, app: LedgerApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine

    # -- the questions ---------------------------------------------------------------------

    def of_entity(self, kind: str, key: str, reader: Official, **page: Any) -> dict[str, Any]:
        """Every act touching the ``kind`` entity ``key`` (a target by credit code, a draw,
        inspection, publication or plan by id, an inspector or item by code)."""
        if kind not in ENTITIES:
            raise BadInput(f"kind {kind!r}: must be one of {', '.join(ENTITIES)}")
        if kind == "target":
            key = target_key(key)
        scope = self._scope(reader)
        return self._answer(reader, scope, [_linked(kind, key)], f"{kind} {key}", **page)

    def of_official(self, code: str, reader: Official, **page: Any) -> dict[str, Any]:
        """Every act the official ``code`` performed, in whatever role."""
        scope = self._scope(reader)
        return self._answer(reader, scope, [_acts.c.official == code], f"official {code}", **page)

    def act(self, position: int, reader: Official, *, as_of: int | None = None) -> dict[str, Any]:
        """The one act at ledger ``position``, with its signed record and inclusion proof
        (NotFound after ``as_of``; Forbidden as for a trail)."""
        answer = self._answer(
            reader,
            self._scope(reader),
            [_acts.c.position == position],
            f"position {position}",
            as_of=as_of,
            limit=1,
            proofs=True,
        )
        return {**answer["items"][0], "as_of": answer["as_of"], "checkpoint": answer["checkpoint"]}

    def acts(
        self,
        reader: Official,
        *,
        division: str | None = None,
        policy_version: str | None = None,
        **page: Any,
    ) -> dict[str, Any]:
        """The acts in ``division`` (default: every division the reader reads, ``covered``)
        and/or under ``policy_version``."""
        conditions: list[ColumnElement[bool]] = []
        if policy_version is not None:
            start, end = self._in_force(policy_version)
            conditions.append(_acts.c.position >= start)
            if end is not None:
                conditions.append(_acts.c.position < end)
        return self._answer(reader, self.covered(reader, division), conditions, None, **page)

    def records(
        self,
        kinds: tuple[str, ...],
        reader: Official,
        *,
        division: str | None = None,
        year: int | None = None,
        status: str | None = None,
        target: str | None = None,
        as_of: int | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        total: str | None = None,
    ) -> dict[str, Any]:
        """The plans, draws (and directed records), inspections or publications, oldest first:
        of ``division`` (default: every division the reader reads, together: ``covered``), a
        year, at a step (``status``: the latest act's step, e.g. ``uploaded``,
        ``targets_selected``, ``closed``, ``corrected``) or touching a target; as they stood at
        ``as_of``. ``total`` and ``more_than``: ``queries.bounded_count``; ``divisions``: the
        divisions covered (``"all"`` for auditors and the legal office without ``division``)."""
        position = self._position(as_of, limit, offset, total)
        r = t.trail_records
        scope = self.covered(reader, division)
        latest = (
            select(_acts.c.type)
            .where(_acts.c.aggregate_id == r.c.id, _acts.c.position <= position)
            .order_by(_acts.c.position.desc())
            .limit(1)
            .scalar_subquery()
        )
        conditions: list[ColumnElement[bool]] = [
            r.c.kind.in_(kinds),
            r.c.created_position <= position,
        ]
        if scope is not None:
            conditions.append(r.c.division.in_(scope))
        if year is not None:
            conditions.append(r.c.year == year)
        if status is not None:
            conditions.append(latest.in_([f"{kind}.{status}" for kind in kinds]))
        if target is not None:
            target = target_key(target)
            conditions.append(
                exists().where(
                    _acts.c.aggregate_id == r.c.id,
                    _acts.c.position <= position,
                    _links.c.position == _acts.c.position,
                    _links.c.kind == "target",
                    _links.c.key == target,
                )
            )
        with _reading(self.engine) as conn:
            count, more_than = bounded_count(conn, select(r.c.id).where(*conditions), total)
            rows = conn.execute(
                select(r, latest.label("latest"))
                .where(*conditions)
                .order_by(r.c.created_position)
                .limit(limit)
                .offset(offset)
            ).all()
        items = [
            {
                "id": row.id,
                "kind": row.kind,
                "division": row.division,
                "year": row.year,
                "created": {"position": row.created_position, "time": row.created_at},
                "status": str(row.latest).split(".", 1)[1],
            }
            for row in rows
        ]
        return {
            "items": items,
            "total": count,
            "more_than": more_than,
            "limit": limit,
            "offset": offset,
            "as_of": position,
            "divisions": "all" if scope is None else list(scope),
        }

    # -- the answer ------------------------------------------------------------------------

    def _position(
        self, as_of: int | None, limit: int, offset: int, total: str | None = None
    ) -> int:
        """The position answered for (the log's end by default); BadInput for a bad page, an
        unknown kind of ``total`` or an ``as_of`` beyond the log's end."""
        _check_page(limit, offset)
        _choice("total", total, TOTALS)
        head = self.app.recorder.max_notification_id() or 0
        if as_of is not None and as_of > head:
            raise BadInput(f"as_of {as_of}: the ledger ends at position {head}")
        return head if as_of is None else as_of

    def _answer(
        self,
        reader: Official,
        scope: tuple[str, ...] | None,
        conditions: list[ColumnElement[bool]],
        entity: str | None,
        *,
        as_of: int | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        proofs: bool = False,
        checked: bool = False,
        total: str | None = None,
    ) -> dict[str, Any]:
        """The page of acts meeting ``conditions`` in the divisions of ``scope`` (None: every
        division's; the reader's ``_scope`` or ``covered``); ``proofs``: each act's signed
        record and proof; ``checked`` (legal pages): each act compared with its record anyway."""
        position = self._position(as_of, limit, offset, total)
        conditions = [*conditions, _acts.c.position <= position]
        with _reading(self.engine) as conn:
            if (
                entity is not None
                and scope is not None
                and not conn.execute(select(exists().where(*conditions))).scalar()
            ):
                raise NotFound(f"no act touches {entity} (as of position {position})")
            scoped = conditions if scope is None else [*conditions, _in_divisions(scope)]
            count, more_than = bounded_count(conn, select(_acts.c.position).where(*scoped), total)
            if entity is not None and count == 0:
                if scope is None:
                    raise NotFound(f"no act touches {entity} (as of position {position})")
                raise Forbidden(_refusal(reader, scope, entity))
            rows = conn.execute(
                select(_acts).where(*scoped).order_by(_acts.c.position).limit(limit).offset(offset)
            ).all()
            touches = self._touches(conn, [r.position for r in rows])
            versions = conn.execute(
                select(t.trail_policies.c.position, t.trail_policies.c.version).order_by(
                    t.trail_policies.c.position
                )
            ).all()
            bases = self._legal_bases(conn, touches)
            issued = _issued(conn, rows)
        items = []
        for r in rows:
            act = _act(r, touches.get(r.position, {}), _version_at(versions, r.position))
            act["credential"] = issued.get((r.official, r.token)) if r.token else None
            act["legal_basis"] = {
                code: _basis_at(bases.get(code, []), r.position)
                for code in act["touches"].get("item", [])
            }
            items.append(act)
        answer: dict[str, Any] = {
            "items": items,
            "total": count,
            "more_than": more_than,
            "limit": limit,
            "offset": offset,
            "as_of": position,
            "divisions": "all" if scope is None else list(scope),
        }
        if proofs:
            answer["checkpoint"] = self._prove(items)
        elif checked:  # an act edited in the read models: ReadModelMismatch, never shown
            for item in items:
                self._stored(item)
        return answer

    def _sees_all(self, reader: Official) -> bool:
        return reader.active and any(r in CROSS_DIVISION[READ] for r in reader.roles)

    def covered(self, reader: Official, division: str | None) -> tuple[str, ...] | None:
        """The divisions a list of records or a division's trail covers for ``reader``: every
        division they read when ``division`` is None (``_scope``: None, every division's, for
        auditors and the legal office; their own and each in their charge for a leader in
        charge), else ``division`` alone, if they read it (``authority.authorise_read``: their own,
        every one for auditors and the legal office, or one in their charge). Forbidden
        otherwise, in the rulebook's words, as for a deactivated official or one without a
        reading role."""
        if division is None:
            return self._scope(reader)
        authorise_read(self.app, reader, division)  # Forbidden unless they read it
        return (division,)

    def _scope(self, reader: Official) -> tuple[str, ...] | None:
        """None for a reader of every division's trail, else the divisions they may read: their
        own, then those the policy in force puts in their charge as leader (read afresh)."""
        if self._sees_all(reader):
            return None
        authorise(reader, READ, reader.division)  # Forbidden: deactivated, or no reading role
        charge = read_charge(self.app, reader)
        return (reader.division, *(d for d in charge if d != reader.division))

    def _in_force(self, version: str) -> tuple[int, int | None]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.trail_policies.c.position, t.trail_policies.c.version).order_by(
                    t.trail_policies.c.position
                )
            ).all()
        for i, row in enumerate(rows):
            if row.version == version:
                return row.position, rows[i + 1].position if i + 1 < len(rows) else None
        known = ", ".join(r.version for r in rows) or "none"
        raise NotFound(f"no policy version {version!r} was set (versions: {known})")

    def _touches(self, conn: Connection, positions: list[int]) -> dict[int, dict[str, list[str]]]:
        found: dict[int, dict[str, list[str]]] = {}
        if not positions:
            return found
        rows = conn.execute(
            select(_links)
            .where(_links.c.position.in_(positions))
            .order_by(_links.c.position, _links.c.kind, _links.c.key)
        )
        for row in rows:
            found.setdefault(row.position, {}).setdefault(row.kind, []).append(row.key)
        return found

    def _legal_bases(
        self, conn: Connection, touches: dict[int, dict[str, list[str]]]
    ) -> dict[str, list[tuple[int, Any]]]:
        """The legal bases of the page's items up to its last act, each in position order."""
        codes = {code for links in touches.values() for code in links.get("item", [])}
        if not codes:
            return {}
        b = t.trail_legal_bases.c
        rows = conn.execute(
            select(b.item, b.position, b.legal_basis)
            .where(b.item.in_(codes), b.position <= max(touches))
            .order_by(b.position)
        )
        found: dict[str, list[tuple[int, Any]]] = {}
        for row in rows:
            found.setdefault(row.item, []).append((row.position, row.legal_basis))
        return found

    # -- proofs ----------------------------------------------------------------------------

    def _prove(self, items: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Add each act's signed record (as stored) and its inclusion proof against the latest
        signed checkpoint, which is returned once for the page. Each record is read from the
        log and checked (signature, chain) and the act's row is compared with it: a read
        model edited behind the service's back is refused (ReadModelMismatch), never served
        with a proof that seems to vouch for it."""
        sealer = self.app.sealer
        latest = sealer.latest()
        hashes: list[bytes] | None = None
        tree: Levels | None = None  # hashed once per page: each proof then costs O(log size)
        for item in items:
            stored = self._stored(item)
            item["signed_record"] = stored.decode("utf-8")
            item["proof"] = None  # not sealed yet
            if latest is None or item["position"] > latest.last_notification_id:
                continue
            if hashes is None or tree is None:
                hashes = sealer.leaf_hashes(latest.size)
                tree = Levels(hashes)
            index = sealer.leaf_index(item["position"])
            if hashes[index] != leaf_hash(stored):
                raise ReadModelMismatch(f"leaf {index} is not the record at {item['position']}")
            path = tree.inclusion_proof(index)
            item["proof"] = {
                "leaf_index": index,
                "tree_size": latest.size,
                "path": [base64.b64encode(h).decode("ascii") for h in path],
            }
        if latest is None:
            return None
        return {"tree_size": latest.size, "note": sealer.cosigned_note(latest.size)}

    def _stored(self, item: dict[str, Any]) -> bytes:
        """The stored record of an act, checked, after comparing the act's row with it."""
        position = item["position"]
        found = self.app.recorder.select_notifications(start=position, limit=1, stop=position)
        if not found:
            raise ReadModelMismatch(f"the trail has an act at {position}, the log has none")
        signed = self.app.checked(found[0], f"ledger position {position}")
        envelope = signed.envelope
        served = (item["type"], item["time"], item["actor"], item["digest"], item["leaf_hash"])
        logged = (
            envelope["type"],
            envelope["time"],
            envelope["actor"],
            signed.digest.hex(),
            leaf_hash(found[0].state).hex(),
        )
        if served != logged:
            raise ReadModelMismatch(
                f"the trail's act at ledger position {position} is not the log's event there: "
                "rebuild the read models"
            )
        return bytes(found[0].state)


def _in_divisions(divisions: tuple[str, ...]) -> ColumnElement[bool]:
    """The acts in any of ``divisions`` (each act once, however many of them it touches):
    driven from the links' index, as ``_linked``."""
    touching = select(_links.c.position).where(
        _links.c.kind == "division", _links.c.key.in_(divisions)
    )
    return _acts.c.position.in_(touching)


def _refusal(reader: Official, scope: tuple[str, ...], entity: str) -> str:
    """Why an entity none of whose acts is in the reader's divisions is refused them."""
    if len(scope) == 1:
        return (
            f"official {reader.code} of division {scope[0]} may read only their own "
            f"division's trail: no act of {entity} is in division {scope[0]}"
        )
    named = ", ".join(scope)
    return (
        f"official {reader.code} of division {scope[0]} may read only the trails of their own "
        f"division and those in their charge: no act of {entity} is in divisions {named}"
    )


def target_key(key: str) -> str:
    """A target's key in the trail (``verify.registry_state.target_key``): a credit code as
    typed (full-width, lower case) normalised; an individual's pseudonymous reference
    (``person-…``) as ``individual:person-…``; a key with a colon as given."""
    if ":" in key:
        return key
    if normalise(key).startswith("PERSON-"):  # typed full-width or in capitals too
        return f"individual:person-{unicodedata.normalize('NFKC', key).strip()[7:]}"
    return normalise(key)


def _version_at(versions: Sequence[Any], position: int) -> str | None:
    i = bisect_right([v.position for v in versions], position)
    return versions[i - 1].version if i else None


def _basis_at(bases: list[tuple[int, Any]], position: int) -> Any:
    """The legal basis in force at ``position`` (None: the item was not registered yet)."""
    i = bisect_right([p for p, _ in bases], position)
    return bases[i - 1][1] if i else None


def _act(row: Any, touches: dict[str, list[str]], policy_version: str | None) -> dict[str, Any]:
    """One act as served: what, when, who in which role and division, under which policy."""
    return {
        "position": row.position,
        "time": row.time,
        "type": row.type,
        "record": {"kind": row.kind, "id": row.aggregate_id, "version": row.version},
        "actor": {
            "official": row.official,
            "role": row.role,
            "department": row.department,
            **({"on_request_of": row.on_request_of} if row.on_request_of else {}),
            **({"request": row.request} if row.request else {}),
            **({"token": row.token} if row.token else {}),
        },
        "policy_version": policy_version,
        "digest": row.digest,
        "leaf_hash": row.leaf_hash,
        "touches": touches,
        "payload": row.payload,
    }


def _issued(conn: Connection, rows: Sequence[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """The tokens the acts of ``rows`` were done with, by (official, token id): its id, who
    issued it, when and at which position, and its expiry (None: issued without one). A
    token the log never issued to that official is absent (the verifier's finding)."""
    named = {(r.official, r.token) for r in rows if r.token}
    if not named:
        return {}
    k = t.trail_tokens.c
    by_id = {str(official_id(code)): code for code, _ in named}
    found = conn.execute(
        select(k.official_id, k.token_id, k.position, k.time, k.issued_by, k.expires).where(
            k.official_id.in_(by_id), k.token_id.in_({token for _, token in named})
        )
    ).all()
    return {
        (by_id[r.official_id], r.token_id): {
            "token": r.token_id,
            "issued_by": r.issued_by,
            "issued_at": r.time,
            "issued_position": r.position,
            "expires": r.expires,
        }
        for r in found
        if (by_id[r.official_id], r.token_id) in named
    }
