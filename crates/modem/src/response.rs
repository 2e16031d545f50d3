//! The response grammar: final result codes (ITU-T V.250 §5.7.1; TS 27.005 §3.2.5
//! `+CMS ERROR`; TS 27.007 §9.2 `+CME ERROR`), unsolicited result codes (TS 27.005
//! §3.4.1) and the information text of the commands the modem state machine sends.

use crate::at_error::AtError;

/// A final result code: the end of a command's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    Ok,
    Error(AtError),
}

/// Reads a final result code. `NO CARRIER`, `BUSY`, `NO ANSWER` and `NO DIALTONE`
/// end a command too and count as `ERROR`.
pub fn final_result(line: &str) -> Option<Final> {
    match line {
        "OK" | "0" => return Some(Final::Ok),
        "ERROR" | "4" | "NO CARRIER" | "BUSY" | "NO ANSWER" | "NO DIALTONE" => {
            return Some(Final::Error(AtError::Error));
        }
        _ => {}
    }
    let code = |rest: &str| rest.trim().parse::<u16>().ok();
    if let Some(rest) = line.strip_prefix("+CMS ERROR:") {
        return Some(Final::Error(code(rest).map_or(AtError::Error, AtError::Cms)));
    }
    if let Some(rest) = line.strip_prefix("+CME ERROR:") {
        return Some(Final::Error(code(rest).map_or(AtError::Error, AtError::Cme)));
    }
    None
}

/// An unsolicited result code about messages, which may arrive at any time, also
/// between a command and its final result code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Urc {
    /// `+CMTI: <mem>,<index>`: a message was stored.
    Cmti { mem: String, index: u32 },
    /// `+CDSI: <mem>,<index>`: a status report was stored.
    Cdsi { mem: String, index: u32 },
    /// `+CMT: [<alpha>],<length>`: the next line is an SMS-DELIVER PDU.
    Cmt { length: usize },
    /// `+CDS: <length>`: the next line is an SMS-STATUS-REPORT PDU.
    Cds { length: usize },
}

/// Reads a message URC. Other unsolicited lines (`RING`, `+CREG: <stat>`, vendor
/// `^BOOT:`...) are left to the caller.
pub fn urc(line: &str) -> Option<Urc> {
    let stored = |rest: &str| -> Option<(String, u32)> {
        let (mem, index) = rest.rsplit_once(',')?;
        Some((mem.trim().trim_matches('"').to_owned(), index.trim().parse().ok()?))
    };
    let last_number = |rest: &str| -> Option<usize> { rest.rsplit(',').next()?.trim().parse().ok() };
    if let Some(rest) = line.strip_prefix("+CMTI:") {
        let (mem, index) = stored(rest)?;
        return Some(Urc::Cmti { mem, index });
    }
    if let Some(rest) = line.strip_prefix("+CDSI:") {
        let (mem, index) = stored(rest)?;
        return Some(Urc::Cdsi { mem, index });
    }
    if let Some(rest) = line.strip_prefix("+CMT:") {
        return Some(Urc::Cmt { length: last_number(rest)? });
    }
    if let Some(rest) = line.strip_prefix("+CDS:") {
        return Some(Urc::Cds { length: last_number(rest)? });
    }
    None
}

/// The text after `prefix` and its colon, when `line` is that information response.
pub fn info<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix)?.strip_prefix(':').map(str::trim)
}

/// Comma-separated numbers of an information response (`+CSQ: 21,99`), quotes
/// and blanks skipped; a field that is not a number is `None`.
pub fn numbers(fields: &str) -> Vec<Option<u32>> {
    fields.split(',').map(|f| f.trim().trim_matches('"').parse().ok()).collect()
}

/// `+CMGL: <index>,<stat>,[<alpha>],<length>` → (index, length).
pub fn cmgl(fields: &str) -> Option<(u32, usize)> {
    let index = fields.split(',').next()?.trim().parse().ok()?;
    let length = fields.rsplit(',').next()?.trim().parse().ok()?;
    Some((index, length))
}

/// `+CMGR: <stat>,[<alpha>],<length>` → length.
pub fn cmgr(fields: &str) -> Option<usize> {
    fields.rsplit(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finals() {
        assert_eq!(final_result("OK"), Some(Final::Ok));
        assert_eq!(final_result("ERROR"), Some(Final::Error(AtError::Error)));
        assert_eq!(final_result("+CMS ERROR: 38"), Some(Final::Error(AtError::Cms(38))));
        assert_eq!(final_result("+CME ERROR: 10"), Some(Final::Error(AtError::Cme(10))));
        assert_eq!(final_result("+CME ERROR: SIM not inserted"), Some(Final::Error(AtError::Error)));
        assert_eq!(final_result("+CMGS: 4"), None);
    }

    #[test]
    fn urcs() {
        assert_eq!(urc("+CMTI: \"SM\",3"), Some(Urc::Cmti { mem: "SM".into(), index: 3 }));
        assert_eq!(urc("+CDSI: \"ME\", 12"), Some(Urc::Cdsi { mem: "ME".into(), index: 12 }));
        assert_eq!(urc("+CMT: ,24"), Some(Urc::Cmt { length: 24 }));
        assert_eq!(urc("+CMT: \"Bob\",24"), Some(Urc::Cmt { length: 24 }));
        assert_eq!(urc("+CDS: 25"), Some(Urc::Cds { length: 25 }));
        assert_eq!(urc("+CMTI: \"SM\""), None);
        assert_eq!(urc("RING"), None);
    }

    #[test]
    fn information_text() {
        assert_eq!(info("+CMGS: 12", "+CMGS"), Some("12"));
        assert_eq!(info("+CMGSX: 12", "+CMGS"), None);
        assert_eq!(numbers("21,99"), [Some(21), Some(99)]);
        assert_eq!(cmgl("3,1,,24"), Some((3, 24)));
        assert_eq!(cmgr("0,\"Bob\",24"), Some(24));
    }
}
