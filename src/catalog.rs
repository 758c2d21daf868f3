//! The service catalog of the examples and tests: DESIGN §9's `Service` shape as a stored
//! MongoDB document (`_id` skipped by patches, camelCase names), with `#[merge(patch)]`.

use std::collections::HashMap;

use conjungo::Merge;
use serde::{Deserialize, Serialize};

/// One network endpoint of a service: the workload's.
pub use crate::workload::Endpoint;

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

/// The workload of DESIGN §9 ([`crate::workload::svc`], the same values) as stored: with
/// its `_id`, `svc-{n}`. `svc(1)` and `svc(2)` are the target and the source.
pub fn svc(n: i64) -> Service {
    let mut stored =
        bson::serialize_to_document(&crate::workload::svc(n)).expect("the workload serializes");
    stored.insert("_id", format!("svc-{n}"));
    bson::deserialize_from_document(stored).expect("the workload is a stored service")
}
