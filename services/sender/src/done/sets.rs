//! Every [`DoneSet`] of the process, fed by one reader of the done topic:
//! each record is read and decoded once and handed to the set it names.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use events::Priority;
use kafka::rdkafka::message::{Message, OwnedMessage};
use kafka::reader::{PartitionReader, Routes};
use kafka::restore::FENCE_KEY;
use runtime::config::KafkaConfig;
use timing::now_ms;
use tokio_util::sync::CancellationToken;

use super::{read_marker, DoneSet};

type Sets = Arc<RwLock<HashMap<(String, Priority), Arc<DoneSet>>>>;

const LANES: [Priority; 3] = [Priority::Normal, Priority::High, Priority::Urgent];

/// The done sets of every connection sender in the process, by connection and lane.
pub struct DoneSets {
    sets: Sets,
    reader: PartitionReader,
    topic: String,
    producer: kafka::Producer,
    retention: Duration,
}

impl DoneSets {
    /// Starts the process's reader of the done topic.
    pub fn start(
        config: &KafkaConfig,
        producer: kafka::Producer,
        shutdown: CancellationToken,
    ) -> Result<Self, kafka::Error> {
        let sets = Sets::default();
        // Not `{prefix}.sender.{id}`, which a connection named `done` would have.
        let group = format!("{}.sender-done", config.group_prefix);
        let topic = config.topics.done.clone();
        let reader = PartitionReader::start(config, &group, &topic, Route { sets: sets.clone() }, shutdown)?;
        Ok(Self { sets, reader, topic, producer, retention: config.id_retention })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<(String, Priority), Arc<DoneSet>>> {
        self.sets.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The sets of `connection`'s lanes (normal, high, urgent), made on
    /// first use. Sets made while the reader already reads partitions have
    /// it read them again from the beginning, so that they miss no marker.
    pub fn lanes(&self, connection: &str) -> [Arc<DoneSet>; 3] {
        let made = {
            let mut sets = self.sets.write().unwrap_or_else(|e| e.into_inner());
            let mut made = false;
            for lane in LANES {
                sets.entry((connection.to_owned(), lane)).or_insert_with(|| {
                    made = true;
                    Arc::new(DoneSet::new(
                        connection.to_owned(),
                        lane,
                        self.topic.clone(),
                        self.producer.clone(),
                        self.reader.clone(),
                        self.retention,
                    ))
                });
            }
            made
        };
        if made {
            self.reader.replay();
        }
        let sets = self.read();
        LANES.map(|lane| sets[&(connection.to_owned(), lane)].clone())
    }

    /// `connection` was removed: its markers are no longer kept.
    pub fn remove(&self, connection: &str) {
        let mut sets = self.sets.write().unwrap_or_else(|e| e.into_inner());
        for lane in LANES {
            if let Some(set) = sets.remove(&(connection.to_owned(), lane)) {
                set.clear();
            }
        }
    }
}

/// Hands each record of the done topic to the set it concerns.
struct Route {
    sets: Sets,
}

impl Route {
    fn sets(&self) -> std::sync::RwLockReadGuard<'_, HashMap<(String, Priority), Arc<DoneSet>>> {
        self.sets.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl Routes for Route {
    fn record(&mut self, message: &OwnedMessage) {
        if message.key() == Some(FENCE_KEY.as_bytes()) {
            // Rare (one per assignment of a partition to a lane): every set looks.
            self.sets().values().for_each(|set| set.on_fence(message));
            return;
        }
        let Some(id) = message.key().map(|k| String::from_utf8_lossy(k).into_owned()) else { return };
        let partition = message.partition();
        match message.payload() {
            None => self.sets().values().for_each(|set| set.on_tombstone(partition, &id)),
            Some(payload) => {
                let Some(marker) = read_marker(payload) else { return };
                let at = message.timestamp().to_millis().unwrap_or_else(now_ms);
                if let Some(set) = self.sets().get(&(marker.connection, marker.priority)) {
                    set.on_marker(partition, id, at, marker.to);
                }
            }
        }
    }

    fn dropped(&mut self, partition: i32) {
        self.sets().values().for_each(|set| set.drop_partition(partition));
    }
}

#[cfg(test)]
mod tests {
    use super::super::{marker, moved_marker, Claim, DoneLanes};
    use super::*;

    fn record(offset: i64, id: &str, payload: Option<String>) -> OwnedMessage {
        let at = kafka::rdkafka::Timestamp::CreateTime(now_ms());
        OwnedMessage::new(
            payload.map(String::into_bytes),
            Some(id.as_bytes().to_vec()),
            "sms.done".into(),
            at,
            0,
            offset,
            None,
        )
    }

    /// Sets of a process whose broker is not there, and the route feeding them.
    fn sets() -> (DoneSets, Route) {
        let config = KafkaConfig::new("127.0.0.1:9");
        let producer = kafka::Producer::new(&config, Default::default(), Duration::from_millis(10)).unwrap();
        let sets = DoneSets::start(&config, producer, CancellationToken::new()).unwrap();
        let route = Route { sets: sets.sets.clone() };
        (sets, route)
    }

    #[tokio::test]
    async fn each_connection_keeps_only_its_own_ids() {
        let (sets, mut route) = sets();
        let [set, ..] = sets.lanes("conn-a");
        route.record(&record(0, "sent-by-a", Some(marker("conn-a", Priority::Normal, "SUBMITTED"))));
        route.record(&record(1, "sent-by-b", Some(marker("conn-b", Priority::Normal, "SUBMITTED"))));
        route.record(&record(2, "also-by-a", Some(marker("conn-a", Priority::Normal, "FAILED"))));
        route.record(&record(3, "not-a-marker", Some("garbage".into())));
        assert_eq!(set.claim(0, "sent-by-a"), Claim::Duplicate);
        assert_eq!(set.claim(0, "sent-by-b"), Claim::New, "another connection's id is not kept here");
        assert_eq!(counters::ids_remembered("conn-a").get(), 2);
        set.forget(0);
        assert!(set.is_done(0, "also-by-a"), "a revoked partition's ids stay while the reader reads it");
        route.dropped(0);
        assert_eq!(counters::ids_remembered("conn-a").get(), 0, "a partition no longer read loses its ids");
    }

    #[tokio::test]
    async fn each_lane_keeps_only_its_own_ids_and_claims_span_the_lanes() {
        let (sets, mut route) = sets();
        let [normal, _, urgent] = sets.lanes("conn-l");
        for (offset, (id, lane)) in [("bulk-1", Priority::Normal), ("otp-1", Priority::Urgent)].into_iter().enumerate()
        {
            route.record(&record(offset as i64, id, Some(marker("conn-l", lane, "SUBMITTED"))));
        }
        assert!(normal.is_done(0, "bulk-1") && !normal.is_done(0, "otp-1"));
        assert!(urgent.is_done(0, "otp-1") && !urgent.is_done(0, "bulk-1"));
        assert_eq!(counters::ids_remembered("conn-l").get(), 2, "each id remembered once, not once per lane");

        let lanes = DoneLanes::new(vec![urgent.clone(), normal.clone()]);
        // Done in another lane: a copy with another priority is not sent again.
        assert_eq!(lanes.claim(Priority::Normal, 0, "otp-1"), Claim::Duplicate);
        // Being sent in one lane: the copy in another waits for nothing and is skipped.
        assert_eq!(lanes.claim(Priority::Urgent, 0, "new"), Claim::New);
        assert_eq!(lanes.claim(Priority::Normal, 0, "new"), Claim::Duplicate);
        lanes.finish(Priority::Urgent, 0, "new", true);
        assert_eq!(lanes.claim(Priority::Normal, 0, "new"), Claim::Duplicate, "done in the urgent lane");
        // Not recorded: free again in any lane.
        assert_eq!(lanes.claim(Priority::Normal, 0, "retry"), Claim::New);
        lanes.finish(Priority::Normal, 0, "retry", false);
        assert_eq!(lanes.claim(Priority::Urgent, 0, "retry"), Claim::New);
    }

    #[tokio::test]
    async fn a_request_handed_over_is_handed_over_again_never_sent() {
        let (sets, mut route) = sets();
        let [_, set, _] = sets.lanes("conn-m");
        route.record(&record(0, "gone", Some(moved_marker("conn-m", Priority::High, "conn-n"))));
        assert_eq!(set.claim(0, "gone"), Claim::Moved("conn-n".into()), "restored from its marker");
        assert_eq!(set.claim(0, "new"), Claim::New);
        set.moved(0, "new", "conn-o");
        set.finish(0, "new", true);
        assert_eq!(set.claim(0, "new"), Claim::Moved("conn-o".into()));
        route.record(&record(1, "gone", None));
        assert_eq!(set.claim(0, "gone"), Claim::New, "forgotten with its marker");
        let lanes = DoneLanes::new(vec![set]);
        assert_eq!(lanes.claim(Priority::High, 0, "new"), Claim::Moved("conn-o".into()));
    }

    #[tokio::test]
    async fn a_removed_connection_is_no_longer_fed() {
        let (sets, mut route) = sets();
        let [set, ..] = sets.lanes("conn-r");
        sets.remove("conn-r");
        route.record(&record(0, "late", Some(marker("conn-r", Priority::Normal, "SUBMITTED"))));
        assert!(!set.is_done(0, "late"));
        assert_eq!(counters::ids_remembered("conn-r").get(), 0);
        let [again, ..] = sets.lanes("conn-r");
        assert!(!Arc::ptr_eq(&set, &again), "added again: a new set, filled by a replay");
    }
}
