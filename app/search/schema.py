"""The Whoosh schema and the documents built from the database (one per public listing)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select
from whoosh.analysis import CharsetFilter, NgramFilter, SpaceSeparatedTokenizer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

from app.models import (
    InsurancePlan,
    Language,
    Location,
    Provider,
    ProviderLocation,
    ProviderPhoto,
    ProviderSpecialty,
    Specialty,
    provider_insurance,
    provider_language,
)
from app.models.visibility import public_clinic, public_listing
from app.search import cards
from app.search.text import name_terms, sort_key
from app.search.types import (
    Card,
    CardLanguage,
    CardLocation,
    CardLocationLink,
    CardPhoto,
    CardSpecialty,
    CardSpecialtyLink,
)

# The layout of what the index stores. Bump it when that changes: an index of another
# format is rebuilt once (``indexer.apply_changes``) and never read meanwhile.
# 2: result cards are typed ``Card`` structs (format 1 stored untyped dicts, or no cards).
INDEX_FORMAT = 2

# Names are folded and split by app.search.text before they reach Whoosh, so the index and
# the query side always agree; the prefix field holds edge n-grams of those name terms.
_NAME = SpaceSeparatedTokenizer()
_PREFIX = SpaceSeparatedTokenizer() | NgramFilter(minsize=2, maxsize=12, at="start")
_STEMMED = StemmingAnalyzer() | CharsetFilter(accent_map)


def make_schema() -> Schema:
    """The provider index schema."""
    schema = Schema(
        id=ID(stored=True, unique=True),
        name=TEXT(analyzer=_NAME, phrase=False),
        last=TEXT(analyzer=_NAME, phrase=False),
        name_prefix=TEXT(analyzer=_PREFIX, phrase=False),
        specialty_text=TEXT(analyzer=_STEMMED, phrase=False),
        specialty=KEYWORD,
        clinic=KEYWORD,
        language=KEYWORD,
        insurance=KEYWORD,
        gender=ID,
        accepting=ID,
        telehealth=ID,
        lat=NUMERIC(float, shift_step=0),
        lon=NUMERIC(float, shift_step=0),
        data=STORED,
        card=STORED,
    )
    # Whoosh 2.7 stats the disk once per posting of any field without a length column while
    # writing a segment (docs/benchmarks.md); giving every indexed field lengths makes
    # writing several times faster.
    for name in schema.names():
        field = schema[name]
        if field.indexed and not field.scorable:
            field.scorable = True
    return schema


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _rows(conn, stmt, column, ids: list[int] | tuple[int, int] | None) -> Iterable:
    if ids is None:
        yield from conn.execute(stmt)
        return
    if isinstance(ids, tuple):
        yield from conn.execute(stmt.where(column.between(*ids)))
        return
    for chunk in _chunks(ids):
        yield from conn.execute(stmt.where(column.in_(chunk)))


def load_documents(
    conn, ids: Iterable[int] | None = None, id_range: tuple[int, int] | None = None
) -> dict[int, dict]:
    """Documents for the given ids, an inclusive id range, or all public listings (with
    their public clinics only: ``app.models.visibility``)."""
    id_list = id_range if id_range else None if ids is None else sorted(set(ids))
    docs = _providers(conn, id_list)
    if docs:
        _add_specialties(conn, id_list, docs)
        _add_locations(conn, id_list, docs)
        _add_languages_and_plans(conn, id_list, docs)
        for doc in docs.values():
            doc["card"] = _card(doc)
    return docs


def _providers(conn, id_list: list[int] | tuple[int, int] | None) -> dict[int, dict]:
    """Step 1: one document per public listing, with its own columns and a card's parts."""
    p = Provider.__table__.c
    docs: dict[int, dict] = {}
    stmt = (
        select(
            p.id,
            p.slug,
            p.first_name,
            p.middle_name,
            p.last_name,
            p.suffix,
            p.credentials,
            p.gender,
            p.accepting_new_patients,
            p.telehealth,
            p.sees_children,
            ProviderPhoto.__table__.c.digest.label("photo"),
        )
        .select_from(
            Provider.__table__.outerjoin(
                ProviderPhoto.__table__, ProviderPhoto.__table__.c.provider_id == p.id
            )
        )
        .where(public_listing())
    )
    for r in _rows(conn, stmt, p.id, id_list):
        full = " ".join(x for x in (r.first_name, r.middle_name, r.last_name) if x)
        full = f"{full} {r.suffix}".strip() if r.suffix else full
        docs[r.id] = {
            "pid": r.id,
            "slug": r.slug,
            "name": f"{full}, {r.credentials}" if r.credentials else full,
            "parts": (r.first_name, r.middle_name, r.last_name),
            "sk": sort_key(r.last_name, r.first_name),
            "g": r.gender or "",
            "acc": bool(r.accepting_new_patients),
            "tel": bool(r.telehealth),
            "wc": False,
            "kid": bool(r.sees_children),
            "spec": [],
            "spec_text": [],
            "locs": [],
            "lang": [],
            "ins": [],
            "card": {
                "photo": r.photo or "",
                "ini": "".join(x[0] for x in (r.first_name, r.last_name) if x).upper(),
                "cred": r.credentials or "",
                "full": full,
                "spec": [],
                "locs": [],
                "lang": [],
            },
        }
    return docs


def _add_specialties(conn, id_list, docs: dict[int, dict]) -> None:
    """Step 2: each document's specialties, primary first."""
    ps, s = ProviderSpecialty.__table__.c, Specialty.__table__.c
    stmt = (
        select(ps.provider_id, ps.is_primary, s.code, s.slug, s.display_name)
        .join(Specialty.__table__, s.id == ps.specialty_id)
        .order_by(ps.provider_id, ps.is_primary.desc(), ps.position)
    )
    for r in _rows(conn, stmt, ps.provider_id, id_list):
        if doc := docs.get(r.provider_id):
            doc["spec"].append(r.slug)
            doc["spec_text"].append(r.display_name)
            doc["card"]["spec"].append(
                CardSpecialtyLink(CardSpecialty(r.code, r.display_name, r.slug), bool(r.is_primary))
            )


def _add_locations(conn, id_list, docs: dict[int, dict]) -> None:
    """Step 3: each document's public clinics, in the provider's order."""
    pl, loc = ProviderLocation.__table__.c, Location.__table__.c
    stmt = (
        select(
            pl.provider_id,
            pl.phone.label("own_phone"),
            loc.id,
            loc.slug,
            loc.name,
            loc.city,
            loc.state,
            loc.zip,
            loc.phone,
            loc.latitude,
            loc.longitude,
            loc.wheelchair_entrance,
        )
        .join(Location.__table__, loc.id == pl.location_id)
        .where(public_clinic())
        .order_by(pl.provider_id, pl.position)
    )
    for r in _rows(conn, stmt, pl.provider_id, id_list):
        if doc := docs.get(r.provider_id):
            doc["locs"].append((r.id, r.slug, r.latitude, r.longitude))
            doc["wc"] = doc["wc"] or bool(r.wheelchair_entrance)
            phone = r.own_phone or r.phone or ""
            doc["card"]["locs"].append(
                CardLocationLink(CardLocation(r.id, r.slug, r.name, r.city, r.state, r.zip), phone)
            )


def _add_languages_and_plans(conn, id_list, docs: dict[int, dict]) -> None:
    """Step 4: each document's languages and insurance plans."""
    for table, ref, col, key in (
        (provider_language, Language.__table__, "language_id", "lang"),
        (provider_insurance, InsurancePlan.__table__, "insurance_plan_id", "ins"),
    ):
        value = ref.c.code if key == "lang" else ref.c.slug
        stmt = (
            select(table.c.provider_id, value, ref.c.name)
            .join(ref, ref.c.id == table.c[col])
            .order_by(table.c.provider_id, value)
        )
        for pid, v, label in _rows(conn, stmt, table.c.provider_id, id_list):
            if doc := docs.get(pid):
                doc[key].append(v)
                if key == "lang":
                    doc["card"]["lang"].append(CardLanguage(v, label))


def _card(doc: dict) -> Card:
    """A loaded document's result card."""
    parts = doc["card"]
    return Card(
        id=doc["pid"],
        slug=doc["slug"],
        full_name=parts["full"],
        credentials=parts["cred"],
        photo=CardPhoto(parts["photo"]) if parts["photo"] else None,
        initials=parts["ini"],
        accepting_new_patients=doc["acc"],
        telehealth=doc["tel"],
        specialty_links=tuple(parts["spec"]),
        active_location_links=tuple(parts["locs"]),
        # as Provider.languages orders them
        languages=tuple(sorted(parts["lang"], key=lambda lang: lang.name)),
    )


def spec_names(conn) -> dict[str, str]:
    """Specialty slug -> display name."""
    s = Specialty.__table__.c
    return dict(conn.execute(select(s.slug, s.display_name)).all())


def whoosh_fields(doc: dict, names: dict[str, str]) -> dict:
    """Turn a loaded document into the fields Whoosh indexes and stores."""
    first, middle, last = doc["parts"]
    terms = name_terms(first, middle, last)
    located = [(lid, slug, lat, lon) for lid, slug, lat, lon in doc["locs"]]
    primary = doc["spec"][0] if doc["spec"] else ""
    fields = {
        "id": str(doc["pid"]),
        "name": " ".join(terms),
        "last": " ".join(name_terms(last)),
        "name_prefix": " ".join(terms),
        "specialty_text": " ".join(doc["spec_text"]),
        "specialty": " ".join(doc["spec"]),
        "clinic": " ".join(slug for _, slug, _, _ in located),
        "language": " ".join(doc["lang"]),
        "insurance": " ".join(doc["ins"]),
        "gender": doc["g"] or "none",
        "accepting": "1" if doc["acc"] else "0",
        "telehealth": "1" if doc["tel"] else "0",
        "data": {
            "pid": doc["pid"],
            "slug": doc["slug"],
            "name": doc["name"],
            "sk": doc["sk"],
            "first": first,
            "last": last,
            "spec": doc["spec"],
            "spec_name": names.get(primary, ""),
            "locs": located,
            "lang": doc["lang"],
            "ins": doc["ins"],
            "g": doc["g"],
            "acc": doc["acc"],
            "tel": doc["tel"],
            "wc": doc["wc"],
            "kid": doc["kid"],
        },
        # What a result card and the API summary show, so a page of results needs no SQL.
        "card": cards.encode(doc["card"]),
    }
    coords = [(lat, lon) for _, _, lat, lon in located if lat is not None and lon is not None]
    if coords:
        fields["lat"] = [c[0] for c in coords]
        fields["lon"] = [c[1] for c in coords]
    return fields
