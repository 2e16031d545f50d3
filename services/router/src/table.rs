//! What the router decides by — the configuration's connections, routes,
//! lists and `[router]`, the routing table built from them and the queue
//! records' framings — swapped whole when the configuration reloads
//! (`runtime::reload`), so a request is decided by one configuration, old
//! or new, never a mix. Requests being routed finish with the table they
//! started with.

use std::sync::{Arc, RwLock};

use registry::{Framings, Registry};
use runtime::reload::Current;
use runtime::Settings;
use tokio_util::sync::CancellationToken;

use crate::route::Routes;

/// One configuration's routing.
pub struct Table {
    pub settings: Arc<Settings>,
    pub routes: Routes,
    pub framings: Framings,
}

/// The table in force.
pub struct Tables {
    current: RwLock<Arc<Table>>,
}

impl Tables {
    pub fn new(table: Table) -> Self {
        Tables { current: RwLock::new(Arc::new(table)) }
    }

    /// The table to decide the next request by.
    pub fn get(&self) -> Arc<Table> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, table: Table) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(table);
    }

    /// Builds a new table from every configuration `current` brings until
    /// `shutdown`. The routing table keeps what the router learnt (links,
    /// opt-outs); with a schema registry, the new queue topics' schemas are
    /// registered first, and a registry that cannot be reached leaves the
    /// table as it was (logged; the next reload tries again).
    pub fn follow(self: Arc<Self>, mut current: Current, registry: Option<Arc<Registry>>, shutdown: CancellationToken) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    changed = current.changed() => if changed.is_err() { break },
                }
                let settings = current.borrow_and_update().clone();
                let framings = match registry::framings(&settings, registry.as_deref()).await {
                    Ok(f) => f,
                    Err(e) => {
                        tracing::error!(error = %e, "reloaded configuration not applied to routing: the schema registry");
                        continue;
                    }
                };
                let routes = self.get().routes.reload(&settings);
                tracing::info!(
                    routes = settings.routes.len(),
                    connections = settings.connections.len(),
                    "routing by the reloaded configuration"
                );
                self.set(Table { settings, routes, framings });
            }
        });
    }
}
