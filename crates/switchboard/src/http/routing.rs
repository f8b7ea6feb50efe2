//! How route modules declare their routes: each `get`/`post`/... adds the handler to the axum
//! router and the same (method, path) to a list, so the list is the router's routes by
//! construction. The access-control test walks that list and fails for a route the permission
//! table (`auth::roles`) has no rule for: a route cannot be added without deciding who may call
//! it.

use crate::http::App;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::Router;

/// A route module's routes: the router, and (method, path) of each route it holds.
pub(crate) struct Routes {
    router: Router<App>,
    /// Read by the access-control test (`every_route_has_a_permission_rule`).
    #[cfg_attr(not(test), allow(dead_code))]
    list: Vec<(Method, &'static str)>,
}

impl Routes {
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            list: Vec::new(),
        }
    }

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<App>) -> Self {
        // Routes of one path under several methods merge into one method router in axum.
        self.router = self.router.route(path, route);
        self.list.push((method, path));
        self
    }

    pub fn get<H: Handler<T, App>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::GET, path, get(handler))
    }

    pub fn post<H: Handler<T, App>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::POST, path, post(handler))
    }

    pub fn put<H: Handler<T, App>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::PUT, path, put(handler))
    }

    pub fn patch<H: Handler<T, App>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::PATCH, path, patch(handler))
    }

    pub fn delete<H: Handler<T, App>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::DELETE, path, delete(handler))
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.list.extend(other.list);
        self
    }

    /// Every (method, path) the router serves, paths as axum writes them (`/api/cdrs/{id}`).
    #[cfg(test)]
    pub fn list(&self) -> &[(Method, &'static str)] {
        &self.list
    }

    pub fn into_router(self) -> Router<App> {
        self.router
    }
}
