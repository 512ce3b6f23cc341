"""What pyproject.toml cannot say: the wheel carries the repository's top-level notebooks/ and data/sample/
as package data, mapped in at build time (no second copy in git), so that an installed anchorlib serves
its apps, runs its reports and opens the sample without a checkout (anchorlib/paths.py finds them):

    notebooks/*.ipynb  ->  anchorlib/notebooks/
    data/sample/       ->  anchorlib/sample/bundled/   (the generator's output and its README)

Files are named by extension, so a checkout's data/sample/.anchorlib-cache/ never goes into a wheel.
The package data is all listed here (a [tool.setuptools.package-data] table in pyproject.toml would
replace this one); metadata, dependencies and the kernelspec are in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

SAMPLE = Path("data/sample")
SAMPLE_FILES = ["README.md", "*.csv", "*.xlsx", "*.json"]  # the JSON: the sample's 360Giving grant files
# each folder of the sample is a package of data files, as setuptools wants of every folder it copies
SAMPLE_PACKAGES = {
    ".".join(("anchorlib.sample.bundled", *d.relative_to(SAMPLE).parts)): SAMPLE_FILES
    for d in [SAMPLE, *sorted(p for p in SAMPLE.rglob("*") if p.is_dir())]
    if not any(part.startswith(".") for part in d.relative_to(SAMPLE).parts)
}

setup(
    packages=[
        *find_namespace_packages(include=["anchorlib*"], exclude=["*.__pycache__"]),
        "anchorlib.notebooks",
        *SAMPLE_PACKAGES,
    ],
    package_dir={"anchorlib.notebooks": "notebooks", "anchorlib.sample.bundled": str(SAMPLE)},
    package_data={
        "anchorlib": ["templates/**/*", "static/**/*", "data/ons_names.csv"],
        "anchorlib.notebooks": ["*.ipynb"],
        **SAMPLE_PACKAGES,
    },
)
