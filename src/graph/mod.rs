//! `asl graph`: a definition drawn as a graph.
//!
//! [`Diagram::build`] turns a loaded [`StateMachine`](crate::definition::StateMachine) (and the
//! raw JSON it came from, for Choice conditions and each state's text) into nodes and edges,
//! with Map and Parallel states as compound nodes holding their sub-graphs. [`layout`] places
//! them top to bottom in layers, as the AWS console does; `svg`, `html`, `dot` and `mermaid`
//! render it. An execution's path or test coverage is an [`Overlay`] passed in to the svg and
//! html renderers, never computed here: this room knows nothing of the engine.

mod condition;
mod diagram;
mod dot;
mod html;
mod integration;
pub mod layout;
mod mermaid;
mod overlay;
mod svg;

pub use diagram::{Diagram, Edge, EdgeKind, Node, NodeKind, Region};
pub use dot::render as dot;
pub use html::render as html;
pub use html::render_with as html_with;
pub use html::{IndexRow, index as html_index};
pub use mermaid::render as mermaid;
pub use overlay::{EdgeMark, EdgeRef, Mark, NodeOverlay, Overlay, OverlayKind, Section};
pub use svg::render as svg;
pub use svg::render_with as svg_with;
