//! A pre-pass over an Avro datum that checks every length and count against the
//! bytes actually present, before apache-avro decodes it.
//!
//! Why: apache-avro allocates from length prefixes before reading the data
//! (`vec![0; len]` for strings, `reserve(count)` for arrays and maps). Its only
//! cap is a process-wide 512 MiB per length, and for arrays and maps that is a
//! count of elements, not bytes: five garbage bytes claiming a map of 10^8
//! entries make it reserve gigabytes, which aborts the process where memory is
//! not overcommitted. Records come from Kafka, i.e. from anyone, so every
//! length is checked here first: a count can never exceed the remaining bytes
//! (each string, map entry or non-null item takes at least one byte).
//! Nesting is capped so a recursive writer schema cannot overflow the stack.

use std::collections::HashMap;

use apache_avro::schema::{Name, ResolvedSchema, Schema};

use crate::error::DecodeError;

const MAX_DEPTH: usize = 64;

pub(crate) fn check_lengths(schema: &Schema, body: &[u8]) -> Result<(), DecodeError> {
    let mut walker = Walker { root: schema, names: None, input: body };
    match walker.walk(schema, 0) {
        Ok(()) | Err(Stop::GiveUp) => Ok(()),
        Err(Stop::Malformed(reason)) => Err(DecodeError::MalformedAvro { reason }),
    }
}

enum Stop {
    /// The datum is certainly not valid for the schema.
    Malformed(&'static str),
    /// A schema construct this pass does not model; let apache-avro decide.
    GiveUp,
}

struct Walker<'s, 'b> {
    root: &'s Schema,
    /// Named types of `root`, resolved at the first reference: most datums
    /// have none, and resolving costs more than the walk itself.
    names: Option<HashMap<Name, &'s Schema>>,
    input: &'b [u8],
}

impl<'s> Walker<'s, '_> {
    fn names(&mut self) -> Result<&HashMap<Name, &'s Schema>, Stop> {
        if self.names.is_none() {
            // On failure apache-avro will report the same problem with more detail.
            let resolved = ResolvedSchema::try_from(self.root).map_err(|_| Stop::GiveUp)?;
            self.names = Some(resolved.get_names().clone());
        }
        self.names.as_ref().ok_or(Stop::GiveUp)
    }

    fn walk(&mut self, schema: &'s Schema, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop::Malformed("nesting too deep"));
        }
        match schema {
            Schema::Null => Ok(()),
            Schema::Boolean => self.skip(1),
            Schema::Int
            | Schema::Long
            | Schema::Date
            | Schema::TimeMillis
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => self.varint().map(drop),
            Schema::Float => self.skip(4),
            Schema::Double => self.skip(8),
            Schema::Bytes | Schema::String | Schema::BigDecimal => {
                let len = self.length()?;
                self.skip(len)
            }
            Schema::Fixed(fixed) => self.skip(fixed.size),
            Schema::Duration => self.skip(12),
            Schema::Decimal(decimal) => self.walk(&decimal.inner, depth + 1),
            Schema::Enum(_) => self.varint().map(drop),
            Schema::Union(union) => {
                let index = self.varint()?;
                let branch = usize::try_from(index)
                    .ok()
                    .and_then(|i| union.variants().get(i))
                    .ok_or(Stop::Malformed("union index out of range"))?;
                self.walk(branch, depth + 1)
            }
            Schema::Array(array) => self.blocks(depth, |w, d| w.walk(&array.items, d)),
            Schema::Map(map) => self.blocks(depth, |w, d| {
                let len = w.length()?;
                w.skip(len)?;
                w.walk(&map.types, d)
            }),
            Schema::Record(record) => {
                for field in &record.fields {
                    self.walk(&field.schema, depth + 1)?;
                }
                Ok(())
            }
            Schema::Ref { name } => {
                let target = *self.names()?.get(name).ok_or(Stop::GiveUp)?;
                self.walk(target, depth + 1)
            }
            _ => Err(Stop::GiveUp),
        }
    }

    fn blocks(&mut self, depth: usize, mut item: impl FnMut(&mut Self, usize) -> Result<(), Stop>) -> Result<(), Stop> {
        loop {
            let mut count = self.varint()?;
            if count == 0 {
                return Ok(());
            }
            if count < 0 {
                count = count.checked_neg().ok_or(Stop::Malformed("block count overflows"))?;
                let _block_bytes = self.varint()?;
            }
            // Each item takes at least one byte, except items of type null, which
            // nobody sends in bulk; rejecting those keeps the bound simple.
            let count = usize::try_from(count).map_err(|_| Stop::Malformed("block count overflows"))?;
            if count > self.input.len() {
                return Err(Stop::Malformed("block count exceeds the remaining bytes"));
            }
            for _ in 0..count {
                item(self, depth + 1)?;
            }
        }
    }

    fn length(&mut self) -> Result<usize, Stop> {
        let len = self.varint()?;
        let len = usize::try_from(len).map_err(|_| Stop::Malformed("negative length"))?;
        if len > self.input.len() {
            return Err(Stop::Malformed("length exceeds the remaining bytes"));
        }
        Ok(len)
    }

    fn skip(&mut self, n: usize) -> Result<(), Stop> {
        let (_, rest) = self.input.split_at_checked(n).ok_or(Stop::Malformed("datum ends early"))?;
        self.input = rest;
        Ok(())
    }

    /// Zig-zag varint, at most 10 bytes.
    fn varint(&mut self) -> Result<i64, Stop> {
        let mut raw: u64 = 0;
        for (i, byte) in self.input.iter().take(10).enumerate() {
            raw |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.input = &self.input[i + 1..];
                return Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64));
            }
        }
        Err(Stop::Malformed("truncated or overlong varint"))
    }
}
