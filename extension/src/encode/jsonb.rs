//! `jsonb` values written directly in PostgreSQL's binary form, so that the statement-level
//! write ([`crate::ingest::flush`]) does not parse every row's metadata text again with
//! `jsonb_in` (about 8% of a bulk ingest). Plain Rust: the ingest helper thread
//! ([`crate::ingest::helper`]) encodes while the backend inserts.
//!
//! The layout is `utils/jsonb.h` / `convertToJsonb` of PostgreSQL 15: a varlena whose data is
//! the root container. A container is a `uint32` header (count | object or array flag), one
//! `JEntry` per child (for an object: all keys, sorted by length and then bytes, then all
//! values in the same order), then the children's data. A `JEntry` holds the child's type and
//! its length, except every 32nd, which holds the end offset (`JENTRY_HAS_OFF`). Containers
//! and numerics start 4-byte aligned; the padding counts towards the child's length. Numbers
//! are `numeric` values with their own varlena header.
//!
//! Only what this extension writes is encoded: objects with string keys, strings, booleans,
//! null, arrays, objects and integers. [`encode`] returns `None` for anything else (a
//! fractional or huge number, a string with NUL) and the caller sends that row as text for
//! `jsonb_in`, as before. The tests compare every byte with what `jsonb_in` makes.

use serde_json::{Map, Value};

const JENTRY_OFFLENMASK: u32 = 0x0FFF_FFFF;
const JENTRY_HAS_OFF: u32 = 0x8000_0000;
const JENTRY_TYPEMASK: u32 = 0x7000_0000;
const JENTRY_ISSTRING: u32 = 0x0000_0000;
const JENTRY_ISNUMERIC: u32 = 0x1000_0000;
const JENTRY_ISBOOL_FALSE: u32 = 0x2000_0000;
const JENTRY_ISBOOL_TRUE: u32 = 0x3000_0000;
const JENTRY_ISNULL: u32 = 0x4000_0000;
const JENTRY_ISCONTAINER: u32 = 0x5000_0000;
const JB_OFFSET_STRIDE: usize = 32;
const JB_FOBJECT: u32 = 0x2000_0000;
const JB_FARRAY: u32 = 0x4000_0000;
const JB_CMASK: u32 = 0x0FFF_FFFF;

const NUMERIC_SHORT: u16 = 0x8000;
const NUMERIC_SHORT_SIGN_MASK: u16 = 0x2000;
const NBASE: u128 = 10_000;

/// A varlena's 4-byte header for `len` bytes (header included), as SET_VARSIZE_4B writes it.
fn varlena_header(len: usize) -> [u8; 4] {
    #[cfg(target_endian = "little")]
    let h = (len as u32) << 2;
    #[cfg(target_endian = "big")]
    let h = (len as u32) & 0x3FFF_FFFF;
    h.to_ne_bytes()
}

/// The whole `jsonb` varlena (header included) of an object, or `None` if it holds something
/// this encoder leaves to `jsonb_in`.
pub fn encode(object: &Map<String, Value>) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(512);
    buf.extend_from_slice(&[0; 4]);
    self::object(&mut buf, object)?;
    if buf.len() > 0x3FFF_FFFF {
        return None;
    }
    let header = varlena_header(buf.len());
    buf[..4].copy_from_slice(&header);
    Some(buf)
}

/// Pads to a multiple of 4 from the start of the varlena; returns the padding.
fn pad(buf: &mut Vec<u8>) -> u32 {
    let padding = (4 - buf.len() % 4) % 4;
    buf.resize(buf.len() + padding, 0);
    padding as u32
}

/// Appends a child's data; returns its `JEntry` (type and length).
fn value(buf: &mut Vec<u8>, v: &Value) -> Option<u32> {
    match v {
        Value::Null => Some(JENTRY_ISNULL),
        Value::Bool(false) => Some(JENTRY_ISBOOL_FALSE),
        Value::Bool(true) => Some(JENTRY_ISBOOL_TRUE),
        Value::String(s) => string(buf, s),
        Value::Number(n) => {
            let n = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => i128::from(i),
                (None, Some(u)) => i128::from(u),
                _ => return None,
            };
            let padding = pad(buf);
            let start = buf.len();
            numeric(buf, n);
            Some(JENTRY_ISNUMERIC | (padding + (buf.len() - start) as u32))
        }
        Value::Array(items) => array(buf, items),
        Value::Object(o) => object(buf, o),
    }
}

fn string(buf: &mut Vec<u8>, s: &str) -> Option<u32> {
    // jsonb_in refuses \u0000; leave such text to it (and its error).
    if s.len() > JENTRY_OFFLENMASK as usize || s.contains('\0') {
        return None;
    }
    buf.extend_from_slice(s.as_bytes());
    Some(JENTRY_ISSTRING | s.len() as u32)
}

/// An integer as `numeric_in` makes it: base-10000 digits without leading or trailing zero
/// digits, the weight of the first, scale 0, in the short header form.
fn numeric(buf: &mut Vec<u8>, n: i128) {
    let mut rest = n.unsigned_abs();
    let mut digits: Vec<u16> = Vec::new();
    while rest > 0 {
        digits.push((rest % NBASE) as u16);
        rest /= NBASE;
    }
    digits.reverse();
    let weight = digits.len() as i32 - 1;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let mut header = NUMERIC_SHORT;
    if digits.is_empty() {
        // Zero: weight 0, positive.
    } else {
        if n < 0 {
            header |= NUMERIC_SHORT_SIGN_MASK;
        }
        // An i128 from i64/u64 has at most 5 digits: weight 0..=4 fits the short form.
        header |= (weight & 0x3F) as u16;
    }
    let len = 4 + 2 + 2 * digits.len();
    buf.extend_from_slice(&varlena_header(len));
    buf.extend_from_slice(&header.to_ne_bytes());
    for d in digits {
        buf.extend_from_slice(&(d as i16).to_ne_bytes());
    }
}

/// Writes a container's children: their `JEntry`s go in the slots reserved at `slots`.
fn children<'v>(
    buf: &mut Vec<u8>,
    slots: usize,
    items: impl Iterator<Item = Child<'v>>,
) -> Option<()> {
    let mut total: u32 = 0;
    for (i, item) in items.enumerate() {
        let meta = match item {
            Child::Key(k) => string(buf, k)?,
            Child::Value(v) => value(buf, v)?,
        };
        total = total.checked_add(meta & JENTRY_OFFLENMASK)?;
        if total > JENTRY_OFFLENMASK {
            return None;
        }
        let meta = if i % JB_OFFSET_STRIDE == 0 {
            (meta & JENTRY_TYPEMASK) | total | JENTRY_HAS_OFF
        } else {
            meta
        };
        let at = slots + 4 * i;
        buf[at..at + 4].copy_from_slice(&meta.to_ne_bytes());
    }
    Some(())
}

enum Child<'v> {
    Key(&'v str),
    Value(&'v Value),
}

/// Starts a container (padding, header, reserved `JEntry`s); returns where it began (before
/// the padding) and where the `JEntry`s are.
fn open(buf: &mut Vec<u8>, header: u32, entries: usize) -> (usize, usize) {
    let base = buf.len();
    pad(buf);
    buf.extend_from_slice(&header.to_ne_bytes());
    let slots = buf.len();
    buf.resize(slots + 4 * entries, 0);
    (base, slots)
}

fn close(buf: &[u8], base: usize) -> Option<u32> {
    let len = u32::try_from(buf.len() - base).ok()?;
    (len <= JENTRY_OFFLENMASK).then_some(JENTRY_ISCONTAINER | len)
}

fn array(buf: &mut Vec<u8>, items: &[Value]) -> Option<u32> {
    let n = u32::try_from(items.len()).ok().filter(|n| *n <= JB_CMASK)?;
    let (base, slots) = open(buf, n | JB_FARRAY, items.len());
    children(buf, slots, items.iter().map(Child::Value))?;
    close(buf, base)
}

fn object(buf: &mut Vec<u8>, o: &Map<String, Value>) -> Option<u32> {
    let n = u32::try_from(o.len()).ok().filter(|n| *n <= JB_CMASK)?;
    let mut pairs: Vec<(&String, &Value)> = o.iter().collect();
    // jsonb's key order: shorter first, then by bytes.
    pairs.sort_unstable_by(|a, b| {
        a.0.len()
            .cmp(&b.0.len())
            .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
    });
    let (base, slots) = open(buf, n | JB_FOBJECT, 2 * pairs.len());
    let keys = pairs.iter().map(|(k, _)| Child::Key(k.as_str()));
    let values = pairs.iter().map(|(_, v)| Child::Value(v));
    children(buf, slots, keys.chain(values))?;
    close(buf, base)
}
