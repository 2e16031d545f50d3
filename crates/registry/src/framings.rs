//! Which framing each topic smsgw writes is encoded with, decided once at start-up.

use std::collections::BTreeMap;

use events::{Framing, SchemaKind};
use runtime::Settings;

use crate::client::{Error, Registry};

/// The framing of every topic smsgw writes Avro to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framings {
    /// Status events (`kafka.topics.status`).
    pub status: Framing,
    /// Inbound messages (`kafka.topics.inbound`).
    pub inbound: Framing,
    /// Queue records, per connection id: each queue topic is its own subject,
    /// and a registry may give each subject its own id (the lanes of one
    /// connection carry the same schema, so they share the id).
    queues: BTreeMap<String, Framing>,
}

impl Framings {
    /// Avro single-object encoding everywhere: the framing without a registry.
    pub fn single_object() -> Framings {
        Framings { status: Framing::SingleObject, inbound: Framing::SingleObject, queues: BTreeMap::new() }
    }

    /// The framing of `connection`'s queue records.
    pub fn queue(&self, connection: &str) -> Framing {
        self.queues.get(connection).copied().unwrap_or(Framing::SingleObject)
    }
}

/// Registers our schemas for every topic we write (`{topic}-value`) and
/// returns the Confluent framings, or single-object framing without a registry.
pub async fn framings(settings: &Settings, registry: Option<&Registry>) -> Result<Framings, Error> {
    let Some(registry) = registry else {
        return Ok(Framings::single_object());
    };
    let topics = &settings.kafka.topics;
    let mut queues = BTreeMap::new();
    for connection in &settings.connections {
        // Every lane's topic is a subject of its own (TopicNameStrategy); the
        // schema is the same, so the registry gives each lane the normal
        // lane's id, and one framing per connection serves all its lanes.
        for (priority, topic) in topics.queues(&connection.id) {
            let framing = registry.register_value(&topic, SchemaKind::SendRequest).await?;
            if priority == events::Priority::Normal {
                queues.insert(connection.id.clone(), framing);
            }
        }
    }
    Ok(Framings {
        status: registry.register_value(&topics.status, SchemaKind::StatusEvent).await?,
        inbound: registry.register_value(&topics.inbound, SchemaKind::InboundMessage).await?,
        queues,
    })
}
