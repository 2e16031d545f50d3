//! Avro binary encoding of the primitive and complex types our schemas use,
//! written straight into a `Vec<u8>`.
//!
//! Follows the Avro 1.11 specification, section "Data Serialization and
//! Deserialization" → "Binary Encoding":
//! <https://avro.apache.org/docs/1.11.1/specification/#binary-encoding>

use crate::model::Metadata;

/// The most bytes a zig-zag varint of a 64-bit value takes.
pub(crate) const MAX_VARINT: usize = 10;

/// "Primitive Types": `int` and `long` are written as variable-length
/// zig-zag coded integers (the two share one encoding).
pub(crate) fn long(out: &mut Vec<u8>, value: i64) {
    varint(out, ((value << 1) ^ (value >> 63)) as u64);
}

/// "Primitive Types": `int`, same encoding as `long`.
pub(crate) fn int(out: &mut Vec<u8>, value: i32) {
    long(out, i64::from(value));
}

/// "Primitive Types": a `boolean` is one byte, 0 or 1.
pub(crate) fn boolean(out: &mut Vec<u8>, value: bool) {
    out.push(u8::from(value));
}

/// "Primitive Types": `bytes` is a `long` length followed by that many bytes.
pub(crate) fn bytes(out: &mut Vec<u8>, value: &[u8]) {
    length(out, value.len());
    out.extend_from_slice(value);
}

/// "Primitive Types": a `string` is a `long` length followed by its UTF-8 bytes.
pub(crate) fn string(out: &mut Vec<u8>, value: &str) {
    bytes(out, value.as_bytes());
}

/// "Unions": the branch index as a `long`, then the value. Every union in our
/// schemas is `["null", T]`, so `None` is branch 0 (null writes nothing) and
/// `Some` is branch 1.
pub(crate) fn optional<T>(out: &mut Vec<u8>, value: Option<T>, write: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        None => out.push(0),
        Some(v) => {
            out.push(2); // zig-zag of 1
            write(out, v);
        }
    }
}

/// `["null", "string"]`.
pub(crate) fn optional_string(out: &mut Vec<u8>, value: Option<&str>) {
    optional(out, value, string);
}

/// `["null", {"type": "long", "logicalType": "timestamp-millis"}]`: "Logical
/// Types" are written as their underlying type.
pub(crate) fn optional_long(out: &mut Vec<u8>, value: Option<i64>) {
    optional(out, value, long);
}

/// "Complex Types" → "Arrays": one block of `count` items, then the
/// zero-count block that ends the array. An empty array is just the end block.
pub(crate) fn string_array(out: &mut Vec<u8>, items: &[String]) {
    if !items.is_empty() {
        length(out, items.len());
        for item in items {
            string(out, item);
        }
    }
    out.push(0);
}

/// "Complex Types" → "Maps": blocks like arrays, each item a `string` key
/// followed by the value. Entries go in the map's (sorted) key order.
pub(crate) fn string_map(out: &mut Vec<u8>, map: &Metadata) {
    if !map.is_empty() {
        length(out, map.len());
        for (key, value) in map {
            string(out, key);
            string(out, value);
        }
    }
    out.push(0);
}

/// Upper bound of the bytes [`string_map`] writes.
pub(crate) fn string_map_size(map: &Metadata) -> usize {
    map.iter().map(|(k, v)| k.len() + v.len() + 2 * MAX_VARINT).sum::<usize>() + 2 * MAX_VARINT
}

/// Upper bound of the bytes [`string_array`] writes.
pub(crate) fn string_array_size(items: &[String]) -> usize {
    items.iter().map(|s| s.len() + MAX_VARINT).sum::<usize>() + 2 * MAX_VARINT
}

/// A length or count as a `long`. Non-negative, so its zig-zag form is `2n`.
/// Lengths of in-memory values are below 2^63, so the shift loses nothing.
fn length(out: &mut Vec<u8>, len: usize) {
    varint(out, (len as u64) << 1);
}

/// Base-128 varint, low-order groups first, high bit set on all but the last byte.
fn varint(out: &mut Vec<u8>, mut z: u64) {
    while z > 0x7F {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(write: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out);
        out
    }

    #[test]
    fn longs_follow_the_spec_table() {
        // The table under "Primitive Types" in the specification.
        let table: [(i64, &[u8]); 7] = [
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (2, &[0x04]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
        ];
        for (value, expected) in table {
            assert_eq!(encoded(|o| long(o, value)), expected, "{value}");
        }
    }

    #[test]
    fn extreme_longs_and_ints_take_ten_and_five_bytes() {
        assert_eq!(encoded(|o| long(o, i64::MAX)), [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(encoded(|o| long(o, i64::MIN)), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        assert_eq!(encoded(|o| int(o, i32::MIN)), [0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(encoded(|o| int(o, i32::MAX)), [0xfe, 0xff, 0xff, 0xff, 0x0f]);
    }

    #[test]
    fn string_is_length_then_utf8() {
        // The specification's example: "foo" is 06 66 6f 6f.
        assert_eq!(encoded(|o| string(o, "foo")), [0x06, b'f', b'o', b'o']);
        assert_eq!(encoded(|o| string(o, "")), [0x00]);
    }

    #[test]
    fn union_null_is_branch_zero_and_value_is_branch_one() {
        assert_eq!(encoded(|o| optional_string(o, None)), [0x00]);
        assert_eq!(encoded(|o| optional_string(o, Some("a"))), [0x02, 0x02, b'a']);
        assert_eq!(encoded(|o| optional_long(o, Some(-1))), [0x02, 0x01]);
    }

    #[test]
    fn arrays_and_maps_are_one_block_then_the_end_block() {
        // Shaped like the specification's array example ([3, 27] is 04 06 36 00), with strings.
        assert_eq!(encoded(|o| string_array(o, &[])), [0x00]);
        assert_eq!(encoded(|o| string_array(o, &["a".into(), "b".into()])), [0x04, 0x02, b'a', 0x02, b'b', 0x00]);
        let map = Metadata::from([("k".to_owned(), "v".to_owned())]);
        assert_eq!(encoded(|o| string_map(o, &map)), [0x02, 0x02, b'k', 0x02, b'v', 0x00]);
        assert_eq!(encoded(|o| string_map(o, &Metadata::new())), [0x00]);
    }
}
