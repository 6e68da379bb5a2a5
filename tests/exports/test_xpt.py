"""The SAS transport v5 writer: what it writes reads back the same with pyreadstat, and what does
not fit is refused, naming the dataset, the variable and the row, before anything is cut."""

import datetime
import io

import pyreadstat
import pytest

from exports.metadata import Core, DataType, Domain, Origin, Type, Variable
from exports.xpt import MISSING, RECORD, XptError, XptWriter, ibm_float, write_xpt


def _variable(name, type_=Type.CHAR, length=8, label=None) -> Variable:
    return Variable(
        name,
        label or f"The {name.lower()}",
        type_,
        DataType.TEXT if type_ == Type.CHAR else DataType.FLOAT,
        length,
        "Topic",
        Core.REQ,
        Origin.COLLECTED,
    )


def _domain(*variables: Variable, name="VS", label="Vital Signs") -> Domain:
    return Domain(name, label, "FINDINGS", "One record per row", (), variables)


NUMBERS = [0, -1.5, 1e-10, 1e70, -3.25e-60, 37.2, 120, 123456789, 2**53, 0.1, None, -0.000123]


def _read(tmp_path, domain, rows, name="out.xpt"):
    path = tmp_path / name
    with path.open("wb") as file:
        written = write_xpt(file, domain, rows)
    assert written == len(rows)
    assert path.stat().st_size % RECORD == 0
    data, meta = pyreadstat.read_xport(str(path), output_format="dict")
    return data, meta


def test_rows_names_labels_types_and_numbers_read_back_the_same(tmp_path):
    domain = _domain(
        _variable("USUBJID", length=20, label="Unique Subject Identifier"),
        _variable("VSSTRESN", Type.NUM, 8),
        _variable("VSTESTCD", length=8),
    )
    rows = [(f"S-{i}", number, "SYSBP" if i % 2 else None) for i, number in enumerate(NUMBERS)]
    data, meta = _read(tmp_path, domain, rows)
    assert meta.table_name == "VS" and meta.file_label == "Vital Signs"
    assert meta.column_names == ["USUBJID", "VSSTRESN", "VSTESTCD"]
    assert meta.column_labels == ["Unique Subject Identifier", "The vsstresn", "The vstestcd"]
    assert meta.readstat_variable_types == {
        "USUBJID": "string",
        "VSSTRESN": "double",
        "VSTESTCD": "string",
    }
    assert meta.variable_storage_width == {"USUBJID": 20, "VSSTRESN": 8, "VSTESTCD": 8}
    assert list(data["USUBJID"]) == [row[0] for row in rows]
    assert list(data["VSTESTCD"]) == [row[2] or "" for row in rows]
    read = list(data["VSSTRESN"])
    assert (
        read[NUMBERS.index(None)] is None or read[NUMBERS.index(None)] != read[NUMBERS.index(None)]
    )
    assert [n for n in read if n is not None and n == n] == [n for n in NUMBERS if n is not None]


def test_an_ibm_float_is_exact_and_a_missing_number_is_a_dot():
    assert ibm_float(1.0) == bytes([0x41, 0x10, 0, 0, 0, 0, 0, 0])
    assert ibm_float(-118.625) == bytes([0xC2, 0x76, 0xA0, 0, 0, 0, 0, 0])
    assert ibm_float(0) == bytes(8)
    assert MISSING == b".\x00\x00\x00\x00\x00\x00\x00"


def test_an_empty_dataset_and_a_last_record_padded_with_spaces(tmp_path):
    domain = _domain(_variable("A", length=3))
    data, meta = _read(tmp_path, domain, [])
    assert meta.number_rows in (0, None) and list(data["A"]) == []
    out = io.BytesIO()
    write_xpt(out, domain, [("abc",)])
    assert out.getvalue().endswith(b"abc" + b" " * 77)


def _refused(domain, rows, match):
    out = io.BytesIO()
    writer = XptWriter(out, domain, created=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    headers = len(out.getvalue())
    with pytest.raises(XptError, match=match):
        for row in rows:
            writer.write(row)
    return out.getvalue()[headers:]


def test_a_value_longer_than_its_variable_is_refused_naming_dataset_variable_and_row():
    domain = _domain(_variable("AETERM", length=5), _variable("AESEQ", Type.NUM))
    written = _refused(
        domain,
        [("short", 1), ("toolong", 2)],
        r"VS\.AETERM, row 2: 7 bytes, more than its 5$",
    )
    assert len(written) == 13  # the first row only: nothing of the second is written


def test_a_value_not_in_ascii_is_refused():
    _refused(
        _domain(_variable("AETERM")),
        [("Nausée",)],
        r"VS\.AETERM, row 1: a character that is not ascii$",
    )


def test_a_number_that_is_not_one_is_refused():
    _refused(
        _domain(_variable("AESEQ", Type.NUM)), [("1",)], r"VS\.AESEQ, row 1: a str, not a number$"
    )
    _refused(_domain(_variable("AESEQ", Type.NUM)), [(1e300,)], r"VS\.AESEQ, row 1: .*range")


@pytest.mark.parametrize(
    ("domain", "match"),
    [
        (_domain(_variable("LONGNAME9")), r"VS\.LONGNAME9: a name has at most 8"),
        (_domain(_variable("A", label="x" * 41)), r"VS\.A: a label has at most 40"),
        (_domain(_variable("A", length=201)), r"VS\.A: a character value has 1 to 200 bytes"),
        (_domain(_variable("A"), name="TOOLONGNM"), r"TOOLONGNM: a dataset's name has at most 8"),
        (_domain(_variable("A"), label="y" * 41), r"VS: a dataset's label has at most 40"),
    ],
)
def test_a_dataset_transport_v5_cannot_hold_is_refused_before_writing(domain, match):
    out = io.BytesIO()
    with pytest.raises(XptError, match=match):
        XptWriter(out, domain)
    assert out.getvalue() == b""


def test_rows_are_written_as_they_come(tmp_path):
    domain = _domain(_variable("N", Type.NUM))
    out = io.BytesIO()
    writer = XptWriter(out, domain)
    before = len(out.getvalue())
    writer.write((1,))
    assert len(out.getvalue()) == before + 8
