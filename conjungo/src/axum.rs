//! The PATCH endpoint in axum (feature `axum`): the [`MergePatch`] extractor, and
//! [`Error`] as an RFC 9457 `application/problem+json` response.
//!
//! [`MergePatch<P>`] checks the media type (`application/merge-patch+json`, and
//! `application/json` unless [`PatchConfig::accept_json`] turns it off: 415 otherwise),
//! reads the body under [`Limits::max_body_bytes`] (413 over it, answered by conjungo, not
//! by axum's default body limit, which this extractor does not use), and runs
//! [`patch::parse_with`]: `P` is a generated patch type, or `serde_json::Value` for
//! schemaless documents ([`patch::apply_document`] checks
//! those again). Its rejection is an [`Error`], which answers with its status and a problem
//! details body (see [`Error`]'s `Serialize`). The configuration is a request extension:
//! `.layer(axum::Extension(PatchConfig::default().accept_json(false)))`.
//!
//! ```
//! # #[cfg(feature = "bson")] {
//! use axum::{routing::patch, Router};
//! use conjungo::axum::MergePatch;
//! use conjungo::{Merge, Options};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Merge, Serialize, Deserialize, Clone, Debug, PartialEq)]
//! #[merge(patch)]
//! struct Service {
//!     name: String,
//!     replicas: u32,
//! }
//!
//! async fn patch_service(
//!     MergePatch(p): MergePatch<ServicePatch>,
//! ) -> Result<String, conjungo::Error> {
//!     let mut service = Service { name: "api".into(), replicas: 1 }; // read it from the store
//!     let applied = conjungo::patch::apply(&mut service, p, &Options::merge_patch())?;
//!     Ok(applied.update.to_string()) // write it with the driver
//! }
//!
//! let app: Router = Router::new().route("/services/{id}", patch(patch_service));
//! # }
//! ```

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::patch::{self, Limits};
use crate::{Error, ErrorKind};

/// The media type of a merge patch (RFC 7396).
pub const MERGE_PATCH_JSON: &str = "application/merge-patch+json";

/// The media type of a problem details response (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An untrusted merge patch body, read and validated: the content type, the size, then
/// [`patch::parse_with`]. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[must_use]
pub struct MergePatch<P>(pub P);

impl<P> MergePatch<P> {
    /// The patch.
    pub fn into_inner(self) -> P {
        self.0
    }
}

/// How [`MergePatch`] reads a body: the [`Limits`] of the gate (the size limit among
/// them), and whether `application/json` is accepted besides
/// `application/merge-patch+json` (default: yes). Add it as a request extension; without
/// one, the defaults apply.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PatchConfig {
    /// The gate's limits (body size, depth, update size).
    pub limits: Limits,
    /// Whether `application/json` is accepted too.
    pub accept_json: bool,
}

impl Default for PatchConfig {
    fn default() -> Self {
        PatchConfig {
            limits: Limits::default(),
            accept_json: true,
        }
    }
}

impl PatchConfig {
    /// Set the gate's limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Accept `application/json` besides `application/merge-patch+json`, or not.
    pub fn accept_json(mut self, accept: bool) -> Self {
        self.accept_json = accept;
        self
    }
}

impl<P, S> FromRequest<S> for MergePatch<P>
where
    P: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Error> {
        let config = req
            .extensions()
            .get::<PatchConfig>()
            .cloned()
            .unwrap_or_default();
        media_type(req.headers().get(header::CONTENT_TYPE), config.accept_json)?;
        let limit = config.limits.max_body_bytes;
        let too_large = || Error::new(ErrorKind::TooLarge { limit });
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(too_large());
        }
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|e| {
                if hit_limit(&e) {
                    too_large()
                } else {
                    Error::new(ErrorKind::Malformed {
                        message: format!("the body could not be read: {e}"),
                    })
                }
            })?;
        patch::parse_with(&bytes, &config.limits).map(MergePatch)
    }
}

/// The media type must be a merge patch's (parameters such as `charset` are ignored).
fn media_type(content_type: Option<&HeaderValue>, accept_json: bool) -> Result<(), Error> {
    let found = content_type.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let essence = found
        .as_deref()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some(MERGE_PATCH_JSON) => Ok(()),
        Some("application/json") if accept_json => Ok(()),
        _ => Err(Error::new(ErrorKind::UnsupportedMediaType {
            content_type: found,
        })),
    }
}

/// Whether reading the body failed on the size limit.
fn hit_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// The error's status, and its problem details (see [`Error`]'s `Serialize`) as
/// `application/problem+json`.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = match serde_json::to_vec(&self) {
            Ok(body) => body,
            // The problem is plain strings and numbers: this cannot fail; answer anyway.
            Err(_) => br#"{"title":"Internal error","status":500}"#.to_vec(),
        };
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}
