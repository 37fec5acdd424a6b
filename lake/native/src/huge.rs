//! Transparent huge pages for the big buffers a load fills.
//!
//! A load writes gigabytes into fresh memory (the packed lines, the scanner's columns, the CSV
//! bronze records), and the kernel faults fresh memory in one 4 KiB page at a time: 850K page
//! faults for 1M statements, a fifth of the load's system time. Where transparent huge pages
//! are in `madvise` mode (Debian's and many distributions' default), a buffer that asks for them
//! is faulted in 2 MiB at a time. Elsewhere the advice is ignored, or is the default already.

/// Buffers smaller than this keep their pages as they are (a huge page is 2 MiB).
pub(crate) const MIN_BYTES: usize = 2 << 20;

/// Asks for huge pages for the memory `v` holds (its capacity, not only its length), when that
/// is at least `MIN_BYTES`. Call it after the buffer was allocated or grown, before it is
/// written: pages already faulted in stay small. Advice only: nothing fails if it is refused.
pub(crate) fn advise<T>(v: &Vec<T>) {
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes >= MIN_BYTES {
        advise_range(v.as_ptr() as usize, bytes);
    }
}

#[cfg(target_os = "linux")]
fn advise_range(start: usize, bytes: usize) {
    // SAFETY: sysconf has no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        p if p > 0 => p as usize,
        _ => return,
    };
    // madvise takes whole pages: the pages that lie entirely inside the buffer.
    let lo = start.div_ceil(page) * page;
    let hi = (start + bytes) / page * page;
    if hi > lo {
        // SAFETY: [lo, hi) lies inside one live allocation of ours; MADV_HUGEPAGE changes how
        // its pages are backed, never their contents, and an error only means no huge pages.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_start: usize, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advised_buffers_keep_their_bytes_and_small_ones_are_left_alone() {
        let mut big: Vec<u8> = Vec::with_capacity(8 << 20);
        advise(&big);
        big.extend((0..(8u32 << 20)).map(|i| (i % 251) as u8));
        assert!(big.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        let mut small: Vec<u64> = Vec::with_capacity(16);
        advise(&small);
        small.push(7);
        assert_eq!(small, [7]);
    }
}
