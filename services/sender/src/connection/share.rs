//! This replica's share of a connection's `max_tps` and `binds`, following
//! the partitions its lanes hold.

use events::Priority;
use tokio_util::sync::CancellationToken;

use super::Lane;
use crate::pool::Pool;

/// Keeps the pool's throughput limit and binds at this replica's share of
/// the connection's `max_tps` and `binds`: its share of the lanes' queue partitions, taken
/// again at every rebalance of any lane, as soon as partitions are given up
/// or taken (with the eager protocol every member gives up before any takes,
/// so the shares never add up to more than the whole). `partitions`: each
/// queue's count, as the build found it (`Connection::build`): no second
/// look at the broker, which at start-up would be one client per connection
/// at once.
pub(super) fn follow_share(
    pool: &Pool,
    lanes: &[Lane],
    queues: &[(Priority, String)],
    partitions: usize,
    shutdown: CancellationToken,
) {
    let total = queues.len() * partitions;
    let watched: Vec<_> = lanes
        .iter()
        .zip(queues)
        .map(|((_, _, reader, _), (_, topic))| {
            (reader.consumer().clone(), topic.clone(), reader.consumer().rebalances())
        })
        .collect();
    let pool = pool.clone();
    // Nothing held yet: the least until the group says otherwise.
    pool.set_share(0, total);
    tokio::spawn(async move {
        let mut changes: Vec<_> = watched.iter().map(|(_, _, rx)| rx.clone()).collect();
        loop {
            let held: usize = watched.iter().map(|(consumer, topic, _)| consumer.positions(topic).len()).sum();
            pool.set_share(held, total);
            let changed = futures::future::select_all(changes.iter_mut().map(|rx| Box::pin(rx.changed())));
            tokio::select! {
                _ = shutdown.cancelled() => break,
                (result, _, _) = changed => if result.is_err() { break },
            }
        }
    });
}
