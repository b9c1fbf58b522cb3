//! The Fail state: `Error`/`ErrorPath` and `Cause`/`CausePath`.

use super::io::Dynamic;

#[derive(Debug, Clone, Default)]
pub struct Fail {
    pub error: Option<Dynamic<String>>,
    pub cause: Option<Dynamic<String>>,
}
