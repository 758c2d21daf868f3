//! What the three benches share: one entry point that runs criterion, or with
//! `CONJUNGO_COUNT=<mode>` one measured function for callgrind
//! (`scripts/count_instructions.sh` counts what runs inside the functions named
//! `measured_*`), and criterion's settings.

use std::time::Duration;

use criterion::Criterion;

/// Criterion as the benches use it: a short warm-up and three seconds of measurement.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// The `main` of a bench: `count(mode)` under `CONJUNGO_COUNT`, else `bench` with the
/// criterion `settings` (command-line arguments override them) and its summary. The
/// settings are made only to bench: making a `Criterion` looks for gnuplot in a child
/// process, which callgrind would count too.
pub fn main(count: fn(&str), bench: fn(&mut Criterion), settings: fn() -> Criterion) {
    if let Ok(mode) = std::env::var("CONJUNGO_COUNT") {
        count(&mode);
        return;
    }
    let mut c = settings().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
