//! Concatenation references (TS 23.040 §9.2.3.24.1: the reference "shall be
//! the same for each segment" of a message and differ between messages to the
//! same recipient, since the recipient reassembles by originator and reference).
//!
//! One counter per destination, so consecutive long messages to one phone
//! never share a reference — with a single counter per connection, 256
//! messages to others in between would repeat it on 8-bit references. Each
//! counter starts at a random value, so a restarted sender does not reuse the
//! references of its previous life from zero.

use std::collections::HashMap;
use std::sync::Mutex;

/// Destinations remembered at most; beyond that the map starts afresh (with random starts).
const MAX_DESTINATIONS: usize = 100_000;

/// Per-destination reference counters.
#[derive(Debug, Default)]
pub struct References {
    next: Mutex<HashMap<String, u16>>,
}

impl References {
    /// The reference for the next long message to `destination`. With 8-bit
    /// references only the low byte is sent, so the counter steps through all
    /// 256 of them before repeating for that destination.
    pub fn next(&self, destination: &str) -> u16 {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        if next.len() >= MAX_DESTINATIONS && !next.contains_key(destination) {
            next.clear();
        }
        let counter = next.entry(destination.to_owned()).or_insert_with(rand::random);
        let reference = *counter;
        *counter = counter.wrapping_add(1);
        reference
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_sees_every_low_byte_before_a_repeat() {
        let refs = References::default();
        let mut seen = std::collections::HashSet::new();
        for i in 0..256 {
            // Traffic to other destinations in between does not matter.
            refs.next(&format!("other{i}"));
            assert!(seen.insert(refs.next("4915112345678") as u8), "repeat after {i}");
        }
    }

    #[test]
    fn the_map_is_bounded() {
        let refs = References::default();
        for i in 0..MAX_DESTINATIONS + 10 {
            refs.next(&i.to_string());
        }
        assert!(refs.next.lock().unwrap().len() <= MAX_DESTINATIONS);
    }
}
