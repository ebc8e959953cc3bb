//! How a feature declares its routes: pages (and the few undocumented machine paths) through
//! [`Routes`], which keeps a table of every method and path beside the router; API operations
//! through `utoipa_axum`'s `OpenApiRouter`, so a path, its handler and its OpenAPI description
//! are registered together and cannot drift. `crate::routes` merges every feature's routes.

use crate::AppState;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use utoipa_axum::router::OpenApiRouter;

/// The largest file a person uploads: evidence, or a spreadsheet to import.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The body limit of a route that takes an upload: the file and the form around it.
pub fn upload_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)
}

/// One route: its method and path pattern (axum syntax, `{param}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: String,
    pub path: String,
}

/// A router with the table of what it serves.
pub struct Routes {
    pub(crate) router: Router<AppState>,
    pub(crate) table: Vec<RouteInfo>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes { router: Router::new(), table: Vec::new() }
    }

    pub fn add(mut self, method: &'static str, path: &'static str, route: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, route);
        self.table.push(RouteInfo { method: method.into(), path: path.into() });
        self
    }

    /// One path with several methods (a machine path: SCIM's resources).
    pub fn add_methods(mut self, methods: &[&'static str], path: &'static str, route: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, route);
        self.table.extend(methods.iter().map(|m| RouteInfo { method: m.to_string(), path: path.into() }));
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("GET", path, get(h))
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("POST", path, post(h))
    }

    /// A POST that takes an upload.
    pub fn upload<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add("POST", path, post(h).layer(upload_limit()))
    }

    /// Adds documented API operations: their routes, and their methods and paths, as their
    /// description names them, to the table.
    pub fn api(mut self, api: OpenApiRouter<AppState>) -> Self {
        let (router, doc) = api.split_for_parts();
        for (path, item) in &doc.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ];
            for (method, _) in methods.into_iter().filter(|(_, has)| *has) {
                self.table.push(RouteInfo { method: method.into(), path: path.clone() });
            }
        }
        self.router = self.router.merge(router);
        self
    }
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}
