"""The stored history the projections benchmark rebuilds from, generated in bulk.

Recording a million events through the application's commands would take a quarter of an
hour (about 1,000 commands/s), so the history is made of real events, cloned:

- **The tree and the quotas** are recorded through the application itself (commands, on
  an in-memory store): a province with ``districts`` districts, ``communes`` communes
  and ``branches`` branches (one residential area each), quotas for 2023-2026, and the
  2025-07-01 reform the demo has too (communes moved under the province, pairs of
  communes merged, districts dissolved). Their stored events are taken as they are.
- **The candidacies and the roster** are the demo province's (``api.demo``: about 300
  candidacies through every stage and outcome, with refusals, withdrawals, transfers, a
  correction, plus its roster of members), recorded through the application on an
  in-memory store, then cloned ``clones`` times: every stream gets a fresh uuid4, every
  branch a candidacy names (nomination, transfers) becomes a random branch of the
  benchmark tree, every other unit of the demo becomes the candidacy's commune or the
  province, and every candidate gets a freshly drawn person (sex, ethnicity, date of
  birth, religion, Youth Union, education, sector), copied into the member record the
  ceremony creates. Dates stay as the demo planned them (the rules of their day hold);
  recording times are rewritten so that they rise with the notification id.

The rows are written with ``COPY`` straight into the application's events table, day by
day: the tree and quota events of a day first, then every clone's events of that day
(clones in random order, each clone's in version order). The payloads are the stored
bytes of the mapper (orjson); ids and recording times are replaced in the bytes. The hash
chains (``prev_hash``) of cloned streams are therefore not valid: the projections do not
check them, ``ketnap verify`` would.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4, uuid5

import orjson
import psycopg
from psycopg import sql

from api.demo import data as d
from api.demo.loader import load_demo
from domain.events import recorded_day
from domain.organisation import OrganisationKind
from domain.quota import SubTargets
from domain.values import Period
from tests.scenario import FixedClock, make_app
from workflows import commands as c
from workflows.application import Admissions
from workflows.context import Actor

__all__ = [
    "GENERATOR_VERSION",
    "BenchHistory",
    "BenchTree",
    "Row",
    "build_tree",
    "clones_for",
    "demo_templates",
    "history_rows",
    "unit_id",
    "write_history",
]

GENERATOR_VERSION = "1"
TABLE = "ketnap_events"
NAMESPACE = uuid5(d.DEMO_NAMESPACE, "bench/projections")
BOARD = Actor(actor="bench@ketnap.test", role="admin", request_id="bench-tree")
REFORM_ON = d.REFORM_ON
QUOTA_SET_ON = {
    2023: date(2023, 1, 3),
    2024: date(2024, 1, 8),
    2025: date(2025, 1, 6),
    2026: date(2026, 1, 5),
}
UUID_RE = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PROFILES = tuple(d.ETHNIC_MIX)
Row = tuple[UUID, int, str, bytes]  # originator_id, originator_version, topic, state
Progress = Callable[[int, int], None]


# --- the tree and the quotas, through the application ----------------------------------


@dataclass
class BenchTree:
    """The benchmark province and the stored events that built it (in recording order)."""

    province: UUID
    districts: list[UUID]
    communes: list[UUID]
    branches: list[UUID]
    commune_of: dict[UUID, UUID]  # branch -> its commune (before the reform)
    merged: dict[UUID, UUID]  # commune -> the commune it was merged into on REFORM_ON
    rows: list[tuple[datetime, Row]] = field(default_factory=list)


def unit_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"org:{code}")


def build_tree(districts: int, communes: int, branches: int, admitted_per_year: int) -> BenchTree:
    """Record the benchmark tree, its residential areas, its quotas and the reform through
    the application on an in-memory store; return its ids and stored events."""
    clock = FixedClock(datetime.combine(d.RECORDING_STARTS, time(0, 0), tzinfo=UTC))
    app = make_app(clock=clock)
    step = timedelta(milliseconds=1)

    def at(day: date) -> None:
        clock.now = max(clock.now + step, datetime.combine(day, time(0, 0), tzinfo=UTC))

    def found(code: str, name: str, kind: OrganisationKind, parent: UUID | None) -> UUID:
        at(d.RECORDING_STARTS)
        command = c.FoundOrganisation(
            id=unit_id(code),
            code=code,
            name=name,
            kind=kind,
            parent_id=parent,
            effective_on=d.FOUNDED_ON,
        )
        return app.found_organisation(command, BOARD).id

    province = found("TU-BENCH", "Tỉnh ủy Benchmark", OrganisationKind.PROVINCE, None)
    tree = BenchTree(province, [], [], [], {}, {})
    per_district = max(1, communes // districts)
    per_commune = max(1, branches // communes)
    for i in range(districts):
        tree.districts.append(
            found(f"H{i + 1:02d}", f"Huyện ủy {i + 1}", OrganisationKind.DISTRICT, province)
        )
    for j in range(communes):
        parent = tree.districts[min(j // per_district, districts - 1)]
        tree.communes.append(
            found(f"X{j + 1:03d}", f"Đảng bộ xã {j + 1}", OrganisationKind.COMMUNE, parent)
        )
    for k in range(branches):
        commune = tree.communes[min(k // per_commune, communes - 1)]
        branch = found(f"CB{k + 1:05d}", f"Chi bộ thôn {k + 1}", OrganisationKind.BRANCH, commune)
        tree.branches.append(branch)
        tree.commune_of[branch] = commune
        at(d.RECORDING_STARTS)
        area = c.AssignResidentialArea(
            code=f"CB{k + 1:05d}-KV1", name=f"Thôn {k + 1}", kind="thon", effective_on=d.FOUNDED_ON
        )
        app.assign_area(branch, area, BOARD)

    # Quotas: the province and the communes every year, the districts until the reform.
    def quota(unit: UUID, year: int, target: int) -> None:
        at(QUOTA_SET_ON[year])
        subs = SubTargets(
            women=round(target * 0.4),
            ethnic_minority=round(target * 0.3),
            youth_union=round(target * 0.5),
        )
        app.set_quota(
            unit, Period.parse(str(year)), c.SetQuota(target=target, sub_targets=subs), BOARD
        )

    # One pair of communes per district merges on REFORM_ON (the second into the first).
    for i in range(districts):
        first = i * per_district
        if first + 1 < communes and per_district >= 2:
            tree.merged[tree.communes[first + 1]] = tree.communes[first]
    for year in sorted(QUOTA_SET_ON):
        quota(province, year, admitted_per_year)
        if year <= REFORM_ON.year:
            for unit in tree.districts:
                quota(unit, year, max(1, admitted_per_year // districts))
        for unit in tree.communes:
            if year > REFORM_ON.year and unit in tree.merged:
                continue
            share = admitted_per_year // communes
            quota(unit, year, max(1, share * 2 if unit in tree.merged.values() else share))
        if year == REFORM_ON.year:  # the reform, recorded on its day
            for into in sorted(set(tree.merged.values())):
                at(REFORM_ON)
                rename = c.RenameOrganisation(
                    name=f"Đảng bộ xã mới {tree.communes.index(into)}", effective_on=REFORM_ON
                )
                app.rename_organisation(into, rename, BOARD)
            for unit in tree.communes:
                if unit not in tree.merged:
                    at(REFORM_ON)
                    move = c.MoveOrganisation(new_parent_id=province, effective_on=REFORM_ON)
                    app.move_organisation(unit, move, BOARD)
            for unit, into in tree.merged.items():
                at(REFORM_ON)
                merge = c.MergeOrganisation(into_id=into, effective_on=REFORM_ON)
                app.merge_organisation(unit, merge, BOARD)
            for unit in tree.districts:
                at(REFORM_ON)
                app.dissolve_organisation(
                    unit, c.DissolveOrganisation(effective_on=REFORM_ON), BOARD
                )
    for n in _all_notifications(app):
        moment = datetime.fromisoformat(orjson.loads(n[3])["timestamp"])
        tree.rows.append((moment, n))
    tree.rows.sort(key=lambda r: r[0])  # recording order (the store's order already)
    return tree


def _all_notifications(app: Admissions) -> list[Row]:
    rows: list[Row] = []
    start = 1
    while True:
        page = app.recorder.select_notifications(start, 10_000)
        if not page:
            return rows
        rows += [(UUID(str(n.originator_id)), n.originator_version, n.topic, n.state) for n in page]
        start = page[-1].id + 1


# --- the demo's candidacies, as templates ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Template:
    """One stored event of the demo, ready to be cloned."""

    stream: str
    version: int
    topic: str
    state: bytes
    day: date
    timestamp: bytes  # the payload's '"timestamp":"..."' as stored
    family: str  # the candidacy a stream belongs to (itself; a member: its candidacy)
    refs: tuple[str, ...]  # demo ids in the payload: streams and units
    kind: int  # 0 as is, 1 a nomination (draw a person), 2 a candidacy's member record


NOMINATION, MEMBER = 1, 2


@dataclass
class Templates:
    by_day: dict[date, list[Template]]
    count: int
    topics: Counter[str]
    home: dict[str, str]  # family -> the demo branch it starts in
    streams: frozenset[str]
    branch_units: frozenset[str]
    province: str


def demo_templates() -> Templates:
    """The demo province recorded on an in-memory store, as templates (its tree and quota
    events left out)."""
    app = make_app()
    load_demo(app)
    units = {str(u.id): u for u in d.UNITS}
    branch_units = frozenset(k for k, u in units.items() if u.kind.is_branch)
    rows = [
        r
        for r in _all_notifications(app)
        if not r[2].startswith(("domain.organisation:", "domain.quota:"))
    ]
    streams = frozenset(str(r[0]) for r in rows)
    family: dict[str, str] = {}
    home: dict[str, str] = {}
    for stream_id, version, topic, state in rows:
        if version != 1:
            continue
        payload = orjson.loads(state)
        s = str(stream_id)
        if topic.endswith(":CandidateNominated"):
            family[s], home[s] = s, payload["branch_id"]
        elif topic.endswith(":MemberRegistered"):
            owner = payload.get("candidacy_id")
            family[s] = owner if owner else s
            if not owner:
                home[s] = payload["branch_id"]
    by_day: dict[date, list[Template]] = defaultdict(list)
    topics: Counter[str] = Counter()
    for stream_id, version, topic, state in rows:
        s = str(stream_id)
        stamp = orjson.loads(state)["timestamp"]
        found = dict.fromkeys(m.decode() for m in UUID_RE.findall(state))
        refs = tuple(r for r in found if r in streams or r in units)
        kind = 0
        if topic.endswith(":CandidateNominated"):
            kind = NOMINATION
        elif topic.endswith(":MemberRegistered") and family.get(s, s) != s:
            kind = MEMBER
        marker = b'"timestamp":"' + stamp.encode() + b'"'
        assert marker in state, topic
        template = Template(
            s,
            version,
            topic,
            state,
            recorded_day(datetime.fromisoformat(stamp)),
            marker,
            family.get(s, s),
            refs,
            kind,
        )
        by_day[template.day].append(template)
        topics[topic] += 1
    return Templates(
        dict(by_day), len(rows), topics, home, streams, branch_units, str(d.BY_KEY["TU-LD"].id)
    )


# --- cloning -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Clone:
    ids: dict[str, tuple[UUID, bytes]] = field(default_factory=dict)
    branches: dict[tuple[str, str], bytes] = field(default_factory=dict)
    persons: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class BenchHistory:
    """What ``history_rows`` produced."""

    events: int = 0
    topics: Counter[str] = field(default_factory=Counter)


def clones_for(target_events: int, templates: Templates, tree: BenchTree) -> int:
    """How many clones of the demo make at least ``target_events`` stored events."""
    return max(1, -(-(target_events - len(tree.rows)) // templates.count))


def history_rows(
    templates: Templates, tree: BenchTree, clones: int, seed: int, history: BenchHistory
) -> Iterator[Row]:
    """Every row of the history in notification order (see the module doc)."""
    rng = random.Random(seed)
    state = [_Clone() for _ in range(clones)]
    bench_branches = [str(b).encode() for b in tree.branches]
    commune_of = {str(b).encode(): str(cm).encode() for b, cm in tree.commune_of.items()}
    province = str(tree.province).encode()
    tree_by_day: dict[date, list[tuple[datetime, Row]]] = defaultdict(list)
    for moment, row in tree.rows:
        tree_by_day[recorded_day(moment)].append((moment, row))
    days = sorted(set(templates.by_day) | set(tree_by_day))
    now = datetime.combine(days[0], time(0, 0), tzinfo=UTC)
    second = timedelta(seconds=1)

    def branch_for(clone: _Clone, family: str, demo_branch: str) -> bytes:
        key = (family, demo_branch)
        found = clone.branches.get(key)
        if found is None:
            found = bench_branches[rng.randrange(len(bench_branches))]
            clone.branches[key] = found
        return found

    def replacement(clone: _Clone, t: Template, ref: str) -> bytes:
        if ref in templates.streams:
            got = clone.ids.get(ref)
            if got is None:
                new = uuid4()
                got = (new, str(new).encode())
                clone.ids[ref] = got
            return got[1]
        if ref in templates.branch_units:
            return branch_for(clone, t.family, ref)
        if ref == templates.province:
            return province
        home = templates.home.get(t.family)
        if home is None:
            return province
        return commune_of[branch_for(clone, t.family, home)]

    for day in days:
        for moment, row in tree_by_day.get(day, ()):
            now = max(now, moment)
            history.events += 1
            history.topics[row[2]] += 1
            yield row
        day_events = templates.by_day.get(day)
        if not day_events:
            continue
        now = max(now, datetime.combine(day, time(1, 30), tzinfo=UTC))
        order = list(range(clones))
        rng.shuffle(order)
        for k in order:
            clone = state[k]
            for t in day_events:
                data = t.state
                if t.kind == NOMINATION:
                    payload = orjson.loads(data)
                    nominated_on = date.fromisoformat(payload["nominated_on"])
                    person = d.candidate(rng, rng.choice(PROFILES), nominated_on)
                    payload["person"] = person.model_dump(mode="json")
                    clone.persons[t.family] = payload["person"]
                    data = orjson.dumps(payload)
                elif t.kind == MEMBER and t.family in clone.persons:
                    payload = orjson.loads(data)
                    drawn = clone.persons[t.family]
                    for key in ("full_name", "sex", "date_of_birth", "ethnicity", "religion"):
                        payload[key] = drawn[key]
                    data = orjson.dumps(payload)
                for ref in t.refs:
                    data = data.replace(ref.encode(), replacement(clone, t, ref))
                now += second
                stamp = b'"timestamp":"' + now.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + b'"'
                data = data.replace(t.timestamp, stamp, 1)
                new_id = clone.ids.get(t.stream)
                if new_id is None:
                    fresh = uuid4()
                    new_id = (fresh, str(fresh).encode())
                    clone.ids[t.stream] = new_id
                history.events += 1
                history.topics[t.topic] += 1
                yield (new_id[0], t.version, t.topic, data)


def write_history(
    conn: psycopg.Connection[Any], rows: Iterator[Row], total: int, progress: Progress | None = None
) -> int:
    """COPY ``rows`` into the events table in one transaction; returns the rows written."""
    statement = sql.SQL(
        "COPY {} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
    ).format(sql.Identifier(TABLE))
    written = 0
    with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(["uuid", "int8", "text", "bytea"])
        for row in rows:
            copy.write_row(row)
            written += 1
            if progress is not None and written % 50_000 == 0:
                progress(written, total)
    if progress is not None:
        progress(written, total)
    return written
