"""Grants join the register ``anchorlib register build`` writes (docs/methodology.md#grants): a grant to a
charity or company that the build found among the payees joins that entry by its number, under whatever
name the funder gives it, with the entry's postcode and flags; the build's files are those of
tests/test_registers.py (the registers' published layouts)."""

from __future__ import annotations

import json

import pandas as pd

from anchorlib import metrics, open_dataset
from anchorlib.data.registers.builder import build_register
from tests.test_registers import dataset, files  # noqa: F401  (the fixture of the registers' files)


def _grant(i, amount, org) -> dict:
    return {
        "id": f"360G-reg-{i}",
        "currency": "GBP",
        "amountAwarded": amount,
        "awardDate": "2023-06-01",
        "recipientOrganization": [org],
        "fundingOrganization": [{"id": "GB-LAE-HCK", "name": "Hackney Council"}],
    }


def test_grants_join_the_built_register_by_charity_and_company_number(tmp_path, files):  # noqa: F811
    root = dataset(tmp_path / "ds")
    build_register(root, [files["zip"]], files["tsv"])
    reg = pd.read_csv(root / "suppliers.csv", dtype=str)
    migrant = reg[reg["supplier_name"] == "HACKNEY MIGRANT CENTRE"].iloc[0]
    assert (migrant["charity_number"], migrant["company_number"]) == ("1098765", "05678901")
    grants = [
        _grant(1, 5000, {"id": "GB-CHC-1098765", "name": "Hackney Migrant Centre (HMC)"}),
        _grant(2, 2000, {"id": "GB-COH-8901234", "name": "Bow Arts"}),  # the leading zero dropped
        _grant(3, 1000, {"id": "GB-CHC-1112223-1", "name": "DYP"}),  # a linked charity's number
    ]
    (root / "grants" / "a1").mkdir(parents=True)
    (root / "grants" / "a1" / "g.json").write_text(json.dumps({"grants": grants}), encoding="utf-8")
    ds = open_dataset(root)
    g = ds.with_flow("grant").payments.set_index("transaction_id")
    by_reg = dict(zip(reg["supplier_name"], reg["postcode"]))
    assert g.loc["360G-reg-1", "match_method"] == "charity number"
    assert g.loc["360G-reg-1", "register_name"] == "HACKNEY MIGRANT CENTRE"
    assert g.loc["360G-reg-2", "match_method"] == "company number"
    assert g.loc["360G-reg-2", "register_name"] == "BOW ARTS CIC"
    dyp = reg[reg["charity_number"] == "1112223"]["supplier_name"].iloc[0]
    assert (
        g.loc["360G-reg-3", "match_method"] == "charity number"
        and g.loc["360G-reg-3", "register_name"] == dyp
    )
    for tid in g.index:  # placed where the register puts the entry (its postcode), all VCSE or not as it says
        assert g.loc[tid, "postcode"] == by_reg[g.loc[tid, "register_name"]].strip().upper()
        assert g.loc[tid, "placed_by"] == "recipient postcode"
    assert bool(g.loc["360G-reg-1", "is_vcse"]) and bool(g.loc["360G-reg-3", "is_vcse"])
    home = ds.area("home", "a1")
    local = sum(
        float(g.loc[t, "amount"]) for t in g.index if g.loc[t, "lad"] == "E09000012"
    )  # the register's postcodes in Hackney
    assert local > 0 and metrics.local_share(metrics.select(ds, flow="grant"), home).local_spend == local
