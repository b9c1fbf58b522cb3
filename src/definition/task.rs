//! The Task state: a resource to call, its time limits, credentials, retriers and catchers.

use super::io::Dynamic;
use super::resource::Resource;
use super::retry::{Catcher, Retrier};
use crate::data::template::Template;

#[derive(Debug, Clone)]
pub struct Task {
    pub resource: Resource,
    pub timeout: Option<Dynamic<u64>>,
    pub heartbeat: Option<Dynamic<u64>>,
    pub credentials: Option<Template>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}
