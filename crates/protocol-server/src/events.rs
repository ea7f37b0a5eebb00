//! Server-pushed events: a broadcast of schema changes to every connection that REGISTERed for
//! `SCHEMA_CHANGE`, each sent there as an EVENT frame on stream -1.
//!
//! TOPOLOGY_CHANGE and STATUS_CHANGE registrations are accepted but never fire on a single node
//! (and a node never announces itself DOWN).

use std::sync::Arc;

use query::SchemaChange;
use tokio::sync::broadcast;

/// The stream id of every EVENT frame (spec §2.3).
pub const EVENT_STREAM: i16 = -1;

/// How many events a slow connection may fall behind before it misses some.
const CAPACITY: usize = 1024;

/// Where schema changes are published; cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<SchemaChange>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new()
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        EventBus { tx: broadcast::channel(CAPACITY).0 }
    }

    /// Sends a schema change to every subscribed connection (none is fine).
    pub fn publish(&self, change: Arc<SchemaChange>) {
        let _ = self.tx.send(change);
    }

    /// A receiver of the changes published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<SchemaChange>> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use query::{SchemaChangeTarget, SchemaChangeType};

    fn change(ks: &str) -> Arc<SchemaChange> {
        Arc::new(SchemaChange {
            change: SchemaChangeType::Created,
            keyspace: ks.into(),
            target: SchemaChangeTarget::Keyspace,
        })
    }

    #[tokio::test]
    async fn every_subscriber_receives_each_published_change_in_order() {
        let bus = EventBus::new();
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        bus.publish(change("one"));
        bus.publish(change("two"));
        for rx in [&mut a, &mut b] {
            assert_eq!(rx.recv().await.unwrap().keyspace, "one");
            assert_eq!(rx.recv().await.unwrap().keyspace, "two");
        }
    }

    #[test]
    fn publishing_without_subscribers_is_fine() {
        EventBus::new().publish(change("x"));
    }
}
