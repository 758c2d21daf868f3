//! Support code of the conjungo workspace's integration tests, benches and examples (the
//! fixtures: a catalog model, an independent MongoDB update applier, an in-memory store,
//! workloads, a deterministic random source). This crate is not published. The README's examples run as doctests of
//! `conjungo` itself, so that they compile for a user who depends on `conjungo` alone.

pub mod catalog;
pub mod mongo;
pub mod rng;
pub mod store;
pub mod workload;
