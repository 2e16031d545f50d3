//! Handing topics back to the groups that read them before: the way back
//! from a takeover ([`crate::consumer::handover`]).
//!
//! A release that reads a topic in a new group takes it over from the old
//! group where that one left off. Going back to the old release, its group
//! would start again from its own offsets, as old as the upgrade, and read
//! everything since again; a second upgrade later would find the new group's
//! offsets, as old as the way back, and read at once, beside the old
//! release's replicas still running, instead of waiting for them. So, with
//! the new release stopped and the old one not yet started, each topic's
//! committed offsets are copied from the new group to the old one, read back
//! to check, and the new groups are deleted: the old release resumes where
//! the new one stopped, and a later upgrade takes over again as the first
//! one did.
//!
//! Committing for a group without being its member is what Kafka's own
//! `kafka-consumer-groups --reset-offsets` does: the broker takes it while
//! the group has no member, and refuses it otherwise. Both sides are checked
//! for members first, so nothing is moved under a running consumer.

use std::collections::BTreeSet;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{Offset, TopicPartitionList};
use runtime::config::KafkaConfig;

use crate::client::base_config;

/// One topic to hand back: read in group `from` now, in `to` before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub topic: String,
    pub from: String,
    pub to: String,
}

/// What was handed back of one topic: the offsets `to` holds now, per
/// partition (partitions `from` had committed nothing for are left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub topic: String,
    pub to: String,
    pub offsets: Vec<(i32, i64)>,
}

/// Why nothing, or not everything, was handed back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("group {group} has {members} member(s) ({state}): stop every process that reads in it first (a killed one counts until its session runs out)")]
    Running { group: String, members: usize, state: String },
    #[error("cannot tell whether group {group} has members: {source}")]
    Lookup {
        group: String,
        #[source]
        source: KafkaError,
    },
    /// `of`: "{group}'s offsets of {topic}".
    #[error("cannot read {of}: {source}")]
    Read {
        of: String,
        #[source]
        source: KafkaError,
    },
    #[error("cannot commit {of}: {source}")]
    Commit {
        of: String,
        #[source]
        source: KafkaError,
    },
    #[error("{group}'s offsets of {topic} read back as {found:?}, not {wanted:?}")]
    Mismatch { group: String, topic: String, wanted: Vec<(i32, i64)>, found: Vec<(i32, i64)> },
    #[error("cannot delete group {group}: {source}")]
    Delete {
        group: String,
        #[source]
        source: KafkaError,
    },
    #[error(transparent)]
    Client(#[from] crate::client::Error),
}

const TIMEOUT: Duration = Duration::from_secs(10);

/// Hands each of `moves` back, then deletes every `from` group. Refuses,
/// moving nothing, while any group on either side has a member. Safe to
/// run again after a failure: it copies what the `from` groups hold.
pub async fn hand_back(config: &KafkaConfig, moves: &[Move]) -> Result<Vec<Moved>, Error> {
    let topics: Vec<&str> = moves.iter().map(|m| m.topic.as_str()).collect();
    let counts = crate::client::partition_counts(config, &topics).await?;
    let (owned_config, owned_moves) = (config.clone(), moves.to_vec());
    let moved = tokio::task::spawn_blocking(move || copy(&owned_config, &owned_moves, &counts))
        .await
        .map_err(|e| crate::client::Error::Create(KafkaError::ClientCreation(e.to_string())))??;
    let from: BTreeSet<&str> = moves.iter().map(|m| m.from.as_str()).collect();
    delete(config, &from.into_iter().collect::<Vec<_>>()).await?;
    Ok(moved)
}

/// Checks that no group of `moves` has a member, then copies each topic's
/// offsets (`counts`: its partition count) and reads them back.
fn copy(config: &KafkaConfig, moves: &[Move], counts: &[(String, usize)]) -> Result<Vec<Moved>, Error> {
    let groups: BTreeSet<&str> = moves.iter().flat_map(|m| [m.from.as_str(), m.to.as_str()]).collect();
    let admin: BaseConsumer = base_config(config).create().map_err(crate::client::Error::Create)?;
    for group in &groups {
        idle(&admin, group)?;
    }
    let mut moved = Vec::new();
    for (m, (_, partitions)) in moves.iter().zip(counts) {
        let partitions = i32::try_from(*partitions).unwrap_or(i32::MAX);
        let offsets = committed(config, &m.from, &m.topic, partitions)?;
        if !offsets.is_empty() {
            commit(config, &m.to, &m.topic, &offsets)?;
            let found = committed(config, &m.to, &m.topic, partitions)?;
            if found != offsets {
                return Err(Error::Mismatch { group: m.to.clone(), topic: m.topic.clone(), wanted: offsets, found });
            }
        }
        moved.push(Moved { topic: m.topic.clone(), to: m.to.clone(), offsets });
    }
    Ok(moved)
}

/// Fails unless `group` is unknown to the broker or listed without members.
fn idle(admin: &BaseConsumer, group: &str) -> Result<(), Error> {
    let list = admin
        .fetch_group_list(Some(group), TIMEOUT)
        .map_err(|source| Error::Lookup { group: group.to_owned(), source })?;
    for g in list.groups().iter().filter(|g| g.name() == group) {
        let (members, state) = (g.members().len(), g.state());
        if members > 0 || !matches!(state, "Empty" | "Dead" | "") {
            return Err(Error::Running { group: group.to_owned(), members, state: state.to_owned() });
        }
    }
    Ok(())
}

/// A client in `group` that never joins it: it reads and commits the
/// group's offsets only.
fn outsider(config: &KafkaConfig, group: &str) -> Result<BaseConsumer, Error> {
    let mut client = base_config(config);
    client.set("group.id", group).set("enable.auto.commit", "false");
    Ok(client.create().map_err(crate::client::Error::Create)?)
}

/// `group`'s committed offsets of `topic`'s `partitions` partitions, those
/// it has one for, in partition order. Blocking.
pub fn committed(config: &KafkaConfig, group: &str, topic: &str, partitions: i32) -> Result<Vec<(i32, i64)>, Error> {
    let read = |source| Error::Read { of: format!("{group}'s offsets of {topic}"), source };
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let answer = outsider(config, group)?.committed_offsets(tpl, TIMEOUT).map_err(read)?;
    let mut offsets = Vec::new();
    for elem in answer.elements() {
        elem.error().map_err(read)?;
        if let Offset::Offset(at) = elem.offset() {
            offsets.push((elem.partition(), at));
        }
    }
    offsets.sort_unstable();
    Ok(offsets)
}

fn commit(config: &KafkaConfig, group: &str, topic: &str, offsets: &[(i32, i64)]) -> Result<(), Error> {
    let failed = |source| Error::Commit { of: format!("{group}'s offsets of {topic}"), source };
    let mut tpl = TopicPartitionList::new();
    for (partition, at) in offsets {
        tpl.add_partition_offset(topic, *partition, Offset::Offset(*at)).map_err(failed)?;
    }
    outsider(config, group)?.commit(&tpl, CommitMode::Sync).map_err(failed)
}

/// Deletes `groups` (their committed offsets with them); one the broker
/// does not know is no error.
async fn delete(config: &KafkaConfig, groups: &[&str]) -> Result<(), Error> {
    let admin: AdminClient<DefaultClientContext> =
        base_config(config).create().map_err(crate::client::Error::Create)?;
    let opts = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let results =
        admin.delete_groups(groups, &opts).await.map_err(|source| Error::Delete { group: groups.join(","), source })?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((group, code)) => return Err(Error::Delete { group, source: KafkaError::AdminOp(code) }),
        }
    }
    Ok(())
}
