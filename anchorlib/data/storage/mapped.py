"""DataFrames stored as uncompressed Arrow IPC files and opened memory-mapped, without copying.

Each pandas column is kept as plain arrays the pandas column can wrap as they are: a categorical
as its integer codes (-1 = <NA>) with the categories in the file's metadata, a nullable
Int64/Float64/boolean column as its values plus a one-byte-per-row mask, bool as bytes, numbers
and datetimes as their numpy values, text as an Arrow string array. Opening is then independent
of the number of rows (the operating system pages the data in as it is used, and can drop it
again), which is what lets a cached ``Dataset.payments`` of ten million rows open in well under a
second (docs/performance.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from anchorlib.data.storage import atomic

META_KEY = b"anchorlib.frame"
FORMAT = 1
_MASKED = {"Int64": "int64", "Int32": "int32", "Float64": "float64", "boolean": "bool"}
_MASKED_ARRAYS = {
    "Int64": pd.arrays.IntegerArray,
    "Int32": pd.arrays.IntegerArray,
    "Float64": pd.arrays.FloatingArray,
    "boolean": pd.arrays.BooleanArray,
}


def _columns(df: pd.DataFrame):
    """(arrow arrays, column specs) for ``df``; raises TypeError for a dtype this format does not hold."""
    arrays, specs = [], []
    for name in df.columns:
        s, d = df[name], df[name].dtype
        spec = {"name": str(name), "dtype": str(d)}
        if isinstance(d, pd.CategoricalDtype):
            arrays.append(pa.array(s.cat.codes.to_numpy()))
            spec.update(kind="category", categories=[str(c) for c in d.categories], ordered=bool(d.ordered))
        elif str(d) in _MASKED:
            values = s.to_numpy(dtype=_MASKED[str(d)], na_value=False if str(d) == "boolean" else 0)
            arrays.append(pa.array(values.view(np.uint8) if values.dtype == bool else values))
            arrays.append(pa.array(s.isna().to_numpy().view(np.uint8)))
            spec.update(kind="masked")
        elif d == np.dtype(bool):
            arrays.append(pa.array(s.to_numpy().view(np.uint8)))
            spec.update(kind="bool")
        elif isinstance(d, np.dtype) and d.kind in "iufM":
            arrays.append(pa.array(s.to_numpy().view(np.int64) if d.kind == "M" else s.to_numpy()))
            spec.update(kind="numpy")
        elif isinstance(d, pd.StringDtype):
            arrays.append(pa.array(s.array, type=pa.large_string()))
            spec.update(kind="string", na="nan" if d.na_value is not pd.NA else "NA")
        else:
            raise TypeError(f"column {name!r}: dtype {d} cannot be stored in a mapped frame")
        specs.append(spec)
    return arrays, specs


def write(path: Path, df: pd.DataFrame) -> None:
    """Write ``df`` (default index; columns of the dtypes above) to ``path``, whole or not at all
    (``atomic.replacing``: a reader maps the old file or the new one, never a part)."""
    arrays, specs = _columns(df)
    meta = {META_KEY: json.dumps({"format": FORMAT, "rows": len(df), "columns": specs}).encode()}
    # a string column comes as a ChunkedArray already: chunked_array([it]) would rebuild it value by value
    # (1.7 s for 1M payments' text column)
    columns = [a if isinstance(a, pa.ChunkedArray) else pa.chunked_array([a]) for a in arrays]
    table = pa.Table.from_arrays(
        columns, names=[f"c{i}" for i in range(len(arrays))]
    ).replace_schema_metadata(meta)
    with (
        atomic.replacing(path) as tmp,
        pa.OSFile(str(tmp), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as writer,
    ):
        writer.write_table(table.combine_chunks())


def _numpy(arr: pa.ChunkedArray) -> np.ndarray:
    chunk = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    return chunk.to_numpy(zero_copy_only=True)


def read(path: Path) -> pd.DataFrame:
    """The frame stored at ``path``, its columns views of the memory-mapped file (read-only)."""
    table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
    meta = json.loads(table.schema.metadata[META_KEY])
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: mapped frame format {meta.get('format')}, expected {FORMAT}")
    cols, i = {}, 0
    for spec in meta["columns"]:
        kind = spec["kind"]
        if kind == "category":
            dtype = pd.CategoricalDtype(pd.Index(spec["categories"], dtype="str"), ordered=spec["ordered"])
            cols[spec["name"]] = pd.Categorical.from_codes(
                _numpy(table.column(i)), dtype=dtype, validate=False
            )
        elif kind == "masked":
            values = _numpy(table.column(i))
            mask = _numpy(table.column(i + 1)).view(bool)
            values = values.view(bool) if spec["dtype"] == "boolean" else values
            cols[spec["name"]] = _MASKED_ARRAYS[spec["dtype"]](values, mask)
            i += 1
        elif kind == "bool":
            cols[spec["name"]] = _numpy(table.column(i)).view(bool)
        elif kind == "numpy":
            values = _numpy(table.column(i))
            cols[spec["name"]] = (
                values.view(spec["dtype"]) if spec["dtype"].startswith("datetime64") else values
            )
        else:  # string
            dtype = pd.StringDtype("pyarrow", na_value=np.nan if spec["na"] == "nan" else pd.NA)
            cols[spec["name"]] = pd.arrays.ArrowStringArray(table.column(i), dtype=dtype)
        i += 1
    return pd.DataFrame(cols, index=pd.RangeIndex(meta["rows"]), copy=False)
