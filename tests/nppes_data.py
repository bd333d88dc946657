"""NPPES test files in the real Data Dissemination column layout, with fictional people.

The header is the published ``npidata_pfile`` layout: 330 columns, of which the reader
uses a few by name. Every person, NPI and address here is made up (the NPIs only pass the
Luhn check).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HEAD = [
    "NPI",
    "Entity Type Code",
    "Replacement NPI",
    "Employer Identification Number (EIN)",
    "Provider Organization Name (Legal Business Name)",
    "Provider Last Name (Legal Name)",
    "Provider First Name",
    "Provider Middle Name",
    "Provider Name Prefix Text",
    "Provider Name Suffix Text",
    "Provider Credential Text",
    "Provider Other Organization Name",
    "Provider Other Organization Name Type Code",
    "Provider Other Last Name",
    "Provider Other First Name",
    "Provider Other Middle Name",
    "Provider Other Name Prefix Text",
    "Provider Other Name Suffix Text",
    "Provider Other Credential Text",
    "Provider Other Last Name Type Code",
    "Provider First Line Business Mailing Address",
    "Provider Second Line Business Mailing Address",
    "Provider Business Mailing Address City Name",
    "Provider Business Mailing Address State Name",
    "Provider Business Mailing Address Postal Code",
    "Provider Business Mailing Address Country Code (If outside U.S.)",
    "Provider Business Mailing Address Telephone Number",
    "Provider Business Mailing Address Fax Number",
    "Provider First Line Business Practice Location Address",
    "Provider Second Line Business Practice Location Address",
    "Provider Business Practice Location Address City Name",
    "Provider Business Practice Location Address State Name",
    "Provider Business Practice Location Address Postal Code",
    "Provider Business Practice Location Address Country Code (If outside U.S.)",
    "Provider Business Practice Location Address Telephone Number",
    "Provider Business Practice Location Address Fax Number",
    "Provider Enumeration Date",
    "Last Update Date",
    "NPI Deactivation Reason Code",
    "NPI Deactivation Date",
    "NPI Reactivation Date",
    "Provider Sex Code",
    "Authorized Official Last Name",
    "Authorized Official First Name",
    "Authorized Official Middle Name",
    "Authorized Official Title or Position",
    "Authorized Official Telephone Number",
]


def header(old_gender: bool = False) -> list[str]:
    """The 330 published column names (``Provider Gender Code`` in older files)."""
    cols = list(HEAD)
    if old_gender:
        cols[cols.index("Provider Sex Code")] = "Provider Gender Code"
    for n in range(1, 16):
        cols += [
            f"Healthcare Provider Taxonomy Code_{n}",
            f"Provider License Number_{n}",
            f"Provider License Number State Code_{n}",
            f"Healthcare Provider Primary Taxonomy Switch_{n}",
        ]
    for n in range(1, 51):
        cols += [
            f"Other Provider Identifier_{n}",
            f"Other Provider Identifier Type Code_{n}",
            f"Other Provider Identifier State_{n}",
            f"Other Provider Identifier Issuer_{n}",
        ]
    cols += [
        "Is Sole Proprietor",
        "Is Organization Subpart",
        "Parent Organization LBN",
        "Parent Organization TIN",
        "Authorized Official Name Prefix Text",
        "Authorized Official Name Suffix Text",
        "Authorized Official Credential Text",
    ]
    cols += [f"Healthcare Provider Taxonomy Group_{n}" for n in range(1, 16)]
    cols.append("Certification Date")
    return cols


def person(
    npi: str,
    last: str,
    first: str,
    *,
    middle: str = "",
    prefix: str = "",
    suffix: str = "",
    credential: str = "",
    sex: str = "",
    address: tuple[str, str, str, str, str] = ("", "", "", "", ""),
    phone: str = "",
    taxonomies: list[tuple[str, bool]] = (),
    entity: str = "1",
) -> dict[str, str]:
    """One row; ``address`` is (line 1, line 2, city, state, postal code)."""
    row = {
        "NPI": npi,
        "Entity Type Code": entity,
        "Provider Last Name (Legal Name)": last,
        "Provider First Name": first,
        "Provider Middle Name": middle,
        "Provider Name Prefix Text": prefix,
        "Provider Name Suffix Text": suffix,
        "Provider Credential Text": credential,
        "Provider Sex Code": sex,
        "Provider First Line Business Mailing Address": "PO BOX 4410",
        "Provider Business Mailing Address City Name": address[2],
        "Provider Business Mailing Address State Name": address[3],
        "Provider Business Mailing Address Postal Code": "303024410",
        "Provider Business Mailing Address Country Code (If outside U.S.)": "US",
        "Provider First Line Business Practice Location Address": address[0],
        "Provider Second Line Business Practice Location Address": address[1],
        "Provider Business Practice Location Address City Name": address[2],
        "Provider Business Practice Location Address State Name": address[3],
        "Provider Business Practice Location Address Postal Code": address[4],
        "Provider Business Practice Location Address Country Code (If outside U.S.)": "US",
        "Provider Business Practice Location Address Telephone Number": phone,
        "Provider Enumeration Date": "05/23/2007",
        "Last Update Date": "07/08/2025",
        "Is Sole Proprietor": "N",
        "Certification Date": "07/08/2025",
    }
    for n, (code, primary) in enumerate(taxonomies, 1):
        row[f"Healthcare Provider Taxonomy Code_{n}"] = code
        row[f"Provider License Number_{n}"] = f"LIC{npi[-5:]}{n}"
        row[f"Provider License Number State Code_{n}"] = address[3]
        row[f"Healthcare Provider Primary Taxonomy Switch_{n}"] = "Y" if primary else "N"
    return row


def deactivated(npi: str, date: str = "03/14/2025") -> dict[str, str]:
    """A deactivated NPI as NPPES publishes it: the NPI and the deactivation date only."""
    return {"NPI": npi, "NPI Deactivation Date": date}


def organisation(npi: str, name: str) -> dict[str, str]:
    """An organisation (entity type 2) row, which the reader skips."""
    row = person(npi, "", "", address=("1 PLAZA", "", "ATLANTA", "GA", "30303"), entity="2")
    row["Provider Organization Name (Legal Business Name)"] = name
    row["Authorized Official Last Name"] = "OFFICIAL"
    return row


def to_csv(rows: list[dict[str, str]], old_gender: bool = False) -> str:
    """The file text: every column quoted, as CMS publishes it."""
    cols = header(old_gender)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        if old_gender and "Provider Sex Code" in row:
            row = {**row, "Provider Gender Code": row["Provider Sex Code"]}
        writer.writerow([row.get(c, "") for c in cols])
    return out.getvalue()


# The fictional registry used by the tests and written to tests/fixtures/nppes/.
EXEC_PARK = ("12 EXECUTIVE PARK DRIVE NE", "RM 388", "ATLANTA", "GA", "303292210")
CLAIRMONT = ("1500 CLAIRMONT RD", "SUITE 400", "DECATUR", "GA", "300331234")


def sample_rows() -> list[dict[str, str]]:
    """Several taxonomies with a primary switch, a deactivated stub, an organisation."""
    return [
        person(
            "1555010002",
            "NGUYEN",
            "ANH",
            middle="T",
            prefix="DR.",
            suffix="JR.",
            credential="M.D.",
            sex="F",
            address=EXEC_PARK,
            phone="4045550142",
            taxonomies=[("207X00000X", False), ("207Q00000X", True), ("208100000X", False)],
        ),
        person(
            "1555010010",
            "PIERRE",
            "JEAN-BAPTISTE",
            credential="D.O., PH.D.",
            sex="M",
            address=CLAIRMONT,
            phone="4045550177",
            taxonomies=[("207X00000X", True)],
        ),
        organisation("1555010028", "EXECUTIVE PARK ORTHOPAEDICS LLC"),
        deactivated("1555010036"),
        person(
            "1555010044",
            "ÖZTÜRK",
            "İBRAHİM",
            credential="PT, DPT",
            sex="M",
            address=("400 W PEACHTREE ST NW", "STE 5", "ATLANTA", "GA", "30308"),
            phone="4045550199",
            taxonomies=[("225100000X", True), ("XXXXXXXXXX", False)],
        ),
    ]


def write_sample(path: Path, old_gender: bool = False) -> Path:
    """Write the sample registry file."""
    path.write_text(to_csv(sample_rows(), old_gender), encoding="utf-8")
    return path
