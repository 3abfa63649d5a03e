//! The binary's allocator: the system's, except that large blocks (decoded screenshots, diff
//! images) are mapped on their own and advised onto transparent huge pages.
//!
//! Why: a 1280×800 RGBA image is 1,000 pages of 4 KiB, and every one of them costs a page
//! fault when first written and a teardown when freed. Profiling `reprise diff-images` on a
//! VM showed page faults and unmapping at about a quarter of the whole process, more than the
//! comparison itself. On 2 MiB pages the same image costs two faults. Where the kernel has
//! transparent huge pages off (`never`), the advice is ignored and this is plain `mmap`.
use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large get their own huge-page-advised mapping.
const LARGE: usize = 1 << 20;
/// The huge page size the mappings are aligned to and sized in.
const HUGE_PAGE: usize = 2 << 20;

pub struct HugeAlloc;

fn mapped_len(size: usize) -> usize {
    size.div_ceil(HUGE_PAGE) * HUGE_PAGE
}

fn is_large(layout: Layout) -> bool {
    layout.size() >= LARGE && layout.align() <= HUGE_PAGE
}

/// A fresh, zero-filled, 2 MiB-aligned mapping of `len` bytes (a multiple of [`HUGE_PAGE`]),
/// or null.
unsafe fn map_huge(len: usize) -> *mut u8 {
    let Some(padded) = len.checked_add(HUGE_PAGE) else {
        return std::ptr::null_mut();
    };
    let raw = libc::mmap(
        std::ptr::null_mut(),
        padded,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
        -1,
        0,
    );
    if raw == libc::MAP_FAILED {
        return std::ptr::null_mut();
    }
    // keep the 2 MiB-aligned part, give the slack on both sides back
    let start = raw as usize;
    let aligned = start.next_multiple_of(HUGE_PAGE);
    let head = aligned - start;
    if head > 0 {
        libc::munmap(raw, head);
    }
    let tail = padded - head - len;
    if tail > 0 {
        libc::munmap((aligned + len) as *mut libc::c_void, tail);
    }
    libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    aligned as *mut u8
}

unsafe impl GlobalAlloc for HugeAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(layout) {
            map_huge(mapped_len(layout.size()))
        } else {
            System.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(layout) {
            // anonymous mappings are zero-filled already
            map_huge(mapped_len(layout.size()))
        } else {
            System.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_large(layout) {
            libc::munmap(ptr.cast(), mapped_len(layout.size()));
        } else {
            System.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return std::ptr::null_mut();
        };
        match (is_large(layout), is_large(new_layout)) {
            (false, false) => System.realloc(ptr, layout, new_size),
            // growing within the same mapping
            (true, true) if mapped_len(new_size) == mapped_len(layout.size()) => ptr,
            _ => {
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_blocks_are_aligned_zeroed_and_survive_realloc() {
        let a = HugeAlloc;
        unsafe {
            let layout = Layout::from_size_align(3 << 20, 8).unwrap();
            let p = a.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % HUGE_PAGE, 0);
            let s = std::slice::from_raw_parts_mut(p, layout.size());
            assert!(s.iter().all(|&b| b == 0));
            s[0] = 7;
            s[layout.size() - 1] = 9;
            // grow past the mapping, then shrink to a small block: contents kept
            let p = a.realloc(p, layout, 5 << 20);
            assert!(!p.is_null());
            assert_eq!((*p, *p.add((3 << 20) - 1)), (7, 9));
            let big = Layout::from_size_align(5 << 20, 8).unwrap();
            let p = a.realloc(p, big, 16);
            assert_eq!(*p, 7);
            a.dealloc(p, Layout::from_size_align(16, 8).unwrap());
        }
    }
}
