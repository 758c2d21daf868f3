//! The service catalog of the examples and tests: DESIGN §9's `Service` shape as a stored
//! MongoDB document (`_id` skipped by patches, camelCase names), with `#[merge(patch)]`.

use std::collections::HashMap;

use conjungo::Merge;
use serde::{Deserialize, Serialize};

/// One network endpoint of a service.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Endpoint name.
    pub name: String,
    /// Its URL.
    pub url: String,
    /// Its port.
    pub port: i64,
}

/// How a service is deployed.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
pub struct Deploy {
    /// Replica count.
    pub replicas: i64,
    /// Container image.
    pub image: String,
    /// Environment variables.
    #[serde(default)]
    pub env: HashMap<String, String>,
}

/// A service of the catalog.
#[derive(Merge, Serialize, Deserialize, Debug, Clone, PartialEq)]
#[merge(patch)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// The document id: never changed by a patch.
    #[merge(skip)]
    #[serde(rename = "_id")]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Owning team.
    pub owner: String,
    /// Support tier.
    pub tier: i64,
    /// Whether it is reachable from outside.
    pub public: bool,
    /// Free tags (a patch appends).
    pub tags: Vec<String>,
    /// Labels (a patch merges key by key; `null` removes one).
    pub labels: HashMap<String, String>,
    /// Endpoints (a patch appends).
    pub endpoints: Vec<Endpoint>,
    /// Deployment, if deployed.
    pub deploy: Option<Deploy>,
    /// Notes; absent from the stored document when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// The workload of DESIGN §9: `svc(1)` and `svc(2)` are the target and the source.
pub fn svc(n: i64) -> Service {
    Service {
        id: format!("svc-{n}"),
        name: format!("service-{n}"),
        owner: format!("team-{n}"),
        tier: n,
        public: n % 2 == 0,
        tags: (0..3).map(|i| format!("tag{i}-{n}")).collect(),
        labels: (0..8)
            .map(|i| (format!("l{i}"), format!("v{i}-{n}")))
            .collect(),
        endpoints: (0..2)
            .map(|i| Endpoint {
                name: format!("ep{i}"),
                url: format!("https://svc{n}.example/{i}"),
                port: 8000 + i,
            })
            .collect(),
        deploy: Some(Deploy {
            replicas: n,
            image: format!("registry/svc:{n}"),
            env: (0..8).map(|i| (format!("E{i}"), format!("x{n}"))).collect(),
        }),
        notes: None,
    }
}
