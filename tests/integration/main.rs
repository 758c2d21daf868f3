//! The integration tests of the workspace, one module per topic, built as one binary
//! (linking tokio, axum and bson once). `tests/test_alloc.rs` (a counting global
//! allocator), `tests/test_complexity.rs` (callgrind children of its own binary),
//! `tests/test_ui.rs` (compile-fail cases) and `tests/test_mongodb.rs` (a real server,
//! behind a feature) stay binaries of their own.

mod common;

mod atomic;
mod bson;
mod conformance;
mod derive;
mod diff;
mod errors;
mod flatten;
mod go_port;
mod hostile;
mod http;
mod lists;
mod mongo_update;
mod one_pass;
mod one_pass_merge;
mod options;
mod patch;
mod real_model;
mod schema;
mod std;
mod unstorable;
mod validate;
