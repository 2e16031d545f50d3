//! What [`split`] does with a text, in words: the `smsgw text` subcommand prints
//! a [`Plan`] so an operator can see the encoding, the national tables, the
//! segments and the exact bytes each `submit_sm` will carry.

use std::fmt;

use crate::encoding::{Encoding, Preference};
use crate::error::TextError;
use crate::gsm7;
use crate::segment::{split, Message, SplitOptions};

/// A split message with per-segment counts, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// What [`split`] returned.
    pub message: Message,
    /// Characters (Unicode scalar values) in each segment, in order.
    pub chars: Vec<usize>,
    /// Units in each segment: septets (an escape counts), octets or UTF-16 units.
    pub units: Vec<usize>,
}

/// Splits `text` as [`split`] would and explains the result. Pure: the same input
/// always gives the same plan.
pub fn explain(text: &str, pref: Preference, opts: &SplitOptions) -> Result<Plan, TextError> {
    let message = split(text, pref, opts)?;
    let tables = message.shift.tables();
    let (chars, units) = message
        .segments
        .iter()
        .map(|seg| match message.encoding {
            Encoding::Gsm7 => (gsm7::decode_unpacked_with(&tables, &seg.payload).chars().count(), seg.payload.len()),
            Encoding::Ucs2 => (crate::ucs2::decode(&seg.payload).chars().count(), seg.payload.len() / 2),
            Encoding::Latin1 | Encoding::Binary => (seg.payload.len(), seg.payload.len()),
        })
        .unzip();
    Ok(Plan { message, chars, units })
}

fn unit_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Gsm7 => "septets",
        Encoding::Ucs2 => "UTF-16 units",
        Encoding::Latin1 | Encoding::Binary => "octets",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.message;
        write!(f, "encoding: {}", m.encoding)?;
        if m.encoding == Encoding::Gsm7 {
            write!(f, " ({})", m.shift)?;
        }
        writeln!(f)?;
        writeln!(f, "data_coding: 0x{:02x}", m.data_coding)?;
        writeln!(f, "segments: {}", m.segments.len())?;
        for (i, seg) in m.segments.iter().enumerate() {
            let udh = seg.udh.as_deref().unwrap_or_default();
            writeln!(
                f,
                "segment {}/{}: {} characters, {} {}, udh {} octets",
                seg.seq,
                seg.total,
                self.chars.get(i).copied().unwrap_or_default(),
                self.units.get(i).copied().unwrap_or_default(),
                unit_name(m.encoding),
                udh.len(),
            )?;
            if let Some((reference, total, seq)) = seg.sar() {
                writeln!(f, "  sar: reference {reference}, {seq} of {total}")?;
            }
            let sep = if udh.is_empty() { "" } else { " " };
            writeln!(f, "  bytes: {}{sep}{}", hex(udh), hex(&seg.payload))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm7::national::{Language, Languages};

    #[test]
    fn plain_gsm_single_segment() {
        let plan = explain("hi €", Preference::Auto, &SplitOptions::default()).unwrap();
        assert_eq!(
            plan.to_string(),
            "encoding: GSM 7-bit (default tables)\n\
             data_coding: 0x00\n\
             segments: 1\n\
             segment 1/1: 4 characters, 5 septets, udh 0 octets\n  \
             bytes: 6869201b65\n"
        );
    }

    #[test]
    fn turkish_two_segments_with_shift_ies() {
        let opts = SplitOptions {
            reference: 0x42,
            languages: Languages::NONE.with(Language::Turkish),
            ..SplitOptions::default()
        };
        // 155 a's and one ş: 157 septets with the single shift table, 156 with the
        // locking one; either needs two parts (a lone message holds 155 after a 4-octet
        // UDH), so the simpler single shift wins the tie.
        let text = format!("{}ş", "a".repeat(155));
        let plan = explain(&text, Preference::Auto, &opts).unwrap();
        let s = plan.to_string();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "encoding: GSM 7-bit (turkish single shift)");
        assert_eq!(lines[1], "data_coding: 0x00");
        assert_eq!(lines[2], "segments: 2");
        // 8-bit concat IE + single shift IE: a 9-octet UDH leaves 149 septets.
        assert_eq!(lines[3], "segment 1/2: 149 characters, 149 septets, udh 9 octets");
        assert_eq!(lines[4], format!("  bytes: 080003420201240101 {}", "61".repeat(149)));
        assert_eq!(lines[5], "segment 2/2: 7 characters, 8 septets, udh 9 octets");
        assert_eq!(lines[6], format!("  bytes: 080003420202240101 {}1b73", "61".repeat(6)));
        assert_eq!(lines.len(), 7);
        assert_eq!(plan.chars, [149, 7]);
        assert_eq!(plan.units, [149, 8]);
    }

    #[test]
    fn ucs2_counts_utf16_units() {
        let plan = explain("😀ж", Preference::Auto, &SplitOptions::default()).unwrap();
        let s = plan.to_string();
        assert!(s.starts_with("encoding: UCS-2\ndata_coding: 0x08\nsegments: 1\n"), "{s}");
        assert!(s.contains("segment 1/1: 2 characters, 3 UTF-16 units, udh 0 octets\n  bytes: d83dde000436\n"), "{s}");
    }
}
