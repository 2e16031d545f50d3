//! Priority lanes: each connection's queue is one topic per [`Priority`].
//! The normal lane keeps the name queues had before there were lanes
//! (`sms.queue.{connection}`), so its backlog and its sender group's
//! committed offsets carry over an upgrade; the others add a suffix
//! (`.high`, `.urgent`). A lane is a topic, not a place in memory, so what
//! waits in it keeps its priority across any restart.

use std::collections::BTreeSet;

use super::{invalid, ConfigError, ConnectionConfig, Priority, TopicsConfig};

/// The lanes of a connection's queue, highest priority first.
pub const LANES: [Priority; 3] = [Priority::Urgent, Priority::High, Priority::Normal];

/// What a lane adds to the name of its connection's queue topic (and of its
/// sender's consumer group).
pub fn lane_suffix(priority: Priority) -> &'static str {
    match priority {
        Priority::Normal => "",
        Priority::High => ".high",
        Priority::Urgent => ".urgent",
    }
}

/// The consumer group of the senders' consumer of `priority`'s lane, which
/// reads that lane's queue of every connection of a process.
pub fn senders_group(group_prefix: &str, priority: Priority) -> String {
    format!("{group_prefix}.senders{}", lane_suffix(priority))
}

/// The group that read `connection`'s lane of `priority` in releases before
/// the lane consumers (one group per connection and lane), which the lane
/// consumers take each queue over from.
pub fn connection_sender_group(group_prefix: &str, connection: &str, priority: Priority) -> String {
    format!("{group_prefix}.sender.{connection}{}", lane_suffix(priority))
}

impl TopicsConfig {
    /// The queue topic of one connection's lane for `priority`.
    pub fn queue_for(&self, connection: &str, priority: Priority) -> String {
        format!("{}{}", self.queue(connection), lane_suffix(priority))
    }

    /// Every lane's queue topic of one connection, highest priority first.
    pub fn queues(&self, connection: &str) -> [(Priority, String); 3] {
        LANES.map(|p| (p, self.queue_for(connection, p)))
    }
}

/// Refuses a connection id that names another connection's lane (`a.urgent`
/// beside `a`): both would share one queue topic.
pub(super) fn validate_ids(connections: &[ConnectionConfig], ids: &BTreeSet<&str>) -> Result<(), ConfigError> {
    for (i, conn) in connections.iter().enumerate() {
        let lane_of = LANES.iter().map(|p| lane_suffix(*p)).filter(|s| !s.is_empty()).find_map(|suffix| {
            conn.id.strip_suffix(suffix).filter(|base| ids.contains(base)).map(|base| (base, suffix))
        });
        if let Some((base, suffix)) = lane_of {
            return Err(invalid(
                format!("connections[{i}].id"),
                format!("`{}` is the queue topic of connection `{base}`'s `{suffix}` lane", conn.id),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Settings;

    use super::*;

    const ONE: &str = r#"
        [kafka]
        brokers = "127.0.0.1:9092"
        [[connections]]
        id = "sim"
        protocol = "smpp"
        host = "127.0.0.1"
        port = 2775
        system_id = "smsgw"
        max_tps = 50
    "#;

    fn error_of(text: &str) -> String {
        match Settings::from_toml(text) {
            Ok(_) => panic!("config was accepted"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn each_priority_has_its_lane() {
        let s = Settings::from_toml(ONE).unwrap();
        let t = &s.kafka.topics;
        assert_eq!(t.queue_for("sim", Priority::Normal), t.queue("sim"), "the normal lane keeps the old name");
        assert_eq!(t.queue_for("sim", Priority::High), "sms.queue.sim.high");
        assert_eq!(t.queue_for("sim", Priority::Urgent), "sms.queue.sim.urgent");
        let names: Vec<_> = t.queues("sim").into_iter().map(|(_, topic)| topic).collect();
        assert_eq!(names, ["sms.queue.sim.urgent", "sms.queue.sim.high", "sms.queue.sim"]);
        assert!((s.connections[0].bulk_share - 0.1).abs() < 1e-9, "bulk_share defaults to 10 %");
    }

    #[test]
    fn a_connection_cannot_take_another_ones_lane_topic() {
        let twin = ONE.to_owned()
            + "[[connections]]\nid = \"sim.urgent\"\nprotocol = \"smpp\"\n"
            + "host = \"h\"\nport = 1\nsystem_id = \"x\"\n";
        let err = error_of(&twin);
        assert!(err.contains("connections[1].id") && err.contains("lane"), "{err}");
    }

    #[test]
    fn bulk_share_is_a_fraction_below_one() {
        let with = |v: &str| ONE.replace("max_tps = 50", &format!("max_tps = 50\nbulk_share = {v}"));
        assert!((Settings::from_toml(&with("0.25")).unwrap().connections[0].bulk_share - 0.25).abs() < 1e-9);
        for bad in ["0.0", "1.0", "-0.1", "0.0001"] {
            assert!(error_of(&with(bad)).contains("connections[0].bulk_share"), "{bad}");
        }
    }
}
