//! The line splitter of `lake.sources.xapi_lines`: one pass over a piece of a JSON-lines file
//! that finds its lines, checks their encoding and packs the kept ones into one buffer.

use crate::{buffer, le_bytes};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// What the splitter found in a piece.
struct Packed {
    body: Vec<u8>,
    offsets: Vec<i32>,
    numbers: Vec<i64>,
    not_utf8: Vec<(i64, usize, usize)>,
    undecided: Vec<i64>,
    lines: usize,
    max_len: usize,
}

/// Whether a byte could belong to a line of whitespace only (as Arrow's `utf8_trim_whitespace`
/// sees it): ASCII controls and spaces, and any non-ASCII byte (Unicode spaces).
fn maybe_space(c: u8) -> bool {
    c <= b' ' || c >= 0x7F
}

fn pack(data: &[u8], before: i64) -> Packed {
    let mut p = Packed {
        body: Vec::with_capacity(data.len()),
        offsets: vec![0],
        numbers: Vec::new(),
        not_utf8: Vec::new(),
        undecided: Vec::new(),
        lines: 0,
        max_len: 0,
    };
    let mut start = 0usize;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |k| start + k);
        let (index, line_start) = (p.lines as i64, start);
        let line = &data[start..end];
        p.lines += 1;
        start = end + 1;
        p.max_len = p.max_len.max(start.min(data.len()) - line_start);
        if line.is_empty() {
            continue;
        }
        if !line.is_ascii() && std::str::from_utf8(line).is_err() {
            p.not_utf8.push((index, line_start, end));
            continue;
        }
        if line[0] != b'{' && line.iter().all(|&c| maybe_space(c)) {
            // Whitespace only, or Unicode text Python must look at: it decides these few.
            p.undecided.push(index);
        }
        p.body.extend_from_slice(line);
        p.offsets.push(p.body.len() as i32);
        p.numbers.push(before + index + 1);
    }
    p
}

/// Splits a piece of a JSON-lines file (no carriage returns) at its newlines. Returns a dict:
/// `body` and `offsets` (int32) of the kept lines (not blank, UTF-8) as an Arrow string array,
/// `numbers` (int64, 1-based after `before`) of those lines, `not_utf8` and `undecided` (0-based
/// indexes of kept lines that may be whitespace only; for lines not UTF-8, (index, start, end)
/// of their bytes, newline excluded), `lines` (physical
/// lines) and `max_len` (the longest line, newline included).
#[pyfunction]
pub fn pack_lines<'py>(
    py: Python<'py>,
    data: PyBuffer<u8>,
    before: i64,
) -> PyResult<Bound<'py, PyDict>> {
    // SAFETY: the buffer stays alive and unchanged (held by `data`) for the call.
    let bytes =
        unsafe { std::slice::from_raw_parts(data.buf_ptr() as *const u8, data.len_bytes()) };
    if bytes.len() > i32::MAX as usize {
        return Err(PyValueError::new_err("a piece must be under 2 GiB"));
    }
    let p = py.detach(|| pack(bytes, before));
    let out = PyDict::new(py);
    out.set_item("body", buffer(py, p.body)?)?;
    out.set_item(
        "offsets",
        buffer(py, le_bytes(&p.offsets, i32::to_le_bytes))?,
    )?;
    out.set_item(
        "numbers",
        buffer(py, le_bytes(&p.numbers, i64::to_le_bytes))?,
    )?;
    out.set_item("not_utf8", p.not_utf8)?;
    out.set_item("undecided", p.undecided)?;
    out.set_item("lines", p.lines)?;
    out.set_item("max_len", p.max_len)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_checked_and_packed() {
        let p = pack(b"{\"a\":1}\n\n \n\xff\n{}", 10);
        assert_eq!(p.lines, 5);
        assert_eq!(p.body, b"{\"a\":1} {}");
        assert_eq!(p.offsets, vec![0, 7, 8, 10]);
        assert_eq!(p.numbers, vec![11, 13, 15]);
        assert_eq!(p.not_utf8, vec![(3, 11, 12)]);
        assert_eq!(p.undecided, vec![2]); // " ": Python decides it is blank
        assert_eq!(p.max_len, 8);
    }
}
