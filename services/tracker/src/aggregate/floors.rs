//! The floors a finaliser holds, per status partition: of every request
//! still waiting for segments and every final event being published. A
//! marker carries their lowest ([`Floors::lowest`]), asked for with every
//! final event, so it must not cost a walk over everything pending (at a
//! few thousand requests in flight that walk was 9 % of the gateway's CPU).

use std::collections::{BTreeMap, HashMap};

/// Per partition, how many holders hold each floor.
#[derive(Default)]
pub(super) struct Floors(HashMap<i32, BTreeMap<i64, usize>>);

impl Floors {
    pub(super) fn hold(&mut self, partition: i32, floor: i64) {
        *self.0.entry(partition).or_default().entry(floor).or_default() += 1;
    }

    /// One holder of `floor` let go (a floor not held is ignored).
    pub(super) fn release(&mut self, partition: i32, floor: i64) {
        let Some(held) = self.0.get_mut(&partition) else { return };
        if let Some(count) = held.get_mut(&floor) {
            *count -= 1;
            if *count == 0 {
                held.remove(&floor);
            }
        }
        if held.is_empty() {
            self.0.remove(&partition);
        }
    }

    /// The lowest floor held in `partition`.
    pub(super) fn lowest(&self, partition: i32) -> Option<i64> {
        self.0.get(&partition).and_then(|held| held.keys().next().copied())
    }

    pub(super) fn forget(&mut self, partition: i32) {
        self.0.remove(&partition);
    }
}

#[cfg(test)]
mod tests {
    use super::Floors;

    #[test]
    fn the_lowest_floor_held_counts_each_holder() {
        let mut floors = Floors::default();
        floors.hold(0, 10);
        floors.hold(0, 5);
        floors.hold(0, 5);
        floors.hold(1, 3);
        assert_eq!(floors.lowest(0), Some(5));
        floors.release(0, 5);
        assert_eq!(floors.lowest(0), Some(5), "5 is still held once");
        floors.release(0, 5);
        assert_eq!(floors.lowest(0), Some(10));
        floors.release(0, 7);
        assert_eq!(floors.lowest(0), Some(10), "releasing a floor not held changes nothing");
        floors.release(0, 10);
        assert_eq!(floors.lowest(0), None);
        assert_eq!(floors.lowest(1), Some(3));
        floors.forget(1);
        assert_eq!(floors.lowest(1), None);
    }
}
