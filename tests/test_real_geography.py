"""Geography from the files people really have (../shared/real; skipped when absent).

Expected deciles were read by hand from the published IoD2019 File 1, e.g.
``E01003318,Lewisham 020B,E09000023,Lewisham,"2,640",1``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from anchorlib.data.places import LONDON_REGION, read_geography, read_imd
from tests.builders import supplier, tiny_dataset, write_csv

LEWISHAM = "E09000023"
LOOKUP = "postcodes/lewisham_lbl_postcode_oa11_lsoa11_msoa11_wd22.csv"
FILE_1 = "imd/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
FILE_2 = "imd/File_2_-_IoD2019_Domains_of_Deprivation.csv"
IOD2025 = "imd/humaniverse_imd2025_england_lsoa21.csv"


@pytest.fixture(scope="module")
def lewisham(real_dir):
    return read_geography(real_dir / LOOKUP, real_dir / FILE_1)


def test_lewisham_lookup_with_file_1(lewisham):
    g = lewisham
    assert (g.imd_vintage, g.lsoa_vintage, g.notes) == ("IoD2019 (LSOA 2011)", "LSOA 2011", [])
    assert len(g.postcodes) == 8419 and len(g.imd) == 32844
    got = g.locate(pd.Series(["se6 2ur", "SE146BG", " SE26  6BQ ", "BR1 4PN", "E8 1AA", "SE6 2U", None]))
    assert got["postcode"].tolist()[:5] == ["SE6 2UR", "SE14 6BG", "SE26 6BQ", "BR1 4PN", "E8 1AA"]
    assert got["lsoa"].tolist()[:4] == ["E01003318", "E01003246", "E01003331", "E01003243"]
    assert got["imd_decile"].tolist()[:4] == [1, 2, 3, 2]
    assert got["lad"].tolist()[:4] == [LEWISHAM] * 4
    assert got["rgn"].tolist()[:4] == [LONDON_REGION] * 4  # no region column: E09 LADs are London
    # BR1 4PN was terminated in 2009: still located. E8 1AA is valid but not in Lewisham's lookup,
    # 'SE6 2U' and None are not postcodes: all three are unknown location.
    assert got[["lad", "imd_decile"]].iloc[4:].isna().all().all()


def test_file_2_and_iod2025(real_dir):
    f1, _ = read_imd(real_dir / FILE_1)
    f2, v2 = read_imd(real_dir / FILE_2)  # decile column with "(where 1 is most deprived 10% of LSOAs)"
    assert v2 == "IoD2019 (LSOA 2011)"
    assert f2.set_index("lsoa")["imd_decile"].equals(f1.set_index("lsoa")["imd_decile"])
    d25, v25 = read_imd(real_dir / IOD2025)
    assert v25 == "IoD2025 (LSOA 2021)" and len(d25) == 33755
    assert d25.set_index("lsoa").loc["E01000001", "imd_decile"] == 8  # 9 in 2019


def test_lsoa_vintage_mismatch_is_reported_not_joined(real_dir):
    g = read_geography(real_dir / LOOKUP, real_dir / IOD2025)
    assert "LSOA 2011" in g.notes[0] and "IoD2025" in g.notes[0]
    assert g.locate(pd.Series(["SE6 2UR"]))["imd_decile"].isna().all()


def test_summary_on_lewishams_lookup_and_file_1_as_published(real_dir, tmp_path):
    """DONE WHEN of issue 4: local, unknown-location and IMD 1-2 figures from the real files."""
    root = tiny_dataset(
        tmp_path,
        anchors=[
            ["lbl", "Lewisham Council", "council", LEWISHAM],
            ["rbg", "Greenwich Council", "council", "E09000011"],
        ],
        suppliers=[
            supplier("Catford Cleaning Ltd", "se6 2ur"),  # decile 1
            supplier("Deptford Print Ltd", "SE146BG"),  # decile 2
            supplier("Sydenham Joinery", " SE26  6BQ "),  # decile 3
            supplier("Bromley Road Florist", "BR1 4PN"),  # terminated postcode, decile 2
            supplier("Bad Postcode Ltd", "SE6 ZZZ"),  # malformed: unknown
            supplier("Manchester Widgets Ltd", "M1 1AA"),
        ],  # not in the lookup: unknown
        spend={
            "lbl": [
                ("Supplies", "01/05/2023", "1000", "Catford Cleaning Limited"),
                ("Supplies", "02/05/2023", "2000", "DEPTFORD PRINT LTD"),
                ("Supplies", "03/05/2023", "500", "Sydenham Joinry"),
                ("Supplies", "04/05/2023", "250", "Bromley Road Florist"),
                ("Supplies", "05/05/2023", "300", "Bad Postcode Ltd"),
                ("Supplies", "06/05/2023", "400", "Manchester Widgets Ltd"),
                ("Supplies", "07/05/2023", "700", "Unregistered Payee"),
            ],
            "rbg": [
                ("Supplies", "01/05/2023", "600", "Deptford Print Ltd"),
                ("Supplies", "02/05/2023", "900", "Bad Postcode Ltd"),
            ],
        },
    )
    shutil.copyfile(real_dir / LOOKUP, root / "geography" / "postcodes.csv")
    shutil.copyfile(real_dir / FILE_1, root / "geography" / "imd.csv")

    def summary(*extra):
        r = subprocess.run(
            [sys.executable, "-m", "anchorlib.cli", "summary", "--data", str(root), "--json", *extra],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr
        return {a["anchor_id"]: a for a in json.loads(r.stdout)["anchors"]}, json.loads(r.stdout)

    from anchorlib import open_dataset

    note = (
        "suppliers.csv: 2 of 6 suppliers have an unknown location "
        "(1 malformed postcode, 0 blank, 1 not in geography/postcodes.csv)"
    )
    # Lewisham's lookup holds no Greenwich postcode: Greenwich's home share below is 0 and the notes say why
    greenwich = (
        "anchors.csv: no postcode of geography/postcodes.csv is in E09000011 "
        "(the home area of anchor 'rbg'): no supplier can be local to it"
    )
    assert open_dataset(root).notes == [note, greenwich]
    home, raw = summary()
    lbl, rbg = home["lbl"], home["rbg"]
    assert raw["choices"]["imd_vintage"] == "IoD2019 (LSOA 2011)"
    assert lbl["addressable_spend"] == 5150
    assert lbl["local_spend"] == 3750  # 1000 + 2000 + 500 (fuzzy) + 250 (terminated postcode)
    assert lbl["unknown_location_spend"] == 1400  # 300 malformed + 400 outside the lookup + 700 unregistered
    assert lbl["local_share"] == pytest.approx(1.0)
    assert (rbg["local_spend"], rbg["unknown_location_spend"], rbg["local_share"]) == (0, 900, 0.0)
    london, _ = summary("--area", "london")
    assert london["rbg"]["local_spend"] == 600 and london["rbg"]["local_share"] == pytest.approx(1.0)
    write_csv(
        root / "areas.csv",
        ["area_id", "name", "lads"],
        [["south_east", "Lewisham & Greenwich", f"{LEWISHAM};E09000011"]],
    )
    sel, _ = summary("--area", "south_east")
    assert sel["rbg"]["local_spend"] == 600

    imd = lbl["groups"]["imd_1_2"]
    # deciles 1-2: Catford 1000 + Deptford 2000 + Florist 250 of 3750 with known location
    assert imd["utilisation"] == pytest.approx(3250 / 3750)
    # register: Catford, Deptford, Florist in deciles 1-2 of the 4 suppliers with known location
    assert imd["availability"] == pytest.approx(3 / 4)
    assert imd["disparity_index"] == pytest.approx(100 * (3250 / 3750) / 0.75)
    # the unknown shares beside them: 1400 of 5150 addressable, 2 of 6 register suppliers
    assert imd["utilisation_unknown_share"] == pytest.approx(1400 / 5150)
    assert imd["availability_unknown_share"] == pytest.approx(2 / 6)
    # Greenwich pays Deptford (decile 2) 600 and Bad Postcode (unknown) 900: all known spend in 1-2
    assert rbg["groups"]["imd_1_2"]["utilisation"] == pytest.approx(1.0)
