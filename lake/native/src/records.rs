//! Record helpers over Arrow string columns, for `lake.sources.common.bronze_records` and the
//! quiz validation of `lake.sources.records`: each row's fields as one JSON object (the bronze
//! record of a CSV row), and the syntax checks of the validation rules without a regular
//! expression engine.

use crate::{buffer, bytes_of, string_offsets};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// One Arrow string array (int32 offsets) as Python hands its buffers over; `offsets` are the
/// array's own (from its `offset` on), `valid` the whole bitmap.
struct Strings<'a> {
    valid: Option<&'a [u8]>,
    offsets: Vec<i32>,
    data: &'a [u8],
    offset: usize,
}

impl Strings<'_> {
    fn get(&self, row: usize) -> Option<&[u8]> {
        if let Some(v) = self.valid {
            let k = self.offset + row;
            if v[k / 8] & (1 << (k % 8)) == 0 {
                return None;
            }
        }
        Some(&self.data[self.offsets[row] as usize..self.offsets[row + 1] as usize])
    }

    /// Bytes of data of the array's values.
    fn data_len(&self) -> usize {
        (self.offsets[self.offsets.len() - 1] - self.offsets[0]) as usize
    }
}

/// A column as Python passes it: (validity bitmap or None, offsets, data, array offset).
type Column = (Option<PyBuffer<u8>>, PyBuffer<u8>, PyBuffer<u8>, usize);

/// Checks one column's buffers for `n` rows and reads its offsets.
fn strings(c: &Column, n: usize) -> PyResult<Strings<'_>> {
    let (valid, offsets, data, offset) = c;
    let data = bytes_of(data);
    let offs = string_offsets(bytes_of(offsets), *offset, n, data.len())?;
    let valid = valid.as_ref().map(bytes_of);
    if valid.is_some_and(|v| v.len() * 8 < offset + n) {
        return Err(PyValueError::new_err("validity bitmap too short"));
    }
    if std::str::from_utf8(&data[offs[0] as usize..offs[n] as usize]).is_err() {
        return Err(PyValueError::new_err("string data is not UTF-8"));
    }
    Ok(Strings {
        valid,
        offsets: offs,
        data,
        offset: *offset,
    })
}

/// `s` as a JSON string, escaped as polars' `struct.json_encode` escapes it (the encoder this
/// replaces): `"` and `\`, the control characters below 0x20 (`\b \t \n \f \r` by name, the
/// others as `\u00xx`); everything else as it is, DEL and non-ASCII included.
fn json_string(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    // Most values need no escape: one branch-free pass (vectorised) says so.
    let plain = s
        .iter()
        .fold(true, |ok, &c| ok & (c >= 0x20) & (c != b'"') & (c != b'\\'));
    if plain {
        out.extend_from_slice(s);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &c) in s.iter().enumerate() {
        let short: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&s[start..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 15) as usize]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

fn objects(names: &[String], cols: &[Strings<'_>], n: usize) -> (Vec<i32>, Vec<u8>) {
    let keys: Vec<Vec<u8>> = names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let mut k = Vec::new();
            k.push(if j == 0 { b'{' } else { b',' });
            json_string(&mut k, name.as_bytes());
            k.push(b':');
            k
        })
        .collect();
    let size: usize = cols.iter().map(Strings::data_len).sum::<usize>()
        + n * (keys.iter().map(|k| k.len() + 2).sum::<usize>() + 2);
    let mut body = Vec::with_capacity(size);
    let mut offsets = Vec::with_capacity(n + 1);
    crate::huge::advise(&body);
    crate::huge::advise(&offsets);
    offsets.push(0i32);
    for row in 0..n {
        if cols.is_empty() {
            body.push(b'{');
        }
        for (key, col) in keys.iter().zip(cols) {
            body.extend_from_slice(key);
            match col.get(row) {
                Some(v) => json_string(&mut body, v),
                None => body.extend_from_slice(b"null"),
            }
        }
        body.push(b'}');
        offsets.push(body.len() as i32);
    }
    (offsets, body)
}

/// Each of the `n` rows of string `columns` (named `names`, in order) as one JSON object
/// `{"name":"value",...}`, null values as `null`: (offsets, data) of an Arrow string array.
#[pyfunction]
pub(crate) fn json_objects<'py>(
    py: Python<'py>,
    names: Vec<String>,
    columns: Vec<Column>,
    n: usize,
) -> PyResult<(Bound<'py, crate::Buffer>, Bound<'py, crate::Buffer>)> {
    if names.len() != columns.len() {
        return Err(PyValueError::new_err("one name per column"));
    }
    let cols = columns
        .iter()
        .map(|c| strings(c, n))
        .collect::<PyResult<Vec<_>>>()?;
    let (offsets, body) = py.detach(|| objects(&names, &cols, n));
    if body.len() > i32::MAX as usize {
        return Err(PyValueError::new_err("the records exceed 2 GiB"));
    }
    Ok((
        buffer(py, crate::le_bytes(&offsets, i32::to_le_bytes))?,
        buffer(py, body)?,
    ))
}

fn digits(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

/// The length of the run of ASCII digits at the start of `s`.
fn digit_run(s: &[u8]) -> usize {
    s.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Whether `s` matches `records._TS_RE` in full:
/// `\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)`.
pub fn is_offset_timestamp(s: &[u8]) -> bool {
    if s.len() < 17
        || !(digits(&s[0..4])
            && s[4] == b'-'
            && digits(&s[5..7])
            && s[7] == b'-'
            && digits(&s[8..10])
            && matches!(s[10], b'T' | b't' | b' ')
            && digits(&s[11..13])
            && s[13] == b':'
            && digits(&s[14..16]))
    {
        return false;
    }
    let mut rest = &s[16..];
    // No zone starts with ':' or '.', so the optional seconds and fraction are taken whenever
    // they can be, and a fraction's digits run up to the zone.
    if rest[0] == b':' {
        if rest.len() < 3 || !digits(&rest[1..3]) {
            return false;
        }
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let run = digit_run(&rest[1..]);
            if !(1..=9).contains(&run) {
                return false;
            }
            rest = &rest[1 + run..];
        }
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', zone @ ..] => {
            let shape = matches!(zone.len(), 2 | 4) || (zone.len() == 5 && zone[2] == b':');
            shape && digits(&zone[..2]) && digits(&zone[zone.len() - 2..])
        }
        _ => false,
    }
}

/// Whether `s` matches `records._NUM_RE` in full: `[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?`.
pub fn is_plain_number(s: &[u8]) -> bool {
    let mut i = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let whole = digit_run(&s[i..]);
    i += whole;
    if s.get(i) == Some(&b'.') {
        let fraction = digit_run(&s[i + 1..]);
        if whole == 0 && fraction == 0 {
            return false;
        }
        i += 1 + fraction;
    } else if whole == 0 {
        return false;
    }
    if i == s.len() {
        return true;
    }
    if !matches!(s[i], b'e' | b'E') {
        return false;
    }
    i += 1;
    i += usize::from(matches!(s.get(i), Some(b'+' | b'-')));
    let exponent = digit_run(&s[i..]);
    exponent > 0 && i + exponent == s.len()
}

/// Whether `s` holds a character of `[[:cntrl:]]` (RE2's: 0x00-0x1F and DEL).
pub fn has_control(s: &[u8]) -> bool {
    s.iter().any(|&c| c < 0x20 || c == 0x7f)
}

/// The syntax check `kind` (`timestamp`: `is_offset_timestamp`, `number`: `is_plain_number`,
/// `control`: `has_control`) of each of a string column's `n` values, false where null: the
/// bytes of a boolean array's values bitmap, for the rules of `lake.sources.records`, whose
/// regular expressions took 0.2 s per 300K quiz responses in DuckDB.
#[pyfunction]
pub(crate) fn syntax_flags<'py>(
    py: Python<'py>,
    kind: &str,
    column: Column,
    n: usize,
) -> PyResult<Bound<'py, crate::Buffer>> {
    let check: fn(&[u8]) -> bool = match kind {
        "timestamp" => is_offset_timestamp,
        "number" => is_plain_number,
        "control" => has_control,
        _ => return Err(PyValueError::new_err(format!("unknown check {kind}"))),
    };
    let col = strings(&column, n)?;
    let bits = py.detach(|| {
        let mut bits = vec![0u8; n.div_ceil(8)];
        for row in 0..n {
            if col.get(row).is_some_and(check) {
                bits[row / 8] |= 1 << (row % 8);
            }
        }
        bits
    });
    buffer(py, bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(s: &str) -> String {
        let mut out = Vec::new();
        json_string(&mut out, s.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_polars_escapes_them() {
        assert_eq!(encoded("x\"y\\z"), r#""x\"y\\z""#);
        assert_eq!(
            encoded("\u{0}\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f}"),
            "\"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\u{7f}\""
        );
        assert_eq!(encoded("/é€😀\u{2028}"), "\"/é€😀\u{2028}\"");
        assert_eq!(encoded(""), "\"\"");
    }

    #[test]
    fn timestamps_match_the_pattern() {
        for ok in [
            "2025-09-08T06:02:34.668Z",
            "2025-09-08t06:02Z",
            "2025-09-08 06:02:34z",
            "2025-09-08T06:02:34.123456789+01:00",
            "2025-09-08T06:02:34-0130",
            "2025-09-08T06:02:34+01",
            "9999-99-99T99:99:99Z",
        ] {
            assert!(is_offset_timestamp(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "2025-09-08T06:02:34",
            "2025-09-08T06:02:34.Z",
            "2025-09-08T06:02:34.1234567890Z",
            "2025-09-08T06:02:3Z",
            "2025-09-08T06:02:34+1",
            "2025-09-08T06:02:34+01:0",
            "2025-09-08T06:02:34+01:000",
            "2025-09-08T06:02:34+0100Z",
            "2025-9-08T06:02Z",
            "2025-09-08X06:02Z",
            "2025-09-08T06:02ZZ",
            "2025-09-08T06:02:34.5+01:",
            "",
        ] {
            assert!(!is_offset_timestamp(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn numbers_match_the_pattern() {
        for ok in [
            "1", "+1", "-1.", "1.5", ".5", "1e5", "1.5E-3", "-.5e+10", "007",
        ] {
            assert!(is_plain_number(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "", ".", "+", "-.", "1e", "1e+", "e5", "1.5.1", "1 ", " 1", "inf", "NaN", "0x10", "1_0",
        ] {
            assert!(!is_plain_number(bad.as_bytes()), "{bad}");
        }
    }
}
