//! DESIGN §9's benchmark workload, exactly: `Service` with no attributes (tags and endpoints
//! append, maps deep), built as `svc(1)` (target) and `svc(2)` (source), and the merge a
//! careful programmer writes by hand for the same rules.

use std::collections::HashMap;

use conjungo::Merge;
use serde::{Deserialize, Serialize};

/// One endpoint.
#[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Endpoint {
    /// Name.
    pub name: String,
    /// URL.
    pub url: String,
    /// Port.
    pub port: i64,
}

/// A deployment.
#[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Deploy {
    /// Replicas.
    pub replicas: i64,
    /// Image.
    pub image: String,
    /// Environment (8 entries).
    pub env: HashMap<String, String>,
}

/// The workload type.
#[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Service {
    /// Name.
    pub name: String,
    /// Owner.
    pub owner: String,
    /// Tier.
    pub tier: i64,
    /// Public.
    pub public: bool,
    /// Tags (3).
    pub tags: Vec<String>,
    /// Labels (8).
    pub labels: HashMap<String, String>,
    /// Endpoints (2).
    pub endpoints: Vec<Endpoint>,
    /// Deployment.
    pub deploy: Option<Deploy>,
    /// Notes.
    pub notes: Option<String>,
}

/// `svc(1)` is the target, `svc(2)` the source: labels `l{i}` → `v{i}-{n}`, env `E{i}` →
/// `x{n}`.
pub fn svc(n: i64) -> Service {
    Service {
        name: format!("svc-{n}"),
        owner: format!("team-{n}"),
        tier: n,
        public: n % 2 == 0,
        tags: (0..3).map(|i| format!("t{i}-{n}")).collect(),
        labels: (0..8)
            .map(|i| (format!("l{i}"), format!("v{i}-{n}")))
            .collect(),
        endpoints: (0..2)
            .map(|i| Endpoint {
                name: format!("e{i}"),
                url: format!("http://h{i}/{n}"),
                port: 8000 + n,
            })
            .collect(),
        deploy: Some(Deploy {
            replicas: n,
            image: format!("img:{n}"),
            env: (0..8).map(|i| (format!("E{i}"), format!("x{n}"))).collect(),
        }),
        notes: None,
    }
}

/// The same rules written by hand: overwrite on, sequences appended, maps deep, `None`
/// keeps the target.
pub fn hand_merge(t: &mut Service, s: Service) {
    t.name = s.name;
    t.owner = s.owner;
    t.tier = s.tier;
    t.public = s.public;
    t.tags.extend(s.tags);
    t.labels.extend(s.labels);
    t.endpoints.extend(s.endpoints);
    match (&mut t.deploy, s.deploy) {
        (_, None) => {}
        (Some(td), Some(sd)) => {
            td.replicas = sd.replicas;
            td.image = sd.image;
            td.env.extend(sd.env);
        }
        (td @ None, sd) => *td = sd,
    }
    if s.notes.is_some() {
        t.notes = s.notes;
    }
}
