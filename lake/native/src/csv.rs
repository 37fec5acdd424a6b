//! One pass over a CSV file's bytes for `lake.sources.common.read_csv`: where its lines end and
//! what each line holds, instead of four numpy scans of the whole file.

use crate::{buffer, le_bytes};
use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A line holds a printable ASCII character (not blank).
pub const SOLID: u8 = 1;
/// A line holds a byte of 0x80 or more (it may not be UTF-8).
pub const HIGH: u8 = 2;
/// A line holds an odd number of double quotes (a quoted value goes on past it).
pub const ODD_QUOTES: u8 = 4;

/// The offsets of `data`'s newlines, the flags of each of its lines (one more than newlines:
/// the text after the last newline is a line too, maybe empty) and its count of bytes >= 0x80.
/// Line by line, each test a vectorised pass (`memchr` for newlines and quotes, a counting loop
/// the compiler turns into SIMD for high bytes): a byte-by-byte `match` took 0.12 s for the
/// 54 MB quiz file.
fn scan(data: &[u8]) -> (Vec<i64>, Vec<u8>, usize) {
    let mut newlines = Vec::with_capacity(data.len() / 64);
    let mut flags = Vec::with_capacity(data.len() / 64 + 1);
    let mut high = 0usize;
    let mut start = 0usize;
    for end in memchr::memchr_iter(b'\n', data) {
        newlines.push(end as i64);
        flags.push(line_flags(&data[start..end], &mut high));
        start = end + 1;
    }
    flags.push(line_flags(&data[start..], &mut high));
    (newlines, flags, high)
}

/// SOLID, HIGH and ODD_QUOTES of one line (without its newline); adds its high bytes to `high`.
fn line_flags(line: &[u8], high: &mut usize) -> u8 {
    let quotes = memchr::memchr_iter(b'"', line).count();
    let highs = line.iter().filter(|&&c| c >= 0x80).count();
    *high += highs;
    let mut flags = 0u8;
    if quotes % 2 == 1 {
        flags |= ODD_QUOTES;
    }
    if highs > 0 {
        flags |= HIGH;
    }
    if quotes > 0 || line.iter().any(|&c| (33..=126).contains(&c)) {
        flags |= SOLID;
    }
    flags
}

/// The byte-by-byte scan `scan` replaced: the reference its test compares it with.
#[cfg(test)]
fn scan_bytewise(data: &[u8]) -> (Vec<i64>, Vec<u8>, usize) {
    let mut newlines = Vec::new();
    let mut flags = Vec::new();
    let mut high = 0usize;
    let mut line = 0u8;
    for (i, &c) in data.iter().enumerate() {
        match c {
            b'\n' => {
                newlines.push(i as i64);
                flags.push(line);
                line = 0;
            }
            b'"' => line = (line ^ ODD_QUOTES) | SOLID,
            33..=126 => line |= SOLID,
            0x80..=0xFF => {
                line |= HIGH;
                high += 1;
            }
            _ => {}
        }
    }
    flags.push(line);
    (newlines, flags, high)
}

/// `{"newlines": int64 offsets, "flags": a byte per line (SOLID, HIGH, ODD_QUOTES),
/// "high_bytes": count}` of a CSV file's bytes.
#[pyfunction]
pub fn csv_lines<'py>(py: Python<'py>, data: PyBuffer<u8>) -> PyResult<Bound<'py, PyDict>> {
    let bytes = crate::bytes_of(&data);
    let (newlines, flags, high) = py.detach(|| scan(bytes));
    let out = PyDict::new(py);
    out.set_item(
        "newlines",
        buffer(py, le_bytes(&newlines, i64::to_le_bytes))?,
    )?;
    out.set_item("flags", buffer(py, flags)?)?;
    out.set_item("high_bytes", high)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_their_flags_and_high_bytes() {
        let (newlines, flags, high) = scan("a,\"b\n\"\n \t\n\u{e9}\nx".as_bytes());
        assert_eq!(newlines, vec![4, 6, 9, 12]);
        assert_eq!(
            flags,
            vec![SOLID | ODD_QUOTES, SOLID | ODD_QUOTES, 0, HIGH, SOLID]
        );
        assert_eq!(high, 2);
        assert_eq!(scan(b""), (vec![], vec![0], 0));
    }

    #[test]
    fn the_line_scan_equals_the_bytewise_one_on_random_bytes() {
        // Bytes drawn mostly from the ones that matter (newline, quote, space, tab, CR, high
        // bytes, printable), in lines of every length.
        let alphabet: &[u8] = b"\n\n\"\" \t\r,a~\x7f\x80\xc3\xa9\xff\x00\x1f!";
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..3000usize {
            let data: Vec<u8> = (0..len % 700)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            assert_eq!(scan(&data), scan_bytewise(&data), "{data:?}");
        }
    }
}
