"""A SAS transport (XPORT) version 5 file, written row by row into any binary stream.

The file is 80-byte records: the library header, one member (the dataset: its header, a
140-byte description ("namestr") of each variable, padded to whole records), then the
observations, each a fixed-width record of its variables (a character value in its declared
bytes, padded with spaces; a number as an 8-byte IBM System/360 floating-point number, missing as
0x2E and zeros), the last record padded with spaces. (SAS Technical Support TS-140, "The record
layout of a data set in SAS transport (XPORT) format".)

Values are ASCII (metadata.ENCODING): SDTM expects it. Every value is checked before a byte of
its row is written; a value that does not fit raises XptError naming the dataset, the variable
and the row, so a file is never silently cut.
"""

import datetime
import decimal
import math
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import BinaryIO

from exports.metadata import (
    ENCODING,
    LABEL_MAX,
    NAME_MAX,
    Domain,
    Type,
    Variable,
    variable_problems,
)

RECORD = 80
NAMESTR = 140
SAS_VERSION = "9.4"
OPERATING_SYSTEM = "trialsit"  # 8 bytes, where SAS writes its host's name
MISSING = b"\x2e" + bytes(7)  # the numeric missing value "."
# The IBM format's exponent is base 16, biased by 64, in 7 bits.
_IBM_EXPONENT_MIN, _IBM_EXPONENT_MAX = -64, 63


class XptError(ValueError):
    """A dataset, a variable or a value that SAS transport v5 cannot hold."""


def _header(kind: str, numbers: str = "0" * 30) -> bytes:
    return f"HEADER RECORD*******{kind:<8}HEADER RECORD!!!!!!!{numbers}  ".encode("ascii")


def _sas_datetime(moment: datetime.datetime) -> str:
    """SAS's "ddMMMyy:hh:mm:ss", e.g. 16FEB26:10:07:55."""
    return moment.strftime("%d%b%y:%H:%M:%S").upper()


def ibm_float(value: float) -> bytes:
    """`value` as an 8-byte IBM System/360 floating-point number (sign, base-16 exponent biased
    by 64, 56-bit fraction), exactly: an IEEE double's 53 bits always fit the fraction."""
    if value == 0:
        return bytes(8)
    if math.isnan(value) or math.isinf(value):
        raise OverflowError("not a finite number")
    sign = 0x80 if value < 0 else 0
    mantissa, exponent = math.frexp(abs(value))  # abs(value) = mantissa * 2**exponent
    exponent16 = -(-exponent // 4)  # ceil(exponent / 4)
    # The fraction, 1/16 <= fraction < 1, as 56 bits: exact (a shift by 53 + 3 bits at most).
    fraction = int(math.ldexp(mantissa, 56 + exponent - 4 * exponent16))
    if not _IBM_EXPONENT_MIN <= exponent16 <= _IBM_EXPONENT_MAX:
        raise OverflowError("beyond the range of an IBM floating-point number")
    return bytes([sign | (exponent16 + 64)]) + fraction.to_bytes(7, "big")


def _namestr(position: int, number: int, variable: Variable) -> bytes:
    return struct.pack(
        ">hhhh8s40s8shhh2s8shhl52s",
        1 if variable.type == Type.NUM else 2,
        0,
        variable.length,
        number,
        variable.name.ljust(8).encode("ascii"),
        variable.label.ljust(40).encode("ascii"),
        b" " * 8,  # format
        0,
        0,
        0,
        b"",
        b" " * 8,  # informat
        0,
        0,
        position,
        b"",
    )


def _padded(data: bytes) -> bytes:
    return data + b" " * (-len(data) % RECORD)


def domain_problems(domain: Domain) -> list[str]:
    """variable_problems, and what transport v5 refuses in the dataset's own name and label."""
    problems = list(variable_problems(domain))
    if len(domain.name) > NAME_MAX or not domain.name.isascii():
        problems.append(f"{domain.name}: a dataset's name has at most {NAME_MAX} ASCII characters")
    if len(domain.label) > LABEL_MAX or not domain.label.isascii():
        problems.append(f"{domain.name}: a dataset's label has at most {LABEL_MAX} characters")
    for variable in domain.variables:
        if not variable.label.isascii():
            problems.append(f"{domain.name}.{variable.name}: a label is ASCII")
    return problems


class XptWriter:
    """Writes the dataset `domain` into `stream`: the headers at once, then each row given to
    `write` (a sequence of values in the order of the domain's variables)."""

    def __init__(
        self,
        stream: BinaryIO,
        domain: Domain,
        *,
        created: datetime.datetime | None = None,
    ):
        if problems := domain_problems(domain):
            raise XptError("; ".join(problems))
        self._stream = stream
        self._domain = domain
        self._encoders = [self._encoder(variable) for variable in domain.variables]
        self.rows = 0
        self._bytes = 0
        self._write_headers(created or datetime.datetime.now(tz=datetime.UTC))

    def _put(self, data: bytes) -> None:
        self._stream.write(data)
        self._bytes += len(data)

    def _write_headers(self, created: datetime.datetime) -> None:
        domain, stamp = self._domain, _sas_datetime(created)
        self._put(_header("LIBRARY"))
        first = f"{'SAS':<8}{'SAS':<8}{'SASLIB':<8}{SAS_VERSION:<8}{OPERATING_SYSTEM:<8}"
        self._put(f"{first}{'':24}{stamp}".encode("ascii"))
        self._put(f"{stamp}{'':64}".encode("ascii"))
        self._put(_header("MEMBER", "000000000000000001600000000140"))
        self._put(_header("DSCRPTR"))
        member = f"{'SAS':<8}{domain.name:<8}{'SASDATA':<8}{SAS_VERSION:<8}"
        self._put(f"{member}{OPERATING_SYSTEM:<8}{'':24}{stamp}".encode("ascii"))
        self._put(f"{stamp}{'':16}{domain.label:<40}{'':8}".encode("ascii"))
        count = len(domain.variables)
        self._put(_header("NAMESTR", f"000000{count:04d}{'0' * 20}"))
        namestrs, position = b"", 0
        for number, variable in enumerate(domain.variables, start=1):
            namestrs += _namestr(position, number, variable)
            position += variable.length
        self._put(_padded(namestrs))
        self._put(_header("OBS"))

    def _fail(self, variable: Variable, why: str) -> XptError:
        """The error of a value of `variable` in the row being written: where it is and why, never
        the value itself (it may be a free text; the message reaches logs and the export's page)."""
        where = f"{self._domain.name}.{variable.name}, row {self.rows + 1}"
        return XptError(f"{where}: {why}")

    def _encoder(self, variable: Variable) -> Callable[[object], bytes]:
        if variable.type == Type.NUM:

            def number(value) -> bytes:
                if value is None:
                    return MISSING
                if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
                    raise self._fail(variable, f"a {type(value).__name__}, not a number")
                try:
                    return ibm_float(float(value))
                except OverflowError as error:
                    raise self._fail(variable, str(error)) from error

            return number

        length = variable.length

        def text(value) -> bytes:
            if value is None:
                return b" " * length
            if not isinstance(value, str):
                raise self._fail(variable, f"a {type(value).__name__}, not text")
            try:
                data = value.encode(ENCODING)
            except UnicodeEncodeError as error:
                raise self._fail(variable, f"a character that is not {ENCODING}") from error
            if len(data) > length:
                raise self._fail(variable, f"{len(data)} bytes, more than its {length}")
            return data.ljust(length)

        return text

    def write(self, row: Sequence) -> None:
        """Write one observation, once every value of it is checked."""
        if len(row) != len(self._encoders):
            raise XptError(
                f"{self._domain.name}, row {self.rows + 1}: {len(row)} values for "
                f"{len(self._encoders)} variables"
            )
        record = b"".join(encode(value) for encode, value in zip(self._encoders, row, strict=True))
        self._put(record)
        self.rows += 1

    def close(self) -> None:
        """Pad the last record with spaces."""
        self._put(b" " * (-self._bytes % RECORD))


def write_xpt(
    stream: BinaryIO,
    domain: Domain,
    rows: Iterable[Sequence],
    *,
    created: datetime.datetime | None = None,
    progress: Callable[[int], None] = lambda rows: None,
    every: int = 10_000,
) -> int:
    """Write `domain` with `rows` into `stream`; `progress` hears the rows written every
    `every` rows and at the end. Returns how many rows."""
    writer = XptWriter(stream, domain, created=created)
    for row in rows:
        writer.write(row)
        if writer.rows % every == 0:
            progress(writer.rows)
    writer.close()
    progress(writer.rows)
    return writer.rows
