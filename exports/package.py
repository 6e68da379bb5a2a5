"""The export's package: a ZIP with a CSV file per dataset and, in SDTM, a SAS transport file
per domain (sdtm/dm.xpt, ...) described by sdtm/define.xml, written as the rows are read, a
data dictionary (data_dictionary.html) of every file's columns, and a manifest (manifest.json:
who, when, the options, the software's version, each file's row count and SHA-256) with the
server's Ed25519 signature of its bytes (manifest.sig)."""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from typing import BinaryIO

from django.utils import timezone

from exports import copy_csv, define, sdtm, signing, xpt
from exports.datasets import REGISTRY, Dataset, ExportContext

MANIFEST = "manifest.json"
SDTM_FOLDER = "sdtm"
SIGNATURE = "manifest.sig"
# Progress is reported every this many rows (and at the end of each dataset).
PROGRESS_EVERY = 10_000
# zlib's fastest level: at the default (6) deflating took a third of the export of 100,000 vital
# signs (bench/export.py); level 1 deflates them 6 times faster, the ZIP a quarter larger.
COMPRESS_LEVEL = 1


class _Hashing(io.RawIOBase):
    """Passes bytes on to `sink`, counting them and hashing them (SHA-256) on the way."""

    def __init__(self, sink: BinaryIO):
        self._sink = sink
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._sink.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


def manifest_bytes(manifest: dict) -> bytes:
    """The manifest as written into the package (and signed): the same bytes for the same
    manifest, so that the one kept in the database gives the same SHA-256."""
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def write_csv_rows(
    dataset: Dataset, ctx: ExportContext, out: BinaryIO, progress: Callable[[int], None]
) -> int:
    """Write the dataset's CSV into `out`, row by row as read (`progress(rows)` every
    PROGRESS_EVERY rows); returns the number of rows."""
    rows = 0
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.DictWriter(text, fieldnames=dataset.header(ctx.dates))
    writer.writeheader()
    for row in dataset.rows(ctx):
        writer.writerow(row)
        rows += 1
        if rows % PROGRESS_EVERY == 0:
            progress(rows)
    text.detach()  # flushes into `out`
    return rows


def _write_csv(archive: zipfile.ZipFile, name: str, ctx: ExportContext, progress) -> dict:
    dataset = REGISTRY[name]
    entry = f"{name}.csv"
    with archive.open(entry, "w", force_zip64=True) as sink:
        hashing = _Hashing(sink)
        if copy_csv.copyable(dataset):  # PostgreSQL writes it, de-identified in SQL
            rows = copy_csv.write_rows(
                dataset, ctx, hashing, lambda rows: progress(name, rows), PROGRESS_EVERY
            )
        else:
            rows = write_csv_rows(dataset, ctx, hashing, lambda rows: progress(name, rows))
    progress(name, rows)
    return _listed(entry, name, "csv", rows, hashing)


def _write_xpt(archive: zipfile.ZipFile, name: str, ctx: ExportContext, progress) -> dict:
    domain = sdtm.DOMAINS[name]
    entry = f"{SDTM_FOLDER}/{domain.file_name}"
    with archive.open(entry, "w", force_zip64=True) as sink:
        hashing = _Hashing(sink)
        buffered = io.BufferedWriter(hashing, buffer_size=1 << 16)
        rows = xpt.write_xpt(
            buffered,
            domain,
            sdtm.domain_rows(name, ctx),
            progress=lambda rows: progress(name, rows),
            every=PROGRESS_EVERY,
        )
        buffered.flush()
    return _listed(entry, name, "sdtm", rows, hashing)


def _listed(entry: str, dataset: str, format: str, rows: int | None, hashing: _Hashing) -> dict:
    return {
        "name": entry,
        "dataset": dataset,
        "format": format,
        "rows": rows,
        "bytes": hashing.size,
        "sha256": hashing.sha256.hexdigest(),
    }


def _write_document(archive: zipfile.ZipFile, entry: str, data: bytes) -> dict:
    with archive.open(entry, "w") as sink:
        hashing = _Hashing(sink)
        hashing.write(data)
    return _listed(entry, entry, "document", None, hashing)


def write_package(
    out: BinaryIO,
    *,
    ctx: ExportContext,
    datasets: list[str],
    head: dict,
    formats: tuple[str, ...] = ("csv",),
    progress: Callable[[str, int], None] = lambda dataset, rows: None,
) -> dict:
    """Write the package of `datasets` into `out`, in `formats` (a CSV file per dataset; the
    SDTM domains made from them as SAS transport files, with their documents); `head` opens
    the manifest (who, when, the options, the software). Returns the manifest."""
    with zipfile.ZipFile(
        out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as archive:
        files = []
        if "csv" in formats:
            files += [_write_csv(archive, name, ctx, progress) for name in datasets]
        if "sdtm" in formats:
            domains = sdtm.domains_for(datasets)
            files += [_write_xpt(archive, name, ctx, progress) for name in domains]
        else:
            domains = []
        # What every file and column is: sdtm/define.xml (Define-XML 2.1) and the dictionary.
        files += [
            _write_document(archive, entry, data)
            for entry, data in define.documents(
                study=ctx.study,
                csv_datasets=[REGISTRY[name] for name in datasets] if "csv" in formats else [],
                domains=[sdtm.DOMAINS[name] for name in domains],
                created_at=timezone.now(),
                export_id=head.get("export"),
            )
        ]
        manifest = {**head, "files": files}
        data = manifest_bytes(manifest)
        archive.writestr(MANIFEST, data)
        archive.writestr(SIGNATURE, signing.sign(data))
    return manifest


def package_problems(archive: zipfile.ZipFile, public_pem: str) -> list[str]:
    """What a recipient's check of a package finds wrong: the manifest's signature, and each
    file against the SHA-256 and row count the manifest gives. Empty: the package is intact."""
    data = archive.read(MANIFEST)
    if not signing.verify(public_pem, data, archive.read(SIGNATURE)):
        return [f"{MANIFEST}: the signature does not verify"]
    problems = []
    for listed in json.loads(data)["files"]:
        content = archive.read(listed["name"])
        if hashlib.sha256(content).hexdigest() != listed["sha256"]:
            problems.append(f"{listed['name']}: its SHA-256 differs from the manifest's")
    return problems
