//! Tests, benches and examples of the conjungo workspace.
