"""The addressable rule set v2 (docs/methodology.md#addressable-spend): public bodies named as payees,
'pensions' in the plural, and what is left addressable on purpose (universities, charities that call
themselves a council); on hand-worked figures and on the real published spend files."""

from __future__ import annotations

import pandas as pd
import pytest

from anchorlib import metrics, open_dataset
from anchorlib.data.addressable import DEFAULT_RULESET_NAME, PAYEE_REASON, RuleSet, ruleset_from_categories
from tests.builders import supplier, tiny_dataset


def classify(payees, expense_type="Services", rules=None):
    frame = pd.DataFrame(
        {
            "supplier_name": pd.Series(payees, dtype="string"),
            "expense_type": pd.Series([expense_type] * len(payees), dtype="string"),
            "redacted": False,
        }
    )
    return (rules or RuleSet()).classify(frame)["exclusion"].tolist()


@pytest.mark.parametrize(
    "payee, kind",
    [
        ("London Borough of Tower Hamlets", "council"),
        ("Hackney Council", "council"),
        ("NHS North East London ICB", "NHS body"),
        ("Ministry of Justice", "government department or agency"),
        ("Environment Agency", "government department or agency"),
        ("London Fire Brigade", "police or fire authority"),
        ("LONDON BOROUGH OF HACKNEY - BSP", "council"),  # real payees of the published files
        ("PLYMOUTH CITY COUNCIL (RADIUS ACCOUNT", "council"),
        ("TORBAY COUNCIL FINANCE", "council"),
        ("Royal Borough of Kensington & Chelsea", "council"),
        ("West Yorkshire Police Authority", "police or fire authority"),
        ("BRITISH TRANSPORT POLICE", "police or fire authority"),
        ("NHS DEVON ICB", "NHS body"),
        ("H M R C (070 PB 2926)", "government department or agency"),
        ("GOVERNMENT LEGAL DEPARTMENT", "government department or agency"),
    ],
)
def test_public_bodies_named_as_payees_are_not_addressable(payee, kind):
    assert classify([payee]) == [f"{PAYEE_REASON}: {kind}"]


def test_hmrc_was_and_is_a_payment_to_another_public_body():
    """'hm revenue' is a word pattern of v1 on expense type and payee: it keeps its reason."""
    assert classify(["HM Revenue & Customs"]) == ["payment to another public body"]


@pytest.mark.parametrize(
    "payee",
    [
        "Refugee Council",  # charities and trade bodies that call themselves a council
        "Hackney Council for Voluntary Service",
        "British Fashion Council",
        "London Voluntary Service Council",
        "Field Studies Council Blencathra",
        "University of East London",  # universities stay addressable (methodology: a choice, with why)
        "Queen Mary University of London",
        "Police Mutual Assurance Society",  # 'police' followed by another word
        "Fire Brigades Union",
        "Ministry of Sound Ltd",
        "Post Office Ltd",  # publicly owned, but a supplier like any other
        "Peabody Trust",
    ],
)
def test_what_stays_addressable(payee):
    assert pd.isna(classify([payee])[0])


def test_pensions_in_the_plural_and_the_pensions_fund():
    assert classify(["Acme Ltd"], "Pensions") == ["pensions"]
    assert classify(["London Pensions Fund Authority"], "Contributions") == ["payment to another public body"]
    assert pd.isna(classify(["Acme Ltd"], "Pensioners' lunch club")[0])


def test_categories_csv_makes_an_expense_type_addressable_again():
    rules = ruleset_from_categories(
        pd.DataFrame({"expense_type": ["Shared Services"], "category": ["Shared"], "addressable": [True]})
    )
    assert pd.isna(classify(["London Borough of Tower Hamlets"], "Shared Services", rules)[0])
    assert (
        rules.name
        == f"{DEFAULT_RULESET_NAME} + categories.csv"
        == "anchorlib default exclusions v2 + categories.csv"
    )


def test_a_council_paid_as_a_supplier_leaves_the_addressable_spend(tmp_path):
    """a1 pays Acme (Hackney, local) £1,000 and the London Borough of Tower Hamlets £2,000 for 'Shared
    Services', an expense type no pattern matches. v1 counted the £2,000 as addressable, of unknown location
    (the borough is not in the register): addressable £3,000, local £1,000, leakage £2,000 (all unknown).
    v2 excludes it: total £3,000, addressable £1,000, local £1,000, leakage £0, local share 1,000 / 1,000."""
    root = tiny_dataset(
        tmp_path,
        suppliers=[supplier("Acme Ltd", "E8 1AA")],
        spend={
            "a1": [
                ("Cleaning", "01/05/2023", "1000", "Acme Ltd"),
                ("Shared Services", "02/05/2023", "2000", "London Borough of Tower Hamlets"),
            ]
        },
    )
    ds = open_dataset(root)
    (a1,) = metrics.summary(ds)["anchors"]
    assert (a1["total_spend"], a1["addressable_spend"], a1["local_spend"]) == (3000, 1000, 1000)
    assert (a1["leakage"], a1["unknown_location_spend"], a1["local_share"]) == (0, 0, 1.0)
    excluded = ds.payments.set_index("supplier_name")["exclusion"]
    assert excluded["London Borough of Tower Hamlets"] == "public body named as payee: council"


@pytest.mark.real
def test_the_payee_rule_on_the_real_published_spend_files(real_dir):
    """On the 12 published spend files (83,157 payments, 15,017 payees as written), the payee rule moves
    250 payees, 2,188 payments and £295,322,635.65 out of addressable spend that no word of their expense
    type excluded: councils 187 payees £264,344,454.99; government 43, £12,542,247.80; police and fire 10,
    £9,866,313.22; NHS 10, £8,569,619.64. Addressable spend of the files is then £1,676,040,906.30."""
    from anchorlib.data.ingest import load_spend_file

    p = pd.concat([load_spend_file(f)[0] for f in sorted((real_dir / "spend").iterdir())], ignore_index=True)
    got = RuleSet().classify(p)
    assert (len(p), p["supplier_name"].nunique()) == (83157, 15017)
    moved = p[got["exclusion"].str.startswith(PAYEE_REASON).fillna(False)].assign(kind=got["exclusion"])
    by = moved.groupby("kind").agg(payees=("supplier_name", "nunique"), spend=("amount", "sum"))
    assert by["payees"].to_dict() == {
        f"{PAYEE_REASON}: NHS body": 10,
        f"{PAYEE_REASON}: council": 187,
        f"{PAYEE_REASON}: government department or agency": 43,
        f"{PAYEE_REASON}: police or fire authority": 10,
    }
    assert by["spend"].round(2).to_dict() == {
        f"{PAYEE_REASON}: NHS body": 8569619.64,
        f"{PAYEE_REASON}: council": 264344454.99,
        f"{PAYEE_REASON}: government department or agency": 12542247.80,
        f"{PAYEE_REASON}: police or fire authority": 9866313.22,
    }
    assert (moved["supplier_name"].nunique(), len(moved)) == (250, 2188)
    assert round(moved["amount"].sum(), 2) == 295322635.65
    assert round(p.loc[got["addressable"], "amount"].sum(), 2) == 1676040906.30
    names = set(moved["supplier_name"])
    assert {
        "LONDON BOROUGH OF TOWER HAMLETS",
        "HARINGEY COUNCIL",
        "NHS DEVON ICB",
        "ENVIRONMENT AGENCY",
    } <= names
    kept = set(p.loc[got["addressable"], "supplier_name"])
    assert {
        "UNIVERSITY OF EAST LONDON",
        "BRITISH FASHION COUNCIL",
        "Post Office Ltd",
        "PEABODY TRUST",
    } <= kept
