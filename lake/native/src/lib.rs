//! The fast path of the xAPI validator (`lake.sources.xapi`, stage 1).
//!
//! `scan_statements` reads each statement once with a strict, hand-written JSON scanner and, for
//! a statement it can decide alone, returns the mapped columns of stage 1 (`ok` = true). A
//! statement is decided here only when it is certainly clean: valid JSON, an Agent with exactly
//! one identifier, an Activity object, an `id`, and every rule of `_checks` passed. Anything
//! else (a broken rule, an unusual shape, a value whose SQL text form this scanner does not
//! reproduce exactly) gets `ok` = false and goes through the DuckDB path, which decides it and
//! gives its reason. So this code may be stricter than the SQL rules, never looser: parity
//! tests (`tests/lake/sources/test_xapi_native.py`) run both paths on the same records.
//!
//! The JSON texts of `context.contextActivities`, `context.extensions` and `result.extensions`
//! come back as they are in the record, with `canon` = true when that text is already what
//! DuckDB's JSON writer prints for the value (minified, no escapes, numbers in their shortest
//! form); otherwise the SQL side rewrites them with `json()`.

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{ffi, PyErr};
use std::borrow::Cow;
use std::os::raw::{c_int, c_void};
use std::sync::Mutex;

mod csv;
mod huge;
mod lines;
mod records;

type R<T> = Result<T, ()>;

const MAX_DEPTH: u32 = 64;
const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";
const ATTEMPT_EXTENSION: &str = "https://w3id.org/learnsmart/extensions/attempt-id";
const VIDEO_TIME: &str = "https://w3id.org/xapi/video/extensions/time";
const VIDEO_TIME_FROM: &str = "https://w3id.org/xapi/video/extensions/time-from";
const VIDEO_TIME_TO: &str = "https://w3id.org/xapi/video/extensions/time-to";
// Seconds per duration designator (Y, M, W, D, H, M, S): a year is 365 days, a month 30.
const DURATION_SECONDS: [f64; 7] = [31536000.0, 2592000.0, 604800.0, 86400.0, 3600.0, 60.0, 1.0];

/// A strict JSON scanner over one record (RFC 8259; the record is valid UTF-8).
struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    /// False once anything was seen that DuckDB's JSON writer would print differently.
    canon: bool,
}

type Raw<'a> = (&'a str, bool);

impl<'a> Scanner<'a> {
    fn new(b: &'a [u8]) -> Self {
        Scanner {
            b,
            i: 0,
            canon: true,
        }
    }

    #[inline]
    fn ws(&mut self) {
        let start = self.i;
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
        if self.i != start {
            self.canon = false;
        }
    }

    #[inline]
    fn peek(&self) -> R<u8> {
        self.b.get(self.i).copied().ok_or(())
    }

    #[inline]
    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek()? == c {
            self.i += 1;
            Ok(())
        } else {
            Err(())
        }
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(())
        }
    }

    /// Consumes `null` when it comes next.
    fn null(&mut self) -> bool {
        self.ws();
        if self.b[self.i..].starts_with(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let s = self.b.get(self.i..self.i + 4).ok_or(())?;
        let mut v = 0u32;
        for &c in s {
            v = v * 16 + (c as char).to_digit(16).ok_or(())?;
        }
        self.i += 4;
        Ok(v)
    }

    /// A string, unescaped. `\u0000` and lone surrogates are refused (DuckDB's path decides).
    fn string(&mut self) -> R<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.i;
        let end = special_byte(self.b, start).ok_or(())?;
        if self.b[end] < 0x20 {
            return Err(());
        }
        self.i = end;
        if self.b[end] == b'"' {
            self.i += 1;
            // SAFETY: the whole record was checked to be UTF-8 and `"` is ASCII.
            return Ok(Cow::Borrowed(unsafe {
                std::str::from_utf8_unchecked(&self.b[start..end])
            }));
        }
        self.canon = false;
        let mut out: Vec<u8> = self.b[start..self.i].to_vec();
        loop {
            let c = *self.b.get(self.i).ok_or(())?;
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map(Cow::Owned).map_err(|_| ()),
                b'\\' => {
                    let e = *self.b.get(self.i).ok_or(())?;
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(());
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(());
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            } else if (0xDC00..0xE000).contains(&cp) || cp == 0 {
                                return Err(());
                            }
                            let ch = char::from_u32(cp).ok_or(())?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(()),
                    }
                }
                c if c < 0x20 => return Err(()),
                c => out.push(c),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        self.i - start
    }

    /// A number token: (text, has an exponent). Marks non-canonical forms.
    fn number(&mut self) -> R<(&'a str, bool)> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(c) if c.is_ascii_digit() => {
                self.digits();
            }
            _ => return Err(()),
        }
        let mut fraction = false;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(());
            }
            fraction = true;
        }
        let mut exponent = false;
        if matches!(self.b.get(self.i), Some(b'e') | Some(b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+') | Some(b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(());
            }
            exponent = true;
        }
        // SAFETY: ASCII only.
        let tok = unsafe { std::str::from_utf8_unchecked(&self.b[start..self.i]) };
        if exponent || !canonical_number(tok, fraction) {
            self.canon = false;
        }
        Ok((tok, exponent))
    }

    /// Skips (and validates) any value.
    fn skip(&mut self, depth: u32) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(());
        }
        self.ws();
        match self.peek()? {
            open @ (b'{' | b'[') => self.members(open, &mut |sc, _| sc.skip(depth + 1)),
            b'"' => self.string().map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }

    /// The text of the next value, which must be an object (None for `null`), and whether that
    /// text is canonical.
    fn raw_object(&mut self) -> R<Option<Raw<'a>>> {
        if self.null() {
            return Ok(None);
        }
        self.ws();
        if self.peek()? != b'{' {
            return Err(());
        }
        let start = self.i;
        let outer = self.canon;
        self.canon = true;
        self.skip(1)?;
        let canon = self.canon;
        self.canon = outer;
        // SAFETY: a sub-slice between ASCII delimiters of a UTF-8 record.
        let text = unsafe { std::str::from_utf8_unchecked(&self.b[start..self.i]) };
        Ok(Some((text, canon)))
    }

    /// Walks an object, calling `f` with the scanner at each value; `f` must consume it.
    fn object(&mut self, f: &mut dyn FnMut(&mut Scanner<'a>, &str) -> R<()>) -> R<()> {
        self.members(b'{', f)
    }

    /// Walks the members of an object (`open` = `{`, `f` gets each key) or an array (`[`, `f`
    /// gets ""), calling `f` with the scanner at each value; `f` must consume it.
    fn members(&mut self, open: u8, f: &mut dyn FnMut(&mut Scanner<'a>, &str) -> R<()>) -> R<()> {
        let close = if open == b'{' { b'}' } else { b']' };
        self.ws();
        self.eat(open)?;
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let key = if open == b'{' {
                let key = self.string()?;
                self.ws();
                self.eat(b':')?;
                self.ws();
                key
            } else {
                Cow::Borrowed("")
            };
            f(self, &key)?;
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                c if c == close => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(()),
            }
        }
    }

    /// Walks an object whose keys of interest are `keys`, calling `f` with the scanner at the
    /// value and the key's index; other keys' values are skipped (at `depth`). A repeated key of
    /// interest is refused: DuckDB's path decides which one counts.
    fn fields(
        &mut self,
        keys: &[&str],
        depth: u32,
        f: &mut dyn FnMut(&mut Scanner<'a>, usize) -> R<()>,
    ) -> R<()> {
        let mut seen = 0u64;
        self.object(&mut |sc, key| match keys.iter().position(|k| *k == key) {
            Some(i) => {
                if seen & (1 << i) != 0 {
                    return Err(());
                }
                seen |= 1 << i;
                f(sc, i)
            }
            None => sc.skip(depth),
        })
    }

    fn opt_str(&mut self) -> R<Option<Cow<'a, str>>> {
        if self.null() {
            return Ok(None);
        }
        self.string().map(Some)
    }

    fn opt_bool(&mut self) -> R<Option<bool>> {
        if self.null() {
            return Ok(None);
        }
        match self.peek()? {
            b't' => self.literal(b"true").map(|_| Some(true)),
            b'f' => self.literal(b"false").map(|_| Some(false)),
            _ => Err(()),
        }
    }

    /// A plain number (no exponent, short, not `-0`) as DuckDB casts its text to DOUBLE.
    fn opt_num(&mut self) -> R<Option<f64>> {
        if self.null() {
            return Ok(None);
        }
        let c = self.peek()?;
        if c != b'-' && !c.is_ascii_digit() {
            return Err(());
        }
        let (tok, exponent) = self.number()?;
        if exponent || tok.len() > 20 || tok == "-0" {
            return Err(());
        }
        tok.parse::<f64>().map(Some).map_err(|_| ())
    }
}

/// Whether DuckDB's JSON writer prints this number token exactly as it is.
fn canonical_number(tok: &str, fraction: bool) -> bool {
    if !fraction {
        let digits = tok.trim_start_matches('-');
        return !tok.starts_with("-0") && digits.len() <= 18;
    }
    if tok == "0.0" {
        return true;
    }
    if let Some(canon) = canonical_fraction(tok) {
        return canon;
    }
    match tok.parse::<f64>() {
        Ok(v) => {
            let a = v.abs();
            (1e-3..1e15).contains(&a) && format!("{v:?}") == tok
        }
        Err(_) => false,
    }
}

/// `canonical_number` of a number with a fraction and at most 15 significant digits, without
/// printing it (None: more digits, decide by printing). Such a decimal is the shortest that
/// reads back as its double (any two decimals of at most 15 digits are different doubles), so
/// it prints as itself unless its fraction ends in a superfluous zero; only the range is read
/// from the value.
fn canonical_fraction(tok: &str) -> Option<bool> {
    let (int, frac) = tok.trim_start_matches('-').split_once('.')?;
    let significant = int.trim_start_matches('0').len()
        + if int.trim_start_matches('0').is_empty() {
            frac.trim_start_matches('0').len()
        } else {
            frac.len()
        };
    if significant > 15 {
        return None;
    }
    let a = tok.parse::<f64>().ok()?.abs();
    Some((1e-3..1e15).contains(&a) && (frac == "0" || !frac.ends_with('0')))
}

/// What stage 1 reads of one statement.
#[derive(Default)]
struct Statement<'a> {
    id: Option<Cow<'a, str>>,
    has_actor: bool,
    has_verb: bool,
    has_object: bool,
    actor_type: Option<Cow<'a, str>>,
    mbox: Option<Cow<'a, str>>,
    sha1: Option<Cow<'a, str>>,
    openid: Option<Cow<'a, str>>,
    has_account: bool,
    home: Option<Cow<'a, str>>,
    acct: Option<Cow<'a, str>>,
    verb_id: Option<Cow<'a, str>>,
    obj_type: Option<Cow<'a, str>>,
    obj_id: Option<Cow<'a, str>>,
    def_type: Option<Cow<'a, str>>,
    ts: Option<Cow<'a, str>>,
    stored: Option<Cow<'a, str>>,
    version: Option<Cow<'a, str>>,
    scaled: Option<f64>,
    raw: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    success: Option<bool>,
    completion: Option<bool>,
    response: Option<Cow<'a, str>>,
    duration: Option<Cow<'a, str>>,
    rext: Option<Raw<'a>>,
    vt: Option<f64>,
    vtf: Option<f64>,
    vtt: Option<f64>,
    registration: Option<Cow<'a, str>>,
    ca: Option<Raw<'a>>,
    cext: Option<Raw<'a>>,
    attempt: Option<Cow<'a, str>>,
}

fn parse_statement(b: &[u8]) -> R<Statement<'_>> {
    if !b.is_ascii() && std::str::from_utf8(b).is_err() {
        return Err(());
    }
    let mut sc = Scanner::new(b);
    let mut st = Statement::default();
    let keys = [
        "id",
        "actor",
        "verb",
        "object",
        "timestamp",
        "stored",
        "version",
        "result",
        "context",
    ];
    sc.fields(&keys, 1, &mut |sc, k| {
        match k {
            0 => st.id = sc.opt_str()?,
            1 => {
                st.has_actor = true;
                parse_actor(sc, &mut st)?;
            }
            2 => {
                st.has_verb = true;
                sc.fields(&["id"], 2, &mut |sc, _| {
                    st.verb_id = sc.opt_str()?;
                    Ok(())
                })?;
            }
            3 => {
                st.has_object = true;
                parse_object(sc, &mut st)?;
            }
            4 => st.ts = sc.opt_str()?,
            5 => st.stored = sc.opt_str()?,
            6 => st.version = sc.opt_str()?,
            7 => {
                if !sc.null() {
                    parse_result(sc, &mut st)?;
                }
            }
            _ => {
                if !sc.null() {
                    parse_context(sc, &mut st)?;
                }
            }
        }
        Ok(())
    })?;
    sc.ws();
    if sc.i != b.len() {
        return Err(());
    }
    Ok(st)
}

fn parse_actor<'a>(sc: &mut Scanner<'a>, st: &mut Statement<'a>) -> R<()> {
    let keys = ["objectType", "mbox", "mbox_sha1sum", "openid", "account"];
    sc.fields(&keys, 2, &mut |sc, k| {
        match k {
            0 => st.actor_type = sc.opt_str()?,
            1 => st.mbox = sc.opt_str()?,
            2 => st.sha1 = sc.opt_str()?,
            3 => st.openid = sc.opt_str()?,
            _ => {
                if !sc.null() {
                    st.has_account = true;
                    sc.fields(&["homePage", "name"], 3, &mut |sc, k| {
                        let v = sc.opt_str()?;
                        if k == 0 {
                            st.home = v;
                        } else {
                            st.acct = v;
                        }
                        Ok(())
                    })?;
                }
            }
        }
        Ok(())
    })
}

fn parse_object<'a>(sc: &mut Scanner<'a>, st: &mut Statement<'a>) -> R<()> {
    sc.fields(&["objectType", "id", "definition"], 2, &mut |sc, k| {
        match k {
            0 => st.obj_type = sc.opt_str()?,
            1 => st.obj_id = sc.opt_str()?,
            _ => {
                if !sc.null() {
                    sc.fields(&["type"], 3, &mut |sc, _| {
                        st.def_type = sc.opt_str()?;
                        Ok(())
                    })?;
                }
            }
        }
        Ok(())
    })
}

fn parse_result<'a>(sc: &mut Scanner<'a>, st: &mut Statement<'a>) -> R<()> {
    let keys = [
        "score",
        "success",
        "completion",
        "response",
        "duration",
        "extensions",
    ];
    sc.fields(&keys, 2, &mut |sc, k| {
        match k {
            0 => {
                if !sc.null() {
                    sc.fields(&["scaled", "raw", "min", "max"], 3, &mut |sc, k| {
                        let v = sc.opt_num()?;
                        *[&mut st.scaled, &mut st.raw, &mut st.min, &mut st.max][k] = v;
                        Ok(())
                    })?;
                }
            }
            1 => st.success = sc.opt_bool()?,
            2 => st.completion = sc.opt_bool()?,
            3 => st.response = sc.opt_str()?,
            4 => st.duration = sc.opt_str()?,
            _ => {
                st.rext = sc.raw_object()?;
                if let Some((text, _)) = st.rext {
                    let keys = [VIDEO_TIME, VIDEO_TIME_FROM, VIDEO_TIME_TO];
                    Scanner::new(text.as_bytes()).fields(&keys, 3, &mut |sc, k| {
                        let v = sc.opt_num()?;
                        *[&mut st.vt, &mut st.vtf, &mut st.vtt][k] = v;
                        Ok(())
                    })?;
                }
            }
        }
        Ok(())
    })
}

fn parse_context<'a>(sc: &mut Scanner<'a>, st: &mut Statement<'a>) -> R<()> {
    let keys = ["registration", "contextActivities", "extensions"];
    sc.fields(&keys, 2, &mut |sc, k| {
        match k {
            0 => st.registration = sc.opt_str()?,
            1 => st.ca = sc.raw_object()?,
            _ => {
                st.cext = sc.raw_object()?;
                if let Some((text, _)) = st.cext {
                    Scanner::new(text.as_bytes()).fields(
                        &[ATTEMPT_EXTENSION],
                        3,
                        &mut |sc, _| {
                            st.attempt = sc.opt_str()?;
                            Ok(())
                        },
                    )?;
                }
            }
        }
        Ok(())
    })
}

// ---- the rules' patterns, each no looser than its regular expression in xapi.py ----

/// The offset of the first byte at or after `i` that ends the plain run of a JSON string: a
/// quote, a backslash or a control character. Sixteen bytes at a time on x86-64, then eight:
/// strings are mostly short (keys, ids), where one pass of tests beats `memchr` and a second
/// pass for controls.
#[inline]
fn special_byte(b: &[u8], mut i: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        // Sixteen bytes at a time where the string is long enough (SSE2 is part of x86-64).
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
            _mm_or_si128, _mm_set1_epi8,
        };
        // SAFETY: SSE2 is always there on x86-64, and each load reads 16 bytes at `i` only
        // while `i + 16 <= b.len()`.
        unsafe {
            let quote = _mm_set1_epi8(b'"' as i8);
            let slash = _mm_set1_epi8(b'\\' as i8);
            let control = _mm_set1_epi8(0x1F);
            while i + 16 <= b.len() {
                let v = _mm_loadu_si128(b.as_ptr().add(i) as *const __m128i);
                // A byte is at most 0x1F (unsigned) when max(byte, 0x1F) is 0x1F.
                let low = _mm_cmpeq_epi8(_mm_max_epu8(v, control), control);
                let hits = _mm_or_si128(
                    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                    low,
                );
                let mask = _mm_movemask_epi8(hits) as u32;
                if mask != 0 {
                    return Some(i + mask.trailing_zeros() as usize);
                }
                i += 16;
            }
        }
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= b.len() {
        let w = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        let quote = w ^ (ONES * b'"' as u64);
        let slash = w ^ (ONES * b'\\' as u64);
        // A byte's high bit is set when it is zero (quote, slash) or below 0x20 (w itself): the
        // lowest such byte is exact, a borrow only marks bytes above it.
        let hits = (quote.wrapping_sub(ONES) & !quote)
            | (slash.wrapping_sub(ONES) & !slash)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        let hits = hits & HIGH;
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

/// RE2's `\s` is `[\t\n\f\r ]`; \v is refused too, to be safe.
fn is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ')
}

/// `^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$`
fn is_iri(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphabetic() {
        return false;
    }
    let mut i = 1;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'+' | b'.' | b'-')) {
        i += 1;
    }
    if i >= b.len() || b[i] != b':' {
        return false;
    }
    let rest = &b[i + 1..];
    !rest.is_empty() && !rest.iter().any(|&c| is_space(c))
}

/// `^mailto:[^@\s]+@[^@\s]+$`
fn is_mbox(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("mailto:") else {
        return false;
    };
    let b = rest.as_bytes();
    if b.iter().any(|&c| is_space(c)) {
        return false;
    }
    let ats: Vec<usize> = b
        .iter()
        .enumerate()
        .filter(|(_, &c)| c == b'@')
        .map(|(i, _)| i)
        .collect();
    ats.len() == 1 && ats[0] > 0 && ats[0] + 1 < b.len()
}

/// 40 hex digits.
fn is_sha1(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// 8-4-4-4-12 hex digits (DuckDB's UUID cast accepts these and more).
fn is_uuid(s: &str) -> bool {
    const HEX: [bool; 256] = {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = (c as u8).is_ascii_hexdigit();
            c += 1;
        }
        t
    };
    let b = s.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return false;
    }
    let mut bad = false;
    for (i, &c) in b.iter().enumerate() {
        bad |= !HEX[c as usize] & !matches!(i, 8 | 13 | 18 | 23);
    }
    !bad
}

/// `^1\.0(\.\d+)?$`
fn is_version(s: &str) -> bool {
    match s.strip_prefix("1.0") {
        Some("") => true,
        Some(rest) => {
            rest.len() > 1 && rest.starts_with('.') && rest[1..].bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn n_digits(b: &[u8], i: usize, n: usize) -> bool {
    b.len() >= i + n && b[i..i + n].iter().all(|c| c.is_ascii_digit())
}

/// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)$`, and not the
/// offset `-00:00`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if !(n_digits(b, 0, 4)
        && b.get(4) == Some(&b'-')
        && n_digits(b, 5, 2)
        && b.get(7) == Some(&b'-')
        && n_digits(b, 8, 2)
        && b.get(10) == Some(&b'T')
        && n_digits(b, 11, 2)
        && b.get(13) == Some(&b':')
        && n_digits(b, 14, 2))
    {
        return false;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        if !n_digits(b, i + 1, 2) {
            return false;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    let zone_ok = match b.get(i) {
        Some(b'Z') | Some(b'z') => i + 1 == b.len(),
        Some(b'+') | Some(b'-') => {
            if !n_digits(b, i + 1, 2) {
                false
            } else {
                let rest = &b[i + 3..];
                rest.is_empty()
                    || (rest.len() == 2 && n_digits(rest, 0, 2))
                    || (rest.len() == 3 && rest[0] == b':' && n_digits(rest, 1, 2))
            }
        }
        _ => false,
    };
    zone_ok && !s.ends_with("-00:00")
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (DuckDB's).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Microseconds since the epoch of a timestamp `is_timestamp` accepts, as DuckDB's cast to
/// TIMESTAMPTZ computes them (fraction digits past the sixth dropped), for the forms whose cast
/// this reproduces: a real date from year 1, hours 00-23, seconds 00-59, an upper-case `Z` or
/// an offset of at most 23:59. None for anything else, which the SQL path then casts.
fn timestamp_micros(s: &str) -> Option<i64> {
    if !is_timestamp(s) {
        return None;
    }
    let b = s.as_bytes();
    let num = |i: usize, n: usize| -> i64 {
        b[i..i + n]
            .iter()
            .fold(0, |v, c| v * 10 + i64::from(c - b'0'))
    };
    let (year, month, day, hour, minute) =
        (num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2));
    let (mut i, mut second, mut micros) = (16, 0, 0);
    if b[i] == b':' {
        second = num(17, 2);
        i = 19;
        if b[i] == b'.' {
            i += 1;
            let mut scale = 100_000;
            while b[i].is_ascii_digit() {
                micros += i64::from(b[i] - b'0') * scale;
                scale /= 10;
                i += 1;
            }
        }
    }
    let offset_minutes = match b[i] {
        b'Z' => 0,
        sign @ (b'+' | b'-') => {
            let h = num(i + 1, 2);
            let m = match b.len() - (i + 3) {
                0 => 0,
                2 => num(i + 3, 2),
                _ => num(i + 4, 2),
            };
            if h > 23 || m > 59 {
                return None;
            }
            if sign == b'-' {
                -(h * 60 + m)
            } else {
                h * 60 + m
            }
        }
        _ => return None, // `z`: DuckDB refuses it
    };
    if year < 1
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second
        - offset_minutes * 60;
    Some(seconds * 1_000_000 + micros)
}

/// Seconds of an ISO 8601 duration as the SQL computes them, None when it is not one.
fn duration_seconds(s: &str) -> Option<f64> {
    if s == "P" || s == "PT" || s.ends_with('T') {
        return None;
    }
    let b = s.as_bytes();
    if b.first() != Some(&b'P') {
        return None;
    }
    let mut parts = [0.0f64; 7];
    let mut i = 1;
    let mut next = 0usize;
    let mut time = false;
    while i < b.len() {
        if b[i] == b'T' {
            if time {
                return None;
            }
            time = true;
            next = next.max(4);
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let f = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == f {
                return None;
            }
        }
        let value: f64 = s[start..i].parse().ok()?;
        let slot = match (time, b.get(i)?) {
            (false, b'Y') => 0,
            (false, b'M') => 1,
            (false, b'W') => 2,
            (false, b'D') => 3,
            (true, b'H') => 4,
            (true, b'M') => 5,
            (true, b'S') => 6,
            _ => return None,
        };
        if slot < next {
            return None;
        }
        parts[slot] = value;
        next = slot + 1;
        i += 1;
    }
    let mut total = parts[0] * DURATION_SECONDS[0];
    for k in 1..7 {
        total += parts[k] * DURATION_SECONDS[k];
    }
    Some(total)
}

/// `regexp_extract(s, '([^/#]*)[/#]*$', 1)`: the last segment after '/' or '#'.
fn name_segment(s: &str) -> &str {
    let trimmed = s.trim_end_matches(['/', '#']);
    match trimmed.rfind(['/', '#']) {
        Some(p) => &trimmed[p + 1..],
        None => trimmed,
    }
}

/// `s` in ASCII lower case, borrowed when it already is (ids mostly are).
fn lower(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        s
    }
}

/// `s` from byte `at` on (a char boundary), borrowed when `s` is.
fn sub(s: Cow<'_, str>, at: usize) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(&b[at..]),
        Cow::Owned(o) => Cow::Owned(o[at..].to_owned()),
    }
}

/// `name_segment` of `s`, borrowed when `s` is.
fn segment(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(name_segment(b)),
        Cow::Owned(o) => Cow::Owned(name_segment(&o).to_owned()),
    }
}

/// Stage 1's mapped row of a clean statement.
struct Row<'a> {
    event_id: Cow<'a, str>,
    /// Microseconds since the epoch of `timestamp`, else of `stored`, else None (the load's
    /// time, which the SQL side fills in).
    occurred_us: Option<i64>,
    verb_id: Cow<'a, str>,
    verb: Cow<'a, str>,
    activity_id: Cow<'a, str>,
    obj_type: Option<Cow<'a, str>>,
    ref_id: Cow<'a, str>,
    object_type: Option<Cow<'a, str>>,
    id_kind: &'static str,
    id_value: Cow<'a, str>,
    duration_s: Option<f64>,
    scaled: Option<f64>,
    raw: Option<f64>,
    max: Option<f64>,
    success: Option<bool>,
    completion: Option<bool>,
    response: Option<Cow<'a, str>>,
    vt: Option<f64>,
    vtf: Option<f64>,
    vtt: Option<f64>,
    cext: Option<&'a str>,
    rext: Option<&'a str>,
    ca: Option<&'a str>,
    canon: bool,
    attempt_id: Option<Cow<'a, str>>,
}

/// The mapped row when every rule holds and this path can decide; Err sends it to DuckDB. A
/// statement timestamped after `not_after_us` (microseconds since the epoch) is in the future
/// of the load: the SQL path quarantines it.
fn decide(st: Statement<'_>, not_after_us: i64) -> R<Row<'_>> {
    if !(st.has_actor && st.has_verb && st.has_object) {
        return Err(());
    }
    if st.actor_type.as_deref().is_some_and(|t| t != "Agent") {
        return Err(());
    }
    let ifis = st.mbox.is_some() as u8
        + st.sha1.is_some() as u8
        + st.openid.is_some() as u8
        + st.has_account as u8;
    if ifis != 1 {
        return Err(());
    }
    let (id_kind, id_value): (&'static str, Cow<'_, str>) = if st.has_account {
        let home = st.home.as_deref().ok_or(())?;
        if !is_iri(home) {
            return Err(());
        }
        ("account", st.acct.ok_or(())?)
    } else if let Some(m) = st.mbox {
        if !is_mbox(&m) || !m.is_ascii() {
            return Err(());
        }
        ("email", lower(sub(m, 7)))
    } else if let Some(h) = st.sha1 {
        if !is_sha1(&h) {
            return Err(());
        }
        ("mbox_sha1sum", lower(h))
    } else {
        let o = st.openid.ok_or(())?;
        if !is_iri(&o) {
            return Err(());
        }
        ("openid", o)
    };
    let verb_id = st.verb_id.ok_or(())?;
    if !is_iri(&verb_id) || verb_id == VOIDED_VERB {
        return Err(());
    }
    if st.obj_type.as_deref().is_some_and(|t| t != "Activity") {
        return Err(());
    }
    let obj_id = st.obj_id.ok_or(())?;
    if !is_iri(&obj_id) || !obj_id.is_ascii() {
        return Err(());
    }
    let id = st.id.ok_or(())?; // without an id, the SQL names the statement (a SHA-1 of it)
    if !is_uuid(&id) {
        return Err(());
    }
    if st.version.as_deref().is_some_and(|v| !is_version(v)) {
        return Err(());
    }
    let mut occurred_us = None;
    if let Some(t) = &st.ts {
        let us = timestamp_micros(t).ok_or(())?;
        if us > not_after_us {
            return Err(());
        }
        occurred_us = Some(us);
    }
    if let Some(t) = &st.stored {
        let us = timestamp_micros(t).ok_or(())?;
        occurred_us = occurred_us.or(Some(us));
    }
    if st.scaled.is_some_and(|s| !(-1.0..=1.0).contains(&s)) {
        return Err(());
    }
    if let (Some(lo), Some(hi)) = (st.min, st.max) {
        if lo >= hi {
            return Err(());
        }
    }
    if let (Some(r), Some(lo)) = (st.raw, st.min) {
        if r < lo {
            return Err(());
        }
    }
    if let (Some(r), Some(hi)) = (st.raw, st.max) {
        if r > hi {
            return Err(());
        }
    }
    let duration_s = match &st.duration {
        Some(d) => Some(duration_seconds(d).ok_or(())?),
        None => None,
    };
    if st.registration.as_deref().is_some_and(|r| !is_uuid(r)) {
        return Err(());
    }
    let canon = [st.cext, st.rext, st.ca].iter().flatten().all(|(_, c)| *c);
    let object_type = st.def_type.map(segment).filter(|s| !s.is_empty());
    Ok(Row {
        event_id: lower(id),
        occurred_us,
        verb: segment(verb_id.clone()),
        verb_id,
        ref_id: lower(obj_id.clone()),
        activity_id: obj_id,
        obj_type: st.obj_type,
        object_type,
        id_kind,
        id_value,
        duration_s,
        scaled: st.scaled,
        raw: st.raw,
        max: st.max,
        success: st.success,
        completion: st.completion,
        response: st.response,
        vt: st.vt,
        vtf: st.vtf,
        vtt: st.vtt,
        cext: st.cext.map(|(t, _)| t),
        rext: st.rext.map(|(t, _)| t),
        ca: st.ca.map(|(t, _)| t),
        canon,
        attempt_id: st.attempt.or(st.registration),
    })
}

// ---- Arrow-layout column builders (validity bitmaps, int32 offsets) ----

#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    len: usize,
}

impl Bits {
    fn push(&mut self, v: bool) {
        if self.len.is_multiple_of(8) {
            self.bytes.push(0);
        }
        if v {
            *self.bytes.last_mut().unwrap() |= 1 << (self.len % 8);
        }
        self.len += 1;
    }
}

struct StrCol {
    valid: Bits,
    offsets: Vec<i32>,
    data: Vec<u8>,
}

impl StrCol {
    fn new() -> Self {
        StrCol {
            valid: Bits::default(),
            offsets: vec![0],
            data: Vec::new(),
        }
    }
    fn reserve(&mut self, rows: usize, per_row: usize) {
        self.offsets.reserve(rows);
        huge::advise(&self.offsets);
        self.valid.bytes.reserve(rows / 8 + 1);
        match take_pooled(self.data.len() + rows * per_row) {
            Some(mut v) => {
                v.extend_from_slice(&self.data);
                self.data = v;
            }
            None => {
                self.data.reserve(rows * per_row);
                huge::advise(&self.data);
            }
        }
    }
    fn push(&mut self, v: Option<&str>) {
        self.valid.push(v.is_some());
        if let Some(s) = v {
            self.data.extend_from_slice(s.as_bytes());
        }
        self.offsets.push(self.data.len() as i32);
    }
}

/// A fixed-width column: validity bitmap and values (zero where null).
#[derive(Default)]
struct NumCol<T> {
    valid: Bits,
    values: Vec<T>,
}

impl<T: Copy + Default> NumCol<T> {
    fn push(&mut self, v: Option<T>) {
        self.valid.push(v.is_some());
        self.values.push(v.unwrap_or_default());
    }
}

type F64Col = NumCol<f64>;
type I64Col = NumCol<i64>;

#[derive(Default)]
struct BoolCol {
    valid: Bits,
    values: Bits,
}

impl BoolCol {
    fn push(&mut self, v: Option<bool>) {
        self.valid.push(v.is_some());
        self.values.push(v.unwrap_or(false));
    }
}

const STR_COLS: [&str; 14] = [
    "event_id",
    "verb_id",
    "verb",
    "activity_id",
    "obj_type",
    "ref_id",
    "object_type",
    "id_kind",
    "id_value",
    "response",
    "cext",
    "rext",
    "ca",
    "attempt_id",
];
const F64_COLS: [&str; 7] = [
    "duration_s",
    "score_scaled",
    "score_raw",
    "score_max",
    "video_time_s",
    "video_time_from_s",
    "video_time_to_s",
];
const BOOL_COLS: [&str; 4] = ["ok", "canon", "is_success", "is_completion"];
// Microseconds since the epoch (an Arrow timestamp in UTC).
const TS_COLS: [&str; 1] = ["occurred_at"];

struct Columns {
    n: usize,
    strs: Vec<StrCol>,
    f64s: Vec<F64Col>,
    bools: Vec<BoolCol>,
    timestamps: Vec<I64Col>,
}

impl Columns {
    fn new() -> Self {
        Columns {
            n: 0,
            strs: (0..STR_COLS.len()).map(|_| StrCol::new()).collect(),
            f64s: (0..F64_COLS.len()).map(|_| F64Col::default()).collect(),
            bools: (0..BOOL_COLS.len()).map(|_| BoolCol::default()).collect(),
            timestamps: (0..TS_COLS.len()).map(|_| I64Col::default()).collect(),
        }
    }

    fn push(&mut self, row: Option<Row<'_>>) {
        self.n += 1;
        let Some(r) = row else {
            for c in &mut self.strs {
                c.push(None);
            }
            for c in &mut self.f64s {
                c.push(None);
            }
            self.bools[0].push(Some(false));
            for c in &mut self.bools[1..] {
                c.push(None);
            }
            for c in &mut self.timestamps {
                c.push(None);
            }
            return;
        };
        let s = &mut self.strs;
        s[0].push(Some(&r.event_id));
        s[1].push(Some(&r.verb_id));
        s[2].push(Some(&r.verb));
        s[3].push(Some(&r.activity_id));
        s[4].push(r.obj_type.as_deref());
        s[5].push(Some(&r.ref_id));
        s[6].push(r.object_type.as_deref());
        s[7].push(Some(r.id_kind));
        s[8].push(Some(&r.id_value));
        s[9].push(r.response.as_deref());
        s[10].push(r.cext);
        s[11].push(r.rext);
        s[12].push(r.ca);
        s[13].push(r.attempt_id.as_deref());
        let f = &mut self.f64s;
        f[0].push(r.duration_s);
        f[1].push(r.scaled);
        f[2].push(r.raw);
        f[3].push(r.max);
        f[4].push(r.vt);
        f[5].push(r.vtf);
        f[6].push(r.vtt);
        let b = &mut self.bools;
        b[0].push(Some(true));
        b[1].push(Some(r.canon));
        b[2].push(r.success);
        b[3].push(r.completion);
        self.timestamps[0].push(r.occurred_us);
    }
}

// Rows scanned before the columns reserve room for the rest (from their average sizes so far).
const SAMPLE_ROWS: usize = 512;

fn scan_range(data: &[u8], offsets: &[i32], lo: usize, hi: usize, not_after_us: i64) -> Columns {
    let mut cols = Columns::new();
    for k in lo..hi {
        let (a, b) = (offsets[k] as usize, offsets[k + 1] as usize);
        let row = parse_statement(&data[a..b])
            .and_then(|st| decide(st, not_after_us))
            .ok();
        cols.push(row);
        if cols.n == SAMPLE_ROWS {
            let rest = hi - k;
            for c in &mut cols.strs {
                c.reserve(rest, c.data.len() / SAMPLE_ROWS + 1);
            }
            for c in &mut cols.f64s {
                c.values.reserve(rest);
                huge::advise(&c.values);
            }
            for c in &mut cols.timestamps {
                c.values.reserve(rest);
                huge::advise(&c.values);
            }
        }
    }
    cols
}

/// The bytes of a buffer Python passed in.
pub(crate) fn bytes_of(b: &PyBuffer<u8>) -> &[u8] {
    // SAFETY: the buffer stays alive and unchanged (held by the caller's argument) for the call.
    unsafe { std::slice::from_raw_parts(b.buf_ptr() as *const u8, b.len_bytes()) }
}

/// Entries `first` ..= `first + n` of a string array's int32 offsets (`raw`, little-endian), checked
/// to be ascending, not negative and within `data_len` bytes of data.
pub(crate) fn string_offsets(
    raw: &[u8],
    first: usize,
    n: usize,
    data_len: usize,
) -> PyResult<Vec<i32>> {
    let need = (first + n + 1) * 4;
    if raw.len() < need {
        return Err(PyValueError::new_err(
            "offsets buffer too short for first + n + 1 entries",
        ));
    }
    let offs: Vec<i32> = raw[first * 4..need]
        .chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    if offs.windows(2).any(|w| w[0] > w[1]) || offs[0] < 0 || offs[n] as usize > data_len {
        return Err(PyValueError::new_err(
            "offsets are not a valid string array's",
        ));
    }
    Ok(offs)
}

/// Bytes handed to Python without a copy (buffer protocol): `pyarrow.py_buffer` wraps them.
/// A `pooled` buffer goes back to `POOL` when Python lets go of it.
#[pyclass(frozen)]
struct Buffer {
    data: Vec<u8>,
    pooled: bool,
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if self.pooled {
            give_back(std::mem::take(&mut self.data));
        }
    }
}

// The string column buffers of scans whose columns Python has let go of, for the next scan to
// fill: the chunks of one load need about the same room each, and fresh memory costs a page
// fault per 4 KiB (a chunk of 500K statements writes about 300 MB of column bytes).
// `release_buffers` empties the pool once a load's chunks are done.
static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
const POOL_MAX_BYTES: usize = 1 << 30;
const POOL_MIN_BYTES: usize = 1 << 16;

/// The smallest pooled buffer of at least `capacity` bytes, emptied; None when there is none.
fn take_pooled(capacity: usize) -> Option<Vec<u8>> {
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let k = (0..pool.len())
        .filter(|&k| pool[k].capacity() >= capacity)
        .min_by_key(|&k| pool[k].capacity())?;
    let mut v = pool.swap_remove(k);
    v.clear();
    Some(v)
}

fn give_back(v: Vec<u8>) {
    if v.capacity() < POOL_MIN_BYTES {
        return;
    }
    let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let held: usize = pool.iter().map(Vec::capacity).sum();
    if held + v.capacity() <= POOL_MAX_BYTES {
        pool.push(v);
    }
}

/// Frees the pooled column buffers (the end of a load's scans).
#[pyfunction]
fn release_buffers() {
    POOL.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

#[pymethods]
impl Buffer {
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let data = &slf.get().data;
        // SAFETY: the Vec lives as long as `slf`, which the view holds a reference to.
        let ret = unsafe {
            ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                data.as_ptr() as *mut c_void,
                data.len() as ffi::Py_ssize_t,
                1,
                flags,
            )
        };
        if ret == -1 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, _view: *mut ffi::Py_buffer) {}
}

fn buffer(py: Python<'_>, data: Vec<u8>) -> PyResult<Bound<'_, Buffer>> {
    Bound::new(
        py,
        Buffer {
            data,
            pooled: false,
        },
    )
}

fn le_bytes<T: Copy, const N: usize>(values: &[T], to: fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * N);
    huge::advise(&out);
    for &v in values {
        out.extend_from_slice(&to(v));
    }
    out
}

/// `{"n": rows, "utf8": {name: (validity, offsets, data)}, "f64": {name: (validity, values)},
/// "bool": {name: (validity, values)}, "ts": {name: (validity, values)}}`, columns in their
/// order.
fn to_python<'py>(py: Python<'py>, cols: Columns) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("n", cols.n)?;
    let strs = PyDict::new(py);
    for (name, c) in STR_COLS.iter().zip(cols.strs) {
        if c.data.len() > i32::MAX as usize {
            return Err(PyValueError::new_err(
                "a column exceeds 2 GiB; scan smaller chunks",
            ));
        }
        let offsets = le_bytes(&c.offsets, i32::to_le_bytes);
        let parts = [
            buffer(py, c.valid.bytes)?,
            buffer(py, offsets)?,
            Bound::new(
                py,
                Buffer {
                    data: c.data,
                    pooled: true,
                },
            )?,
        ];
        strs.set_item(name, PyTuple::new(py, parts)?)?;
    }
    out.set_item("utf8", strs)?;
    out.set_item(
        "f64",
        num_group(py, &F64_COLS, cols.f64s, f64::to_le_bytes)?,
    )?;
    let bools = PyDict::new(py);
    for (name, c) in BOOL_COLS.iter().zip(cols.bools) {
        let parts = [buffer(py, c.valid.bytes)?, buffer(py, c.values.bytes)?];
        bools.set_item(name, PyTuple::new(py, parts)?)?;
    }
    out.set_item("bool", bools)?;
    out.set_item(
        "ts",
        num_group(py, &TS_COLS, cols.timestamps, i64::to_le_bytes)?,
    )?;
    Ok(out)
}

/// `{name: (validity, values)}` of fixed-width columns, values little-endian.
fn num_group<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    names: &[&str],
    cols: Vec<NumCol<T>>,
    to: fn(T) -> [u8; N],
) -> PyResult<Bound<'py, PyDict>> {
    let group = PyDict::new(py);
    for (name, c) in names.iter().zip(cols) {
        let values = le_bytes(&c.values, to);
        let parts = [buffer(py, c.valid.bytes)?, buffer(py, values)?];
        group.set_item(name, PyTuple::new(py, parts)?)?;
    }
    Ok(group)
}

/// Scans the `n` records of an Arrow string array (`data`: its value bytes, `offsets`: its int32
/// offsets buffer, from entry `first`) on `threads` threads; a statement timestamped after
/// `not_after_us` (microseconds since the epoch) is left to the SQL path. Returns one dict of
/// column buffers per thread, in record order (see `to_python`).
#[pyfunction]
#[pyo3(signature = (data, offsets, first, n, not_after_us, threads=2))]
fn scan_statements<'py>(
    py: Python<'py>,
    data: PyBuffer<u8>,
    offsets: PyBuffer<u8>,
    first: usize,
    n: usize,
    not_after_us: i64,
    threads: usize,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let bytes = bytes_of(&data);
    let offs = string_offsets(bytes_of(&offsets), first, n, bytes.len())?;
    let threads = threads.clamp(1, 64).min(n.max(1));
    let parts: Vec<Columns> = py.detach(|| {
        // Split by bytes, so each thread gets about the same work.
        let total = (offs[n] - offs[0]) as usize;
        let mut bounds = vec![0usize];
        for t in 1..threads {
            let target = offs[0] as usize + total * t / threads;
            let k = offs.partition_point(|&o| (o as usize) < target).min(n);
            bounds.push(k.max(*bounds.last().unwrap()));
        }
        bounds.push(n);
        std::thread::scope(|s| {
            let handles: Vec<_> = bounds
                .windows(2)
                .map(|w| {
                    let (lo, hi) = (w[0], w[1]);
                    let offs = &offs;
                    s.spawn(move || scan_range(bytes, offs, lo, hi, not_after_us))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("scanner thread panicked"))
                .collect()
        })
    });
    parts.into_iter().map(|c| to_python(py, c)).collect()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(scan_statements, m)?)?;
    m.add_function(wrap_pyfunction!(lines::pack_lines, m)?)?;
    m.add_function(wrap_pyfunction!(release_buffers, m)?)?;
    m.add_function(wrap_pyfunction!(csv::csv_lines, m)?)?;
    m.add_function(wrap_pyfunction!(records::json_objects, m)?)?;
    m.add_function(wrap_pyfunction!(records::syntax_flags, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_iri("http://x/y"));
        assert!(!is_iri("x y:z"));
        assert!(!is_iri("http: x"));
        assert!(is_timestamp("2025-09-08T06:27:51.237Z"));
        assert!(is_timestamp("2025-09-08T06:27+0100"));
        assert!(!is_timestamp("2025-09-08T06:27:51-00:00"));
        assert!(!is_timestamp("2025-09-08 06:27:51Z"));
        assert_eq!(duration_seconds("PT31S"), Some(31.0));
        assert_eq!(duration_seconds("P1DT1H"), Some(90000.0));
        assert_eq!(duration_seconds("P1H"), None);
        assert_eq!(duration_seconds("PT1M1H"), None);
        assert_eq!(name_segment("http://a/b/answered"), "answered");
        assert_eq!(name_segment("http://a/b#x/"), "x");
        assert!(
            is_version("1.0.3") && is_version("1.0") && !is_version("1.0.") && !is_version("1.1")
        );
        assert!(is_mbox("mailto:a@b") && !is_mbox("mailto:a@@b") && !is_mbox("mailto:@b"));
        assert!(is_uuid("063e19ae-cee7-4703-bed0-ae1c6c4d8d20"));
        assert!(!is_uuid("063e19aecee74703bed0ae1c6c4d8d20xxxx"));
    }

    #[test]
    fn numbers_are_canonical_only_as_duckdb_prints_them() {
        assert!(canonical_number("0.0", true) && canonical_number("12.5", true));
        assert!(canonical_number("412", false) && canonical_number("-3", false));
        assert!(!canonical_number("1.50", true)); // printed 1.5
        assert!(!canonical_number("-0", false)); // printed 0
        assert!(!canonical_number("0.00001", true)); // printed 1e-5
        assert!(!canonical_number("1234567890123456789", false));
        let mut sc = Scanner::new(b"1e2");
        assert!(sc.number().is_ok() && !sc.canon);
    }

    /// A small deterministic generator for the checks against reference implementations.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }
    }

    #[test]
    fn special_byte_finds_what_a_byte_by_byte_search_finds() {
        let alphabet = [
            b'a', b'"', b'\\', 0x1F, 0x20, 0x00, 0x7F, 0x80, 0xC3, 0xFF, b'Z', b'!',
        ];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let len = rng.below(100);
            let b: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(4) == 0 {
                        alphabet[rng.below(alphabet.len() as u64)]
                    } else {
                        b'a' + rng.below(26) as u8
                    }
                })
                .collect();
            let from = if len == 0 { 0 } else { rng.below(len as u64) };
            let naive = b[from..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .map(|p| from + p);
            assert_eq!(special_byte(&b, from), naive, "{b:?} from {from}");
        }
    }

    #[test]
    fn the_fraction_shortcut_agrees_with_printing_the_number() {
        let printed = |tok: &str| {
            let v: f64 = tok.parse().unwrap();
            (1e-3..1e15).contains(&v.abs()) && format!("{v:?}") == tok
        };
        let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
        let mut decided = 0;
        for _ in 0..200_000 {
            let int = match rng.below(4) {
                0 => "0".to_string(),
                _ => {
                    let n = 1 + rng.below(17);
                    let mut d = (1 + rng.below(9)).to_string();
                    for _ in 1..n {
                        d.push(char::from(b'0' + rng.below(10) as u8));
                    }
                    d
                }
            };
            let frac: String = (0..1 + rng.below(17))
                .map(|_| char::from(b'0' + [0, 0, 5, rng.below(10) as u8][rng.below(4)]))
                .collect();
            let sign = if rng.below(3) == 0 { "-" } else { "" };
            let tok = format!("{sign}{int}.{frac}");
            if let Some(canon) = canonical_fraction(&tok) {
                decided += 1;
                assert_eq!(canon, printed(&tok), "{tok}");
            }
            assert_eq!(
                canonical_number(&tok, true),
                tok == "0.0" || printed(&tok),
                "{tok}"
            );
        }
        assert!(
            decided > 50_000,
            "the shortcut decided only {decided} tokens"
        );
    }

    #[test]
    fn ids_are_lower_cased_and_borrowed_when_they_already_are() {
        assert!(matches!(
            lower(Cow::Borrowed("abc-1")),
            Cow::Borrowed("abc-1")
        ));
        assert_eq!(lower(Cow::Borrowed("AbC-1")), "abc-1");
        assert!(matches!(
            segment(Cow::Borrowed("http://a/b/played")),
            Cow::Borrowed("played")
        ));
        assert_eq!(segment(Cow::Owned("http://a/b#x/".to_string())), "x");
        assert_eq!(sub(Cow::Borrowed("mailto:a@b"), 7), "a@b");
        let mut uuid = *b"063e19ae-cee7-4703-bed0-ae1c6c4d8d20";
        assert!(is_uuid(std::str::from_utf8(&uuid).unwrap()));
        for i in 0..uuid.len() {
            let keep = uuid[i];
            for c in [b'g', b'-', b'A', b'0', b' '] {
                uuid[i] = c;
                let dash = matches!(i, 8 | 13 | 18 | 23);
                let ok = if dash {
                    c == b'-'
                } else {
                    c.is_ascii_hexdigit()
                };
                assert_eq!(is_uuid(std::str::from_utf8(&uuid).unwrap()), ok, "{i} {c}");
            }
            uuid[i] = keep;
        }
    }

    #[test]
    fn timestamps_are_read_as_duckdb_casts_them_or_left_to_it() {
        // Expected values: DuckDB's epoch_us(TRY_CAST(s AS TIMESTAMPTZ)).
        let cases: [(&str, Option<i64>); 14] = [
            ("2025-09-08T05:41:45.320Z", Some(1_757_310_105_320_000)),
            ("2025-09-08T05:41:45.3204567Z", Some(1_757_310_105_320_456)),
            ("2025-09-08T05:41:45+05:30", Some(1_757_290_305_000_000)),
            ("2025-09-08T05:41:45-0530", Some(1_757_329_905_000_000)),
            ("2025-09-08T05:41:45+05", Some(1_757_292_105_000_000)),
            ("2025-09-08T05:41Z", Some(1_757_310_060_000_000)),
            ("0001-01-01T00:00:00Z", Some(-62_135_596_800_000_000)),
            ("1969-12-31T23:59:59.5Z", Some(-500_000)),
            ("2024-02-29T00:00:00Z", Some(1_709_164_800_000_000)),
            ("2025-09-08T05:41:45+23:59", Some(1_757_223_765_000_000)),
            // DuckDB refuses these (the SQL path quarantines them) or reads them in ways this
            // does not reproduce (hour 24, an offset past 23:59): left to it either way.
            ("2025-02-29T00:00:00Z", None),
            ("2016-12-31T23:59:60Z", None),
            ("2025-09-08T24:00:00Z", None),
            ("2025-09-08T05:41:45z", None),
        ];
        for (s, want) in cases {
            assert_eq!(timestamp_micros(s), want, "{s}");
        }
        assert_eq!(timestamp_micros("2025-09-08T05:41:45+25:00"), None);
        assert_eq!(timestamp_micros("0000-01-01T00:00:00Z"), None);
    }

    #[test]
    fn a_clean_statement_is_decided_and_an_unusual_one_is_not() {
        let clean = br#"{"id":"063e19ae-cee7-4703-bed0-ae1c6c4d8d20","actor":{"mbox":"mailto:A@B.c"},"verb":{"id":"http://x/v/answered"},"object":{"id":"http://x/q-1"},"result":{"duration":"PT1M30S"},"timestamp":"2026-09-01T10:00:00Z"}"#;
        let row = parse_statement(clean)
            .and_then(|st| decide(st, i64::MAX))
            .ok()
            .expect("decided");
        assert_eq!(
            (row.id_kind, &*row.id_value, &*row.verb),
            ("email", "a@b.c", "answered")
        );
        assert_eq!(row.duration_s, Some(90.0));
        assert_eq!(row.occurred_us, Some(1_788_256_800_000_000));
        // A second later than its timestamp, the statement is in the future: SQL decides it.
        let early = 1_788_256_799_999_999;
        assert!(parse_statement(clean)
            .and_then(|st| decide(st, early))
            .is_err());
        let group = br#"{"id":"063e19ae-cee7-4703-bed0-ae1c6c4d8d20","actor":{"objectType":"Group","mbox":"mailto:a@b"},"verb":{"id":"http://x/v"},"object":{"id":"http://x/q"}}"#;
        assert!(parse_statement(group)
            .and_then(|st| decide(st, i64::MAX))
            .is_err());
        let repeated = br#"{"id":"063e19ae-cee7-4703-bed0-ae1c6c4d8d20","id":"063e19ae-cee7-4703-bed0-ae1c6c4d8d21"}"#;
        assert!(parse_statement(repeated).is_err());
        let positional = br#"{"actor":["x"]}"#; // an array is never read as an object
        assert!(parse_statement(positional).is_err());
    }
}
