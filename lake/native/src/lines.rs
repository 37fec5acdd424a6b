//! The line splitter of `lake.sources.xapi_lines`: one pass over a piece of a JSON-lines file
//! that finds its lines, checks their encoding and packs the kept ones into one buffer.

use crate::{buffer, le_bytes};
use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// What the splitter found in a piece.
#[derive(Debug, PartialEq)]
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

/// The lines of `data`, numbered from 1 and indexed from 0 within it (`pack_parts` shifts
/// them to the piece).
fn pack(data: &[u8]) -> Packed {
    let mut p = Packed {
        body: Vec::with_capacity(data.len()),
        offsets: vec![0],
        numbers: Vec::new(),
        not_utf8: Vec::new(),
        undecided: Vec::new(),
        lines: 0,
        max_len: 0,
    };
    crate::huge::advise(&p.body);
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
        p.numbers.push(index + 1);
    }
    p
}

/// `pack` on `threads` parts of `data` cut at newlines, each at least `min_part` bytes, on as
/// many threads; each part's line numbers, indexes and byte offsets count from the start of
/// `data`, as `pack` of the whole would give them.
fn pack_parts(data: &[u8], before: i64, threads: usize, min_part: usize) -> Vec<Packed> {
    let n = threads.clamp(1, (data.len() / min_part.max(1)).max(1));
    let mut cuts = vec![0usize];
    for k in 1..n {
        let target = data.len() / n * k;
        let cut = memchr::memchr(b'\n', &data[target..]).map_or(data.len(), |i| target + i + 1);
        if cut > *cuts.last().unwrap() && cut < data.len() {
            cuts.push(cut);
        }
    }
    cuts.push(data.len());
    let mut parts: Vec<Packed> = if cuts.len() == 2 {
        vec![pack(data)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = cuts
                .windows(2)
                .map(|w| s.spawn(move || pack(&data[w[0]..w[1]])))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("pack thread"))
                .collect()
        })
    };
    let mut lines_before = 0usize;
    for (p, w) in parts.iter_mut().zip(cuts.windows(2)) {
        let shift = lines_before as i64;
        for number in p.numbers.iter_mut() {
            *number += before + shift;
        }
        for bad in p.not_utf8.iter_mut() {
            *bad = (bad.0 + shift, bad.1 + w[0], bad.2 + w[0]);
        }
        for index in p.undecided.iter_mut() {
            *index += shift;
        }
        lines_before += p.lines;
    }
    parts
}

/// Splits a piece of a JSON-lines file (no carriage returns) at its newlines, in up to
/// `threads` parts of at least `min_part` bytes packed side by side. Returns a list with a
/// dict per part, in order: `body` and `offsets` (int32) of the part's kept lines (not blank,
/// UTF-8) as an Arrow string array, `numbers` (int64, 1-based after `before`) of those lines,
/// `not_utf8` and `undecided` (0-based indexes in the piece of kept lines that may be
/// whitespace only; for lines not UTF-8, (index, start, end) of their bytes in the piece,
/// newline excluded), `lines` (the part's physical lines) and `max_len` (its longest line,
/// newline included).
#[pyfunction]
pub fn pack_lines<'py>(
    py: Python<'py>,
    data: PyBuffer<u8>,
    before: i64,
    threads: usize,
    min_part: usize,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let bytes = crate::bytes_of(&data);
    if bytes.len() > i32::MAX as usize {
        return Err(PyValueError::new_err("a piece must be under 2 GiB"));
    }
    let parts = py.detach(|| pack_parts(bytes, before, threads, min_part));
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        let part = PyDict::new(py);
        part.set_item("body", buffer(py, p.body)?)?;
        part.set_item(
            "offsets",
            buffer(py, le_bytes(&p.offsets, i32::to_le_bytes))?,
        )?;
        part.set_item(
            "numbers",
            buffer(py, le_bytes(&p.numbers, i64::to_le_bytes))?,
        )?;
        part.set_item("not_utf8", p.not_utf8)?;
        part.set_item("undecided", p.undecided)?;
        part.set_item("lines", p.lines)?;
        part.set_item("max_len", p.max_len)?;
        out.push(part);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_checked_and_packed() {
        let p = pack_parts(b"{\"a\":1}\n\n \n\xff\n{}", 10, 1, 1).remove(0);
        assert_eq!(p.lines, 5);
        assert_eq!(p.body, b"{\"a\":1} {}");
        assert_eq!(p.offsets, vec![0, 7, 8, 10]);
        assert_eq!(p.numbers, vec![11, 13, 15]);
        assert_eq!(p.not_utf8, vec![(3, 11, 12)]);
        assert_eq!(p.undecided, vec![2]); // " ": Python decides it is blank
        assert_eq!(p.max_len, 8);
    }

    #[test]
    fn parts_number_and_place_lines_as_the_whole_piece() {
        let data: Vec<u8> = (0..200)
            .map(|i| match i % 9 {
                0 => b"\n".to_vec(),
                1 => b" \n".to_vec(),
                2 => b"\xff\xfe\n".to_vec(),
                _ => format!("{{\"n\":{i}}}\n").into_bytes(),
            })
            .chain([b"{\"last\":1}".to_vec()])
            .flatten()
            .collect();
        let whole = pack_parts(&data, 7, 1, 1).remove(0);
        for (threads, min_part) in [(2, 1), (3, 1), (8, 100), (2, 100_000)] {
            let parts = pack_parts(&data, 7, threads, min_part);
            assert!(parts.len() <= threads);
            assert_eq!(parts.iter().map(|p| p.lines).sum::<usize>(), whole.lines);
            let cat = |f: &dyn Fn(&Packed) -> Vec<i64>| -> Vec<i64> {
                parts.iter().flat_map(f).collect()
            };
            assert_eq!(cat(&|p| p.numbers.clone()), whole.numbers);
            assert_eq!(cat(&|p| p.undecided.clone()), whole.undecided);
            let bad: Vec<_> = parts.iter().flat_map(|p| p.not_utf8.clone()).collect();
            assert_eq!(bad, whole.not_utf8);
            let body: Vec<u8> = parts.iter().flat_map(|p| p.body.clone()).collect();
            assert_eq!(body, whole.body);
            assert_eq!(parts.iter().map(|p| p.max_len).max(), Some(whole.max_len));
        }
        assert_eq!(pack_parts(&data, 7, 4, 1_000_000), vec![whole]);
    }
}
