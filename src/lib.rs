//! Integration tests, benches and examples of the conjungo workspace. This crate is not
//! published; its doctests run the README's examples.
#![doc = include_str!("../README.md")]

pub mod catalog;
pub mod mongo;
pub mod store;
pub mod workload;
