//! AT framing (ITU-T V.250 §5.7): the modem's output as lines and the SMS input
//! prompt — nothing about what the lines mean (that is [`crate::response`]).
//!
//! Result codes and information text end with CR LF (with `ATV1`, usually preceded
//! by CR LF too); empty lines are dropped. The `AT+CMGS` prompt is the four
//! characters CR LF `>` space with no line end after it (TS 27.005 §3.5.1), so it is
//! recognised as soon as `> ` is all the current line holds.

/// One unit of modem output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A line without its end, trimmed of surrounding whitespace; never empty.
    Line(String),
    /// `> `: the modem waits for the PDU and Ctrl-Z.
    Prompt,
    /// A line longer than the limit, dropped; the count of octets seen.
    Overlong(usize),
}

/// Longest line kept: a `+CMGR` PDU is at most 2 × (12 + 164) hex digits; vendor
/// lines are shorter. Longer lines are garbage (a baud rate mismatch, say).
pub const MAX_LINE: usize = 1024;

/// Splits modem output into [`Frame`]s, across reads of any size.
#[derive(Debug, Default)]
pub struct LineReader {
    line: Vec<u8>,
    dropped: usize,
}

impl LineReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Frames completed by `bytes`; a partial line is kept for the next call.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Frame>) {
        for &b in bytes {
            match b {
                b'\r' | b'\n' => self.end_line(out),
                // NUL and XON/XOFF show up on some USB serial adapters.
                0x00 | 0x11 | 0x13 => {}
                _ if self.line.len() >= MAX_LINE => self.dropped += 1,
                _ => {
                    self.line.push(b);
                    if self.line == b"> " {
                        self.line.clear();
                        out.push(Frame::Prompt);
                    }
                }
            }
        }
    }

    fn end_line(&mut self, out: &mut Vec<Frame>) {
        if self.dropped > 0 {
            out.push(Frame::Overlong(self.line.len() + self.dropped));
        } else {
            let text = String::from_utf8_lossy(&self.line);
            let text = text.trim();
            if !text.is_empty() {
                out.push(Frame::Line(text.to_owned()));
            }
        }
        self.line.clear();
        self.dropped = 0;
    }

    /// Forgets a partial line (after the port was reopened).
    pub fn clear(&mut self) {
        self.line.clear();
        self.dropped = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut reader = LineReader::new();
        let mut out = Vec::new();
        for chunk in chunks {
            reader.push(chunk, &mut out);
        }
        out
    }

    #[test]
    fn lines_prompt_and_split_reads() {
        let out = frames(&[b"\r\nO", b"K\r\n\r\n+CMTI: \"SM\",", b"3\r\n\r\n> "]);
        assert_eq!(out, [Frame::Line("OK".into()), Frame::Line("+CMTI: \"SM\",3".into()), Frame::Prompt]);
        assert_eq!(frames(&[b"\r\n>", b" "]), [Frame::Prompt]);
        assert_eq!(frames(&[b"RING\n\nOK\r"]), [Frame::Line("RING".into()), Frame::Line("OK".into())]);
    }

    #[test]
    fn overlong_lines_are_dropped_whole() {
        let long = vec![b'A'; MAX_LINE + 10];
        assert_eq!(frames(&[&long, b"\r\nOK\r\n"]), [Frame::Overlong(MAX_LINE + 10), Frame::Line("OK".into())]);
    }
}
