//! One-dimensional PostgreSQL arrays built in one allocation from Rust values, for the
//! statement-level write ([`crate::ingest::flush`]). pgrx's conversion makes a datum per
//! element and then copies them all again into the array: about 5% of a bulk ingest.
//!
//! The layout is PostgreSQL's (`utils/array.h`): varlena header, number of dimensions, data
//! offset (0 when there is no null bitmap), element type; the dimension and its lower bound;
//! the null bitmap if any (bit set = not null); then, from a MAXALIGNed offset, the elements,
//! each padded to the element type's alignment: text as a varlena with a 4-byte header (as
//! `construct_md_array` stores it), int8 and int4 by value. An empty array has no dimension.
//! The tests compare every kind with what `construct_md_array` makes.

use pgrx::pg_sys;

const MAXALIGN: usize = pg_sys::MAXIMUM_ALIGNOF as usize;
/// `ArrayType`: vl_len_, ndim, dataoffset, elemtype.
const ARRAY_HEADER: usize = 16;
/// PostgreSQL's MaxAllocSize: the largest palloc, and so the largest value.
const MAX_ALLOC: usize = 0x3fff_ffff;
/// One dimension and its lower bound.
const DIMS: usize = 8;

fn align(n: usize, to: usize) -> usize {
    (n + to - 1) & !(to - 1)
}

/// What precedes the elements: header, dimension, lower bound, null bitmap; MAXALIGNed.
fn overhead(nitems: usize, has_nulls: bool) -> usize {
    let bitmap = if has_nulls { nitems.div_ceil(8) } else { 0 };
    align(ARRAY_HEADER + DIMS + bitmap, MAXALIGN)
}

/// Allocates a zeroed array of `size` bytes in the current memory context and fills in its
/// header; returns the start of the array.
///
/// # Safety
/// Must run in a backend with a valid current memory context.
unsafe fn start(size: usize, elem: pg_sys::Oid, nitems: usize, has_nulls: bool) -> *mut u8 {
    let p = pg_sys::palloc0(size).cast::<u8>();
    pgrx::set_varsize_4b(p.cast(), size as i32);
    if nitems == 0 {
        // ndim 0, dataoffset 0: PostgreSQL's empty array.
        p.add(12).cast::<pg_sys::Oid>().write_unaligned(elem);
        return p;
    }
    p.add(4).cast::<i32>().write_unaligned(1);
    let dataoffset = if has_nulls {
        overhead(nitems, true) as i32
    } else {
        0
    };
    p.add(8).cast::<i32>().write_unaligned(dataoffset);
    p.add(12).cast::<pg_sys::Oid>().write_unaligned(elem);
    p.add(16).cast::<i32>().write_unaligned(nitems as i32);
    p.add(20).cast::<i32>().write_unaligned(1);
    p
}

/// Refuses what an array cannot hold (PostgreSQL's limit is 1 GB per value).
fn check_size(size: usize) -> usize {
    assert!(
        size <= MAX_ALLOC,
        "cxone_vector: a statement-level array would exceed 1 GB; insert fewer payloads per statement"
    );
    size
}

/// One element of a varlena array.
pub enum Element<'a> {
    /// Text, given its 4-byte header here.
    Text(&'a str),
    /// A whole varlena with its 4-byte header (e.g. from [`crate::encode::jsonb::encode`]).
    Varlena(&'a [u8]),
}

impl Element<'_> {
    fn len(&self) -> usize {
        match self {
            Element::Text(s) => 4 + s.len(),
            Element::Varlena(b) => b.len(),
        }
    }
}

/// A `text[]` of `get` applied to each item (NULL for `None`).
///
/// # Safety
/// Must run in a backend with a valid current memory context.
pub unsafe fn text<'a, T: 'a>(
    items: &'a [T],
    get: impl Fn(&'a T) -> Option<&'a str>,
) -> pg_sys::Datum {
    varlenas(pg_sys::TEXTOID, items, |t| get(t).map(Element::Text))
}

/// An array of a varlena type with int alignment (text, jsonb) of `get` applied to each item
/// (NULL for `None`).
///
/// # Safety
/// Must run in a backend with a valid current memory context; `Element::Varlena` bytes must
/// be a valid value of `elem`.
pub unsafe fn varlenas<'a, T: 'a>(
    elem: pg_sys::Oid,
    items: &'a [T],
    get: impl Fn(&'a T) -> Option<Element<'a>>,
) -> pg_sys::Datum {
    let nitems = items.len();
    let has_nulls = items.iter().any(|t| get(t).is_none());
    let head = if nitems == 0 {
        ARRAY_HEADER
    } else {
        overhead(nitems, has_nulls)
    };
    let mut size = head;
    for e in items.iter().filter_map(&get) {
        size = align(size + e.len(), 4);
    }
    let p = start(check_size(size), elem, nitems, has_nulls);
    let mut at = head;
    for (i, item) in items.iter().enumerate() {
        let Some(e) = get(item) else { continue };
        if has_nulls {
            *p.add(ARRAY_HEADER + DIMS + i / 8) |= 1 << (i % 8);
        }
        match e {
            Element::Text(s) => {
                pgrx::set_varsize_4b(p.add(at).cast(), (4 + s.len()) as i32);
                std::ptr::copy_nonoverlapping(s.as_ptr(), p.add(at + 4), s.len());
            }
            Element::Varlena(b) => std::ptr::copy_nonoverlapping(b.as_ptr(), p.add(at), b.len()),
        }
        at = align(at + e.len(), 4);
    }
    pg_sys::Datum::from(p)
}

/// An array of a fixed-length type passed by value (no NULLs).
unsafe fn fixed<T: Copy>(elem: pg_sys::Oid, items: &[T]) -> pg_sys::Datum {
    let head = if items.is_empty() {
        ARRAY_HEADER
    } else {
        overhead(items.len(), false)
    };
    let size = check_size(head + std::mem::size_of_val(items));
    let p = start(size, elem, items.len(), false);
    std::ptr::copy_nonoverlapping(
        items.as_ptr().cast::<u8>(),
        p.add(head),
        std::mem::size_of_val(items),
    );
    pg_sys::Datum::from(p)
}

/// An `int8[]`.
///
/// # Safety
/// Must run in a backend with a valid current memory context.
pub unsafe fn int8(items: &[i64]) -> pg_sys::Datum {
    fixed(pg_sys::INT8OID, items)
}

/// An `int4[]`.
///
/// # Safety
/// Must run in a backend with a valid current memory context.
pub unsafe fn int4(items: &[i32]) -> pg_sys::Datum {
    fixed(pg_sys::INT4OID, items)
}
